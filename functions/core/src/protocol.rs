//! The client protocol's wire types (shared/protocol-v1.md, and docs/protocol.md for what
//! the project adds): what clients send, what the server answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The `code` of an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    TooLarge,
    RateLimited,
    Internal,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The wire spelling, so logs and frames agree.
        let text = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&text)
    }
}

/// A frame the server sends. Every one has a `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerFrame {
    /// The message is durably stored (reply to `send`, the same for every retry of an id).
    Sent {
        id: String,
        conversation: String,
        seq: u64,
        message_id: String,
        ts: i64,
    },
    /// A message, live or as sync output.
    Message {
        conversation: String,
        seq: u64,
        message_id: String,
        id: String,
        from: String,
        ts: i64,
        cursor: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        attachment: Option<Attachment>,
        #[serde(skip_serializing_if = "Option::is_none")]
        system: Option<Value>,
    },
    /// Ends a `sync`; with `more` the client syncs again from `cursor`.
    Synced {
        cursor: String,
        more: bool,
    },
    /// Someone acknowledged messages up to `seq`.
    Receipt {
        conversation: String,
        seq: u64,
        by: String,
        status: AckStatus,
    },
    Typing {
        conversation: String,
        from: String,
    },
    /// Reply to `lookup`: registered users only.
    Users {
        id: String,
        users: Vec<UserEntry>,
    },
    /// Reply to `registerPush`: the token is registered for this user.
    PushRegistered {
        id: String,
    },
    /// Reply to the group actions: the group as it stands after the change.
    Group {
        id: String,
        conversation: String,
        name: String,
        members: Vec<String>,
        admins: Vec<String>,
    },
    /// Reply to `uploadUrl`: a presigned PUT (`headers` must be sent as given).
    UploadUrl {
        id: String,
        key: String,
        url: String,
        method: String,
        headers: std::collections::BTreeMap<String, String>,
        expires_in: u64,
    },
    /// Reply to `downloadUrl`: a presigned GET.
    DownloadUrl {
        id: String,
        url: String,
        expires_in: u64,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        code: ErrorCode,
        message: String,
    },
}

/// A file attached to a message, as `uploadUrl` described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attachment {
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// How far a reader got: `read` implies `delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    Delivered,
    Read,
}

impl AckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Read => "read",
        }
    }
}

/// One user found by `lookup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntry {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl ServerFrame {
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: no maps with non-string keys, no floats.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The most a client message id may be: 1–64 characters of `[A-Za-z0-9_-]`.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is a valid client message id.
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A client frame, parsed only as far as routing needs: a JSON object with an `action`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFrame {
    pub action: String,
    /// The frame's `id`, when it is a valid id (echoed in replies).
    pub id: Option<String>,
    pub fields: serde_json::Map<String, Value>,
}

/// Why a frame could not be read, with the `id` to echo when one was readable.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub id: Option<String>,
    pub message: &'static str,
}

impl ClientFrame {
    pub fn parse(text: &str) -> Result<Self, Unreadable> {
        let value: Value = serde_json::from_str(text).map_err(|_| Unreadable {
            id: None,
            message: "frame is not valid JSON",
        })?;
        let Value::Object(fields) = value else {
            return Err(Unreadable {
                id: None,
                message: "frame is not a JSON object",
            });
        };
        let id = fields
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| is_valid_id(id))
            .map(str::to_owned);
        match fields.get("action") {
            Some(Value::String(action)) if !action.is_empty() => Ok(Self {
                action: action.clone(),
                id,
                fields,
            }),
            Some(_) => Err(Unreadable {
                id,
                message: "action must be a non-empty string",
            }),
            None => Err(Unreadable {
                id,
                message: "frame has no action",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_frames_have_the_contract_shape() {
        let frame = ServerFrame::Error {
            id: Some("a1".into()),
            code: ErrorCode::BadRequest,
            message: "nope".into(),
        };
        assert_eq!(
            serde_json::from_str::<Value>(&frame.to_json()).unwrap(),
            json!({"type": "error", "id": "a1", "code": "bad_request", "message": "nope"})
        );
        let without_id = ServerFrame::Error {
            id: None,
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
        };
        assert_eq!(
            serde_json::from_str::<Value>(&without_id.to_json()).unwrap(),
            json!({"type": "error", "code": "rate_limited", "message": "slow down"})
        );
    }

    #[test]
    fn frames_use_the_contract_field_names() {
        let sent = ServerFrame::Sent {
            id: "m1".into(),
            conversation: "d:a:b".into(),
            seq: 3,
            message_id: "x".into(),
            ts: 5,
        };
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"type": "sent", "id": "m1", "conversation": "d:a:b", "seq": 3, "messageId": "x", "ts": 5})
        );
        let receipt = ServerFrame::Receipt {
            conversation: "d:a:b".into(),
            seq: 2,
            by: "b".into(),
            status: AckStatus::Read,
        };
        assert_eq!(
            serde_json::to_value(&receipt).unwrap(),
            json!({"type": "receipt", "conversation": "d:a:b", "seq": 2, "by": "b", "status": "read"})
        );
        let users = ServerFrame::Users {
            id: "l1".into(),
            users: vec![UserEntry {
                user_id: "u".into(),
                email: Some("e@x".into()),
                phone: None,
            }],
        };
        assert_eq!(
            serde_json::to_value(&users).unwrap(),
            json!({"type": "users", "id": "l1", "users": [{"userId": "u", "email": "e@x"}]})
        );
        let synced = ServerFrame::Synced {
            cursor: "c".into(),
            more: false,
        };
        assert_eq!(
            serde_json::to_value(&synced).unwrap(),
            json!({"type": "synced", "cursor": "c", "more": false})
        );
    }

