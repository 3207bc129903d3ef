//! The messaging commands a client frame can carry, checked field by field. Everything a
//! client can get wrong becomes a `bad_request` (or `too_large`) naming the field.

use parley_core::conversation::{is_valid_user_id, ConversationId};
use parley_core::cursor::Cursor;
use parley_core::message::MAX_BODY_BYTES;
use parley_core::protocol::{is_valid_id, AckStatus, Attachment, ClientFrame, ErrorCode};
use parley_core::store::MAX_PAGE;
use parley_core::Error;
use serde_json::{Map, Value};

/// The most addresses one `lookup` may ask about.
pub const MAX_LOOKUP: usize = 100;
/// The longest email or phone number looked up.
const MAX_ADDRESS_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Send(Send),
    Sync(Sync),
    Ack(Ack),
    Typing(Typing),
    Lookup(Lookup),
    /// `createGroup`, `addMembers`, `removeMembers`, `leaveGroup`.
    Group(crate::group_command::GroupCommand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    User(String),
    Conversation(ConversationId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    pub id: String,
    pub target: Target,
    pub body: Option<String>,
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sync {
    pub cursor: Cursor,
    pub limit: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    pub conversation: ConversationId,
    pub seq: u64,
    pub status: AckStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Typing {
    pub conversation: ConversationId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub id: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
}

impl Command {
    pub fn parse(frame: &ClientFrame) -> Result<Self, Error> {
        let fields = Fields(&frame.fields);
        match frame.action.as_str() {
            "send" => parse_send(&fields).map(Self::Send),
            "sync" => Ok(Self::Sync(Sync {
                cursor: match fields.optional_str("cursor")? {
                    Some(text) => Cursor::decode(text)?,
                    None => Cursor::start(),
                },
                limit: match fields.optional_u64("limit")? {
                    Some(0) => return Err(Error::bad_request("limit must be at least 1")),
                    Some(limit) => limit.min(MAX_PAGE as u64) as i32,
                    None => parley_core::store::DEFAULT_PAGE,
                },
            })),
            "ack" => Ok(Self::Ack(Ack {
                conversation: fields.conversation("conversation")?,
                seq: match fields.required_u64("seq")? {
                    0 => return Err(Error::bad_request("seq must be at least 1")),
                    seq => seq,
                },
                status: match fields.required_str("status")? {
                    "delivered" => AckStatus::Delivered,
                    "read" => AckStatus::Read,
                    _ => {
                        return Err(Error::bad_request(
                            "status must be \"delivered\" or \"read\"",
                        ))
                    }
                },
            })),
            "typing" => Ok(Self::Typing(Typing {
                conversation: fields.conversation("conversation")?,
            })),
            "lookup" => parse_lookup(&fields).map(Self::Lookup),
            action if crate::group_command::ACTIONS.contains(&action) => {
                crate::group_command::GroupCommand::parse(frame).map(Self::Group)
            }
            _ => Err(Error::bad_request("unknown action")),
        }
    }
}

fn parse_send(fields: &Fields) -> Result<Send, Error> {
    let id = fields.id()?;
    let target = match (fields.0.get("toUser"), fields.0.get("conversation")) {
        (Some(_), Some(_)) => {
            return Err(Error::bad_request("give toUser or conversation, not both"))
        }
        (None, None) => return Err(Error::bad_request("give toUser or conversation")),
        (Some(_), None) => {
            let user = fields.required_str("toUser")?;
            if !is_valid_user_id(user) {
                return Err(Error::bad_request("toUser is not a valid user id"));
            }
            Target::User(user.to_owned())
        }
        (None, Some(_)) => Target::Conversation(fields.conversation("conversation")?),
    };
    let body = fields.optional_str("body")?.map(str::to_owned);
    if body.as_ref().is_some_and(|b| b.len() > MAX_BODY_BYTES) {
        return Err(Error::client(ErrorCode::TooLarge, "body is over 32 KiB"));
    }
    let attachment = match fields.0.get("attachment") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value::<Attachment>(value.clone()).map_err(|_| {
                Error::bad_request(
                    "attachment must be {key, name, contentType, size} from uploadUrl",
                )
            })?,
        ),
    };
    if body.as_deref().unwrap_or_default().is_empty() && attachment.is_none() {
        return Err(Error::bad_request(
            "a message needs a body or an attachment",
        ));
    }
    Ok(Send {
        id,
        target,
        body,
        attachment,
    })
}

fn parse_lookup(fields: &Fields) -> Result<Lookup, Error> {
    let id = fields.id()?;
    let emails = fields.string_list("emails")?;
    let phones = fields.string_list("phones")?;
    if emails.is_empty() && phones.is_empty() {
        return Err(Error::bad_request("give emails or phones to look up"));
    }
    if emails.len() + phones.len() > MAX_LOOKUP {
        return Err(Error::bad_request("at most 100 emails and phones in all"));
    }
    // They go into a Cognito filter between quotes: nothing may end the string early.
    let well_formed = |a: &String| {
        !a.is_empty()
            && a.len() <= MAX_ADDRESS_LEN
            && !a.contains(['"', '\\'])
            && !a.chars().any(char::is_control)
    };
    if !emails.iter().chain(&phones).all(well_formed) {
        return Err(Error::bad_request(
            "emails and phones must be plain strings of at most 254 characters",
        ));
    }
    Ok(Lookup { id, emails, phones })
}

/// Typed access to a frame's fields, with errors that name the field.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn id(&self) -> Result<String, Error> {
        let id = self.required_str("id")?;
        if is_valid_id(id) {
            Ok(id.to_owned())
        } else {
            Err(Error::bad_request(
                "id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
            ))
        }
    }

    fn optional_str(&self, name: &str) -> Result<Option<&str>, Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(Error::bad_request(format!("{name} must be a string"))),
        }
    }

    fn required_str(&self, name: &str) -> Result<&str, Error> {
        self.optional_str(name)?
            .ok_or_else(|| Error::bad_request(format!("{name} is required")))
    }

    fn optional_u64(&self, name: &str) -> Result<Option<u64>, Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| Error::bad_request(format!("{name} must be a whole number"))),
        }
    }

    fn required_u64(&self, name: &str) -> Result<u64, Error> {
        self.optional_u64(name)?
            .ok_or_else(|| Error::bad_request(format!("{name} is required")))
    }

    fn conversation(&self, name: &str) -> Result<ConversationId, Error> {
        ConversationId::parse(self.required_str(name)?)
    }

    fn string_list(&self, name: &str) -> Result<Vec<String>, Error> {
        let invalid = || Error::bad_request(format!("{name} must be a list of strings"));
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= MAX_LOOKUP => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid))
                .collect(),
            Some(Value::Array(_)) => {
                Err(Error::bad_request("at most 100 emails and phones in all"))
            }
            Some(_) => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(frame: Value) -> Result<Command, Error> {
        Command::parse(&ClientFrame::parse(&frame.to_string()).unwrap())
    }

    fn refusal(frame: Value) -> (ErrorCode, String) {
        let error = parse(frame).unwrap_err();
        (error.code(), error.public_message().to_owned())
    }

    #[test]
    fn a_send_to_a_user() {
        let command =
            parse(json!({"action": "send", "id": "m1", "toUser": "u2", "body": "hi"})).unwrap();
        assert_eq!(
            command,
            Command::Send(Send {
                id: "m1".into(),
                target: Target::User("u2".into()),
                body: Some("hi".into()),
                attachment: None
            })
        );
    }

    #[test]
    fn sends_are_checked() {
        let bad = [
            (
                json!({"action": "send", "toUser": "u2", "body": "x"}),
                "id is required",
            ),
            (
                json!({"action": "send", "id": "has space", "toUser": "u2", "body": "x"}),
                "id must be",
            ),
            (
                json!({"action": "send", "id": "m", "body": "x"}),
                "give toUser or conversation",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "conversation": "d:a:b", "body": "x"}),
                "not both",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u#1", "body": "x"}),
                "toUser is not",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": 5, "body": "x"}),
                "toUser must be a string",
            ),
            (
                json!({"action": "send", "id": "m", "conversation": "nope", "body": "x"}),
                "conversation is not",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u"}),
                "needs a body or an attachment",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "body": ""}),
                "needs a body or an attachment",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "body": 7}),
                "body must be a string",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "attachment": {"key": 1}}),
                "attachment must be",
            ),
        ];
        for (frame, expected) in bad {
            let (code, message) = refusal(frame.clone());
            assert_eq!(code, ErrorCode::BadRequest, "{frame}");
            assert!(message.contains(expected), "{frame}: {message}");
        }
    }

    #[test]
    fn a_body_over_32_kib_is_too_large() {
        let body = "é".repeat(MAX_BODY_BYTES / 2 + 1);
        let (code, _) = refusal(json!({"action": "send", "id": "m", "toUser": "u", "body": body}));
        assert_eq!(code, ErrorCode::TooLarge);
        let fits = "x".repeat(MAX_BODY_BYTES);
        assert!(parse(json!({"action": "send", "id": "m", "toUser": "u", "body": fits})).is_ok());
    }

    #[test]
    fn sync_defaults_and_bounds() {
        let Command::Sync(sync) = parse(json!({"action": "sync"})).unwrap() else {
            panic!()
        };
        assert_eq!(sync.cursor, Cursor::start());
        assert_eq!(sync.limit, parley_core::store::DEFAULT_PAGE);
        let Command::Sync(sync) = parse(json!({"action": "sync", "limit": 100000})).unwrap() else {
            panic!()
        };
        assert_eq!(sync.limit, MAX_PAGE);
        assert_eq!(
            refusal(json!({"action": "sync", "cursor": "garbage!"})).0,
            ErrorCode::BadRequest
        );
        assert_eq!(
            refusal(json!({"action": "sync", "limit": -1})).0,
            ErrorCode::BadRequest
        );
        assert_eq!(
            refusal(json!({"action": "sync", "limit": 0})).0,
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn acks_are_checked() {
        let ok =
            parse(json!({"action": "ack", "conversation": "d:a:b", "seq": 3, "status": "read"}))
                .unwrap();
        assert_eq!(
            ok,
            Command::Ack(Ack {
                conversation: ConversationId::parse("d:a:b").unwrap(),
                seq: 3,
                status: AckStatus::Read
            })
        );
        for bad in [
            json!({"action": "ack", "conversation": "d:a:b", "seq": 3, "status": "seen"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": 0, "status": "read"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": "3", "status": "read"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": 1e300, "status": "read"}),
            json!({"action": "ack", "seq": 3, "status": "read"}),
        ] {
            assert_eq!(refusal(bad).0, ErrorCode::BadRequest);
        }
    }

    #[test]
    fn lookups_are_bounded_and_safe() {
        let ok = parse(
            json!({"action": "lookup", "id": "l1", "emails": ["a@x.io"], "phones": ["+15550100"]}),
        )
        .unwrap();
        assert_eq!(
            ok,
            Command::Lookup(Lookup {
                id: "l1".into(),
                emails: vec!["a@x.io".into()],
                phones: vec!["+15550100".into()]
            })
        );
        let many: Vec<String> = (0..101).map(|i| format!("u{i}@x.io")).collect();
        assert!(
            refusal(json!({"action": "lookup", "id": "l1", "emails": many}))
                .1
                .contains("at most 100")
        );
        let split: Vec<String> = (0..60).map(|i| format!("u{i}@x.io")).collect();
        assert!(
            refusal(json!({"action": "lookup", "id": "l1", "emails": split, "phones": split}))
                .1
                .contains("at most 100")
        );
        assert_eq!(
            refusal(json!({"action": "lookup", "id": "l1", "emails": ["a\"@x.io"]})).0,
            ErrorCode::BadRequest
        );
        assert_eq!(
            refusal(json!({"action": "lookup", "id": "l1"})).0,
            ErrorCode::BadRequest
        );
        assert_eq!(
            refusal(json!({"action": "lookup", "id": "l1", "emails": "a@x.io"})).0,
            ErrorCode::BadRequest
        );
    }
}
