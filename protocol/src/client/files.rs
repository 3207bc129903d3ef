//! The file actions: `uploadUrl` reserves a key and answers a presigned PUT; `downloadUrl`
//! answers a presigned GET for a key of a conversation the caller is in.

use serde::{Deserialize, Serialize};

use crate::client::Target;
use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::ConversationId;
use crate::limits::{MAX_CONTENT_TYPE_LEN, MAX_FILE_BYTES, MAX_FILE_NAME_BYTES};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UploadUrl {
    pub id: String,
    /// Exactly one of `conversation` and `toUser` (the direct chat with that user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub conversation: Option<ConversationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub to_user: Option<String>,
    /// 1–255 bytes of text.
    pub name: String,
    /// `type/subtype`, lowercased by the server.
    pub content_type: String,
    /// 1 byte – 100 MiB.
    #[cfg_attr(test, ts(type = "number"))]
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DownloadUrl {
    pub id: String,
    /// An attachment's `key`.
    pub key: String,
}

impl UploadUrl {
    /// Where the file goes (a parsed frame always has exactly one target).
    pub fn target(&self) -> Option<Target<'_>> {
        Target::of(self.to_user.as_deref(), self.conversation.as_ref())
    }

    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let (conversation, to_user) = match (fields.has("conversation"), fields.has("toUser")) {
            (true, false) => (Some(fields.conversation("conversation")?), None),
            (false, true) => (None, Some(fields.user("toUser")?)),
            _ => return Err(FrameError::bad_request("give conversation or toUser")),
        };
        let name = fields.required_str("name")?;
        if name.is_empty() || name.len() > MAX_FILE_NAME_BYTES || name.chars().any(char::is_control)
        {
            return Err(FrameError::bad_request("name must be 1-255 bytes of text"));
        }
        let content_type = fields.required_str("contentType")?.to_ascii_lowercase();
        check_content_type(&content_type)?;
        let size = fields.required_u64("size", "a whole number of bytes")?;
        if size == 0 {
            return Err(FrameError::bad_request("size must be at least 1 byte"));
        }
        if size > MAX_FILE_BYTES {
            return Err(FrameError::too_large("a file is at most 100 MiB"));
        }
        Ok(Self {
            id,
            conversation,
            to_user,
            name: name.to_owned(),
            content_type,
            size,
        })
    }
}

impl DownloadUrl {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self {
            id: fields.id()?,
            key: fields.required_str("key")?.to_owned(),
        })
    }
}

/// A plain `type/subtype` (no parameters) of an allowed top-level type.
pub fn check_content_type(content_type: &str) -> Result<(), FrameError> {
    let invalid = || FrameError::bad_request("contentType must be a media type such as image/png");
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
        return Err(FrameError::bad_request("this content type is not accepted"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn an_upload_request() {
        let parsed = parse(
            json!({"action": "uploadUrl", "id": "u1", "conversation": GROUP,
            "name": "Cat.PNG", "contentType": "Image/PNG", "size": 2048}),
        )
        .unwrap();
        assert_eq!(
            parsed,
            ClientFrame::UploadUrl(UploadUrl {
                id: "u1".into(),
                conversation: Some(ConversationId::parse(GROUP).unwrap()),
                to_user: None,
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
            parse(frame(MAX_FILE_BYTES + 1)).unwrap_err().code,
            ErrorCode::TooLarge
        );
        assert_eq!(parse(frame(0)).unwrap_err().code, ErrorCode::BadRequest);
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
            json!({"action": "uploadUrl", "id": "u", "toUser": "a#b", "name": "a", "contentType": "image/png", "size": 1}),
            json!({"action": "downloadUrl", "id": "d"}),
        ] {
            assert_eq!(
                parse(frame.clone()).unwrap_err().code,
                ErrorCode::BadRequest,
                "{frame}"
            );
        }
    }
}