    #[test]
    fn group_and_file_frames_use_the_contract_field_names() {
        let group = ServerFrame::Group {
            id: "g1".into(),
            conversation: "g:x".into(),
            name: "team".into(),
            members: vec!["a".into(), "b".into()],
            admins: vec!["a".into()],
        };
        assert_eq!(
            serde_json::to_value(&group).unwrap(),
            json!({"type": "group", "id": "g1", "conversation": "g:x", "name": "team", "members": ["a", "b"], "admins": ["a"]})
        );
        let upload = ServerFrame::UploadUrl {
            id: "u1".into(),
            key: "k".into(),
            url: "https://x".into(),
            method: "PUT".into(),
            headers: [("content-type".to_owned(), "image/png".to_owned())].into(),
            expires_in: 300,
        };
        assert_eq!(
            serde_json::to_value(&upload).unwrap(),
            json!({"type": "uploadUrl", "id": "u1", "key": "k", "url": "https://x", "method": "PUT", "headers": {"content-type": "image/png"}, "expiresIn": 300})
        );
        let download = ServerFrame::DownloadUrl {
            id: "d1".into(),
            url: "https://y".into(),
            expires_in: 60,
        };
        assert_eq!(
            serde_json::to_value(&download).unwrap(),
            json!({"type": "downloadUrl", "id": "d1", "url": "https://y", "expiresIn": 60})
        );
    }

    #[test]
    fn error_codes_display_as_on_the_wire() {
        assert_eq!(ErrorCode::TooLarge.to_string(), "too_large");
        assert_eq!(ErrorCode::NotFound.to_string(), "not_found");
    }

    #[test]
    fn ids_follow_the_contract() {
        assert!(is_valid_id("a"));
        assert!(is_valid_id("Msg_01-xyz"));
        assert!(is_valid_id(&"x".repeat(64)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"x".repeat(65)));
        assert!(!is_valid_id("has space"));
        assert!(!is_valid_id("émoji"));
    }

    #[test]
    fn parses_action_and_id() {
        let frame = ClientFrame::parse(r#"{"action":"send","id":"m1","body":"hi"}"#).unwrap();
        assert_eq!(frame.action, "send");
        assert_eq!(frame.id.as_deref(), Some("m1"));
        assert_eq!(frame.fields["body"], "hi");
    }

    #[test]
    fn unreadable_frames_say_why_and_keep_a_valid_id() {
        assert_eq!(
            ClientFrame::parse("not json").unwrap_err().message,
            "frame is not valid JSON"
        );
        assert_eq!(
            ClientFrame::parse("[1,2]").unwrap_err().message,
            "frame is not a JSON object"
        );
        let no_action = ClientFrame::parse(r#"{"id":"k9"}"#).unwrap_err();
        assert_eq!(no_action.message, "frame has no action");
        assert_eq!(no_action.id.as_deref(), Some("k9"));
        let bad_action = ClientFrame::parse(r#"{"action":7,"id":"bad id"}"#).unwrap_err();
        assert_eq!(bad_action.message, "action must be a non-empty string");
        assert_eq!(bad_action.id, None, "an invalid id is not echoed");
    }
}
