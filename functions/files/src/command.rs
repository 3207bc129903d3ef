//! The file actions a client frame can carry, checked field by field.

use parley_core::conversation::{is_valid_user_id, ConversationId};
use parley_core::protocol::{is_valid_id, ClientFrame, ErrorCode};
use parley_core::Error;
use serde_json::{Map, Value};

/// The largest file: 100 MiB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// The longest file name a client may declare (bytes of UTF-8).
const MAX_NAME_BYTES: usize = 255;
/// The longest content type accepted.
const MAX_CONTENT_TYPE_LEN: usize = 127;
/// The top-level media types a file may declare.
const ALLOWED_TOP_LEVEL: [&str; 7] = [
    "application",
    "audio",
    "font",
    "image",
    "model",
    "text",
    "video",
];
/// Types a browser would run as a page or script if it ever rendered one in place: refused,
/// whatever the download's Content-Disposition says.
const REFUSED_TYPES: [&str; 6] = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    UploadUrl(UploadUrl),
    DownloadUrl(DownloadUrl),
}

/// Where the file goes: a conversation by id, or the direct chat with a user.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Conversation(ConversationId),
    User(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct UploadUrl {
    pub id: String,
    pub target: Target,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DownloadUrl {
    pub id: String,
    pub key: String,
}

impl Command {
    pub fn parse(frame: &ClientFrame) -> Result<Self, Error> {
        let fields = &frame.fields;
        let id = match str_field(fields, "id")? {
            Some(id) if is_valid_id(id) => id.to_owned(),
            Some(_) => {
                return Err(Error::bad_request(
                    "id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                ))
            }
            None => return Err(Error::bad_request("id is required")),
        };
        match frame.action.as_str() {
            "uploadUrl" => parse_upload(fields, id).map(Self::UploadUrl),
            "downloadUrl" => {
                let key = str_field(fields, "key")?
                    .ok_or_else(|| Error::bad_request("key is required"))?;
                Ok(Self::DownloadUrl(DownloadUrl {
                    id,
                    key: key.to_owned(),
                }))
            }
            _ => Err(Error::bad_request("unknown action")),
        }
    }
}

fn parse_upload(fields: &Map<String, Value>, id: String) -> Result<UploadUrl, Error> {
    let target = match (
        str_field(fields, "conversation")?,
        str_field(fields, "toUser")?,
    ) {
        (Some(conversation), None) => Target::Conversation(ConversationId::parse(conversation)?),
        (None, Some(user)) if is_valid_user_id(user) => Target::User(user.to_owned()),
        (None, Some(_)) => return Err(Error::bad_request("toUser is not a valid user id")),
        _ => return Err(Error::bad_request("give conversation or toUser")),
    };
    let name = str_field(fields, "name")?.ok_or_else(|| Error::bad_request("name is required"))?;
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(Error::bad_request("name must be 1-255 bytes of text"));
    }
    let content_type = str_field(fields, "contentType")?
        .ok_or_else(|| Error::bad_request("contentType is required"))?
        .to_ascii_lowercase();
    check_content_type(&content_type)?;
    let size = match fields.get("size") {
        Some(value) => value
            .as_u64()
            .ok_or_else(|| Error::bad_request("size must be a whole number of bytes"))?,
        None => return Err(Error::bad_request("size is required")),
    };
    if size == 0 {
        return Err(Error::bad_request("size must be at least 1 byte"));
    }
    if size > MAX_FILE_BYTES {
        return Err(Error::client(
            ErrorCode::TooLarge,
            "a file is at most 100 MiB",
        ));
    }
    Ok(UploadUrl {
        id,
        target,
        name: name.to_owned(),
        content_type,
        size,
    })
}

/// A plain `type/subtype` (no parameters) of an allowed top-level type.
fn check_content_type(content_type: &str) -> Result<(), Error> {
    let invalid = || Error::bad_request("contentType must be a media type such as image/png");
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let (top, sub) = content_type.split_once('/').ok_or_else(invalid)?;
    if content_type.len() > MAX_CONTENT_TYPE_LEN || !token(top) || !token(sub) {
        return Err(invalid());
    }
    if !ALLOWED_TOP_LEVEL.contains(&top) || REFUSED_TYPES.contains(&content_type) {
        return Err(Error::bad_request("this content type is not accepted"));
    }
    Ok(())
}

fn str_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Error> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Error::bad_request(format!("{name} must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

    fn parse(frame: Value) -> Result<Command, Error> {
        Command::parse(&ClientFrame::parse(&frame.to_string()).unwrap())
    }

    #[test]
    fn an_upload_request() {
        let command = parse(
            json!({"action": "uploadUrl", "id": "u1", "conversation": GROUP,
            "name": "Cat.PNG", "contentType": "Image/PNG", "size": 2048}),
        )
        .unwrap();
        assert_eq!(
            command,
            Command::UploadUrl(UploadUrl {
                id: "u1".into(),
                target: Target::Conversation(ConversationId::parse(GROUP).unwrap()),
                name: "Cat.PNG".into(),
                content_type: "image/png".into(),
                size: 2048
            })
        );
    }

    #[test]
    fn sizes_over_100_mib_are_too_large() {
        let frame = |size: u64| {
            json!({"action": "uploadUrl", "id": "u", "conversation": GROUP,
                "name": "a.bin", "contentType": "application/octet-stream", "size": size})
        };
        assert!(parse(frame(MAX_FILE_BYTES)).is_ok());
        assert_eq!(
            parse(frame(MAX_FILE_BYTES + 1)).unwrap_err().code(),
            ErrorCode::TooLarge
        );
        assert_eq!(parse(frame(0)).unwrap_err().code(), ErrorCode::BadRequest);
    }

    #[test]
    fn content_types_are_checked() {
        for ok in [
            "image/jpeg",
            "video/mp4",
            "application/pdf",
            "text/plain",
            "audio/ogg",
        ] {
            assert!(check_content_type(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "image",
            "image/",
            "text/html",
            "image/svg+xml",
            "x-evil/thing",
            "image/png; charset=x",
            "image/png\r\nx-amz-acl: public-read",
        ] {
            assert!(check_content_type(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn malformed_requests_are_refused() {
        for frame in [
            json!({"action": "uploadUrl", "id": "u", "name": "a", "contentType": "image/png", "size": 1}),
            json!({"action": "uploadUrl", "id": "u", "conversation": "nope", "name": "a", "contentType": "image/png", "size": 1}),
            json!({"action": "uploadUrl", "id": "u", "conversation": GROUP, "contentType": "image/png", "size": 1}),
            json!({"action": "uploadUrl", "id": "u", "conversation": GROUP, "name": "a", "contentType": "image/png", "size": "1"}),
            json!({"action": "uploadUrl", "conversation": GROUP, "name": "a", "contentType": "image/png", "size": 1}),
            json!({"action": "downloadUrl", "id": "d"}),
        ] {
            assert_eq!(
                parse(frame.clone()).unwrap_err().code(),
                ErrorCode::BadRequest,
                "{frame}"
            );
        }
    }
}
