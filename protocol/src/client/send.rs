//! `send`: a message to a user (`toUser`, for a first message) or into a conversation.

use serde::{Deserialize, Serialize};

use crate::client::Target;
use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::ConversationId;
use crate::limits::MAX_BODY_BYTES;
use crate::server::Attachment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Send {
    /// Fresh per message, the same on every retry of it.
    pub id: String,
    /// Exactly one of `toUser` and `conversation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub to_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub conversation: Option<ConversationId>,
    /// At most 32 KiB of UTF-8; a message has a body, an attachment or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub attachment: Option<Attachment>,
}

impl Send {
    /// A text message to a user, by their id (the direct chat is found or made).
    pub fn to_user(
        id: impl Into<String>,
        user: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            to_user: Some(user.into()),
            conversation: None,
            body: Some(body.into()),
            attachment: None,
        }
    }

    /// A text message into a conversation.
    pub fn to_conversation(
        id: impl Into<String>,
        conversation: ConversationId,
        body: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            to_user: None,
            conversation: Some(conversation),
            body: Some(body.into()),
            attachment: None,
        }
    }

    /// Where it goes (a parsed frame always has exactly one target).
    pub fn target(&self) -> Option<Target<'_>> {
        Target::of(self.to_user.as_deref(), self.conversation.as_ref())
    }

    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let (to_user, conversation) = match (fields.has("toUser"), fields.has("conversation")) {
            (true, true) => {
                return Err(FrameError::bad_request(
                    "give toUser or conversation, not both",
                ))
            }
            (false, false) => return Err(FrameError::bad_request("give toUser or conversation")),
            (true, false) => (Some(fields.user("toUser")?), None),
            (false, true) => (None, Some(fields.conversation("conversation")?)),
        };
        let body = fields.optional_str("body")?.map(str::to_owned);
        if body.as_ref().is_some_and(|b| b.len() > MAX_BODY_BYTES) {
            return Err(FrameError::too_large("body is over 32 KiB"));
        }
        let attachment = match fields.0.get("attachment") {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(Attachment::deserialize(value).map_err(|_| {
                FrameError::bad_request(
                    "attachment must be {key, name, contentType, size} from uploadUrl",
                )
            })?),
        };
        if body.as_deref().unwrap_or_default().is_empty() && attachment.is_none() {
            return Err(FrameError::bad_request(
                "a message needs a body or an attachment",
            ));
        }
        Ok(Self {
            id,
            to_user,
            conversation,
            body,
            attachment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Target;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    fn refusal(frame: Value) -> FrameError {
        ClientFrame::parse(&frame.to_string()).unwrap_err()
    }

    #[test]
    fn a_send_to_a_user() {
        let frame = json!({"action": "send", "id": "m1", "toUser": "u2", "body": "hi"});
        let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(parsed, ClientFrame::Send(Send::to_user("m1", "u2", "hi")));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        let ClientFrame::Send(send) = parsed else {
            unreachable!()
        };
        assert_eq!(send.target(), Some(Target::User("u2")));
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
            let error = refusal(frame.clone());
            assert_eq!(error.code, ErrorCode::BadRequest, "{frame}");
            assert!(
                error.message.contains(expected),
                "{frame}: {}",
                error.message
            );
        }
    }

    #[test]
    fn a_body_over_32_kib_is_too_large() {
        let body = "é".repeat(MAX_BODY_BYTES / 2 + 1);
        let error = refusal(json!({"action": "send", "id": "m", "toUser": "u", "body": body}));
        assert_eq!(error.code, ErrorCode::TooLarge);
        let fits = "x".repeat(MAX_BODY_BYTES);
        assert!(ClientFrame::parse(
            &json!({"action": "send", "id": "m", "toUser": "u", "body": fits}).to_string()
        )
        .is_ok());
    }

    #[test]
    fn an_attachment_alone_is_a_message() {
        let frame = json!({"action": "send", "id": "m", "conversation": "d:a:b",
            "attachment": {"key": "c/k", "name": "a.png", "contentType": "image/png", "size": 3}});
        let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
    }
}
