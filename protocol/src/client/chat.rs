//! `chat` and `chats`: the caller's own settings for a conversation (mute, archive, pin,
//! mark as unread), the same on every device of theirs. `chat` changes them; `chats` lists
//! every conversation whose settings are not the defaults.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::ConversationId;

/// How long `chat` mutes a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Mute {
    #[serde(rename = "8h")]
    EightHours,
    #[serde(rename = "1w")]
    Week,
    #[serde(rename = "always")]
    Always,
    /// Unmute.
    #[serde(rename = "off")]
    Off,
}

impl Mute {
    pub const NAMES: [&'static str; 4] = ["8h", "1w", "always", "off"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "8h" => Some(Self::EightHours),
            "1w" => Some(Self::Week),
            "always" => Some(Self::Always),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EightHours => "8h",
            Self::Week => "1w",
            Self::Always => "always",
            Self::Off => "off",
        }
    }
}

/// `chat`: change any of the caller's settings for one conversation (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Chat {
    pub id: String,
    pub conversation: ConversationId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub mute: Option<Mute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub archived: Option<bool>,
    /// At most [`crate::limits::MAX_PINNED_CHATS`] chats are pinned at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub pinned: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub unread: Option<bool>,
}

impl Chat {
    /// A change of nothing, to fill in.
    pub fn of(id: impl Into<String>, conversation: ConversationId) -> Self {
        Self {
            id: id.into(),
            conversation,
            mute: None,
            archived: None,
            pinned: None,
            unread: None,
        }
    }

    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let conversation = fields.conversation("conversation")?;
        let mute = match fields.optional_str("mute")? {
            None => None,
            Some(text) => Some(Mute::parse(text).ok_or_else(|| {
                FrameError::bad_request("mute must be \"8h\", \"1w\", \"always\" or \"off\"")
            })?),
        };
        let archived = fields.optional_bool("archived")?;
        let pinned = fields.optional_bool("pinned")?;
        let unread = fields.optional_bool("unread")?;
        if mute.is_none() && archived.is_none() && pinned.is_none() && unread.is_none() {
            return Err(FrameError::bad_request(
                "give mute, archived, pinned or unread to change",
            ));
        }
        Ok(Self {
            id,
            conversation,
            mute,
            archived,
            pinned,
            unread,
        })
    }
}

/// `chats`: list the caller's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Chats {
    pub id: String,
}

impl Chats {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self { id: fields.id()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    const GROUP: &str = "g:5f1d2c3b4a5968778695a4b3c2d1e0f9";

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn a_change_names_what_changes_and_round_trips() {
        let frame = json!({"action": "chat", "id": "c1", "conversation": GROUP, "mute": "8h", "pinned": true});
        let parsed = parse(frame.clone()).unwrap();
        let ClientFrame::Chat(chat) = &parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(chat.mute, Some(Mute::EightHours));
        assert_eq!(chat.pinned, Some(true));
        assert_eq!(chat.archived, None);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        for name in Mute::NAMES {
            assert_eq!(Mute::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn bad_changes_are_refused_naming_the_field() {
        for (frame, says) in [
            (
                json!({"action": "chat", "id": "c1", "conversation": GROUP}),
                "give mute",
            ),
            (
                json!({"action": "chat", "id": "c1", "conversation": GROUP, "mute": "1y"}),
                "mute must be",
            ),
            (
                json!({"action": "chat", "id": "c1", "conversation": GROUP, "pinned": "yes"}),
                "pinned must be true or false",
            ),
            (
                json!({"action": "chat", "id": "c1", "conversation": "nope", "unread": true}),
                "conversation",
            ),
            (
                json!({"action": "chat", "conversation": GROUP, "unread": true}),
                "id is required",
            ),
            (json!({"action": "chats"}), "id is required"),
        ] {
            let refused = parse(frame).unwrap_err();
            assert_eq!(refused.code, ErrorCode::BadRequest);
            assert!(
                refused.message.contains(says),
                "{} lacks {says}",
                refused.message
            );
        }
        assert_eq!(
            parse(json!({"action": "chats", "id": "l1"})).unwrap(),
            ClientFrame::Chats(Chats { id: "l1".into() })
        );
    }
}
