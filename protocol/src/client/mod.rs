//! The frames a client sends: one JSON object per WebSocket text message, naming what it
//! wants in `action`. [`ClientFrame::parse`] is the one way the server reads them: every
//! field is checked against the protocol's rules, and a refusal names the field. Each
//! action's fields and rules live in a file of their own.

mod ack;
mod block;
mod chat;
mod files;
mod groups;
mod keys;
mod lookup;
mod ping;
mod prefs;
mod presence;
mod push;
mod send;
mod sync;
mod to_device;
mod typing;

pub use ack::Ack;
pub use block::{Block, Blocks};
pub use chat::{Chat, Chats, Mute};
pub use files::{DownloadUrl, UploadUrl};
pub use groups::{CreateGroup, LeaveGroup, Members};
pub use keys::{
    all_signed_by, is_key_name, matrix_user_id, DeviceKeys, KeysClaim, KeysQuery, KeysUpload,
    SignedKeys, SIGNED_CURVE25519,
};
pub use lookup::Lookup;
pub use ping::Ping;
pub use prefs::Prefs;
pub use presence::{Audience, Presence, Privacy};
pub use push::{Platform, RegisterPush};
pub use send::Send;
pub use sync::Sync;
pub use to_device::{SendToDevice, ToDeviceAck, ToDeviceSync};
pub use typing::Typing;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::{is_valid_id, ConversationId};

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ClientFrame {
    Send(Send),
    Sync(Sync),
    Ack(Ack),
    Typing(Typing),
    Lookup(Lookup),
    CreateGroup(CreateGroup),
    AddMembers(Members),
    RemoveMembers(Members),
    LeaveGroup(LeaveGroup),
    UploadUrl(UploadUrl),
    DownloadUrl(DownloadUrl),
    RegisterPush(RegisterPush),
    KeysUpload(KeysUpload),
    KeysQuery(KeysQuery),
    KeysClaim(KeysClaim),
    SendToDevice(SendToDevice),
    ToDeviceSync(ToDeviceSync),
    ToDeviceAck(ToDeviceAck),
    Prefs(Prefs),
    Ping(Ping),
    Chat(Chat),
    Chats(Chats),
    Presence(Presence),
    Privacy(Privacy),
    Block(Block),
    Blocks(Blocks),
}

/// Where a `send` or an `uploadUrl` goes: a user (their direct chat with the caller) or a
/// conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    User(&'a str),
    Conversation(&'a ConversationId),
}

impl<'a> Target<'a> {
    /// Exactly one of the two fields, or none.
    fn of(user: Option<&'a str>, conversation: Option<&'a ConversationId>) -> Option<Self> {
        match (user, conversation) {
            (Some(user), None) => Some(Self::User(user)),
            (None, Some(conversation)) => Some(Self::Conversation(conversation)),
            _ => None,
        }
    }
}

impl ClientFrame {
    /// Every action's name on the wire, in the order of docs/protocol.md's table of actions.
    /// The template routes exactly these (besides `$connect`, `$disconnect`, `$default`),
    /// which the docs-names test checks.
    pub const ACTIONS: [&'static str; 26] = [
        "send",
        "sync",
        "ack",
        "typing",
        "lookup",
        "createGroup",
        "addMembers",
        "removeMembers",
        "leaveGroup",
        "uploadUrl",
        "downloadUrl",
        "registerPush",
        "keysUpload",
        "keysQuery",
        "keysClaim",
        "sendToDevice",
        "toDeviceSync",
        "toDeviceAck",
        "prefs",
        "ping",
        "chat",
        "chats",
        "presence",
        "privacy",
        "block",
        "blocks",
    ];

    /// Reads a frame's text, checking every field. A refusal carries the frame's `id` when it
    /// had a valid one, for the reply to echo.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| FrameError::bad_request("frame is not valid JSON"))?;
        Self::try_from(value)
    }

    /// The action's name on the wire.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Send(_) => "send",
            Self::Sync(_) => "sync",
            Self::Ack(_) => "ack",
            Self::Typing(_) => "typing",
            Self::Lookup(_) => "lookup",
            Self::CreateGroup(_) => "createGroup",
            Self::AddMembers(_) => "addMembers",
            Self::RemoveMembers(_) => "removeMembers",
            Self::LeaveGroup(_) => "leaveGroup",
            Self::UploadUrl(_) => "uploadUrl",
            Self::DownloadUrl(_) => "downloadUrl",
            Self::RegisterPush(_) => "registerPush",
            Self::KeysUpload(_) => "keysUpload",
            Self::KeysQuery(_) => "keysQuery",
            Self::KeysClaim(_) => "keysClaim",
            Self::SendToDevice(_) => "sendToDevice",
            Self::ToDeviceSync(_) => "toDeviceSync",
            Self::ToDeviceAck(_) => "toDeviceAck",
            Self::Prefs(_) => "prefs",
            Self::Ping(_) => "ping",
            Self::Chat(_) => "chat",
            Self::Chats(_) => "chats",
            Self::Presence(_) => "presence",
            Self::Privacy(_) => "privacy",
            Self::Block(_) => "block",
            Self::Blocks(_) => "blocks",
        }
    }

    /// The frame's `id`, which replies echo (`sync`, `ack`, `typing`, `toDeviceSync` and
    /// `toDeviceAck` have none, `ping` may).
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Send(frame) => Some(&frame.id),
            Self::Lookup(frame) => Some(&frame.id),
            Self::CreateGroup(frame) => Some(&frame.id),
            Self::AddMembers(frame) | Self::RemoveMembers(frame) => Some(&frame.id),
            Self::LeaveGroup(frame) => Some(&frame.id),
            Self::UploadUrl(frame) => Some(&frame.id),
            Self::DownloadUrl(frame) => Some(&frame.id),
            Self::RegisterPush(frame) => Some(&frame.id),
            Self::KeysUpload(frame) => Some(&frame.id),
            Self::KeysQuery(frame) => Some(&frame.id),
            Self::KeysClaim(frame) => Some(&frame.id),
            Self::SendToDevice(frame) => Some(&frame.id),
            Self::Prefs(frame) => Some(&frame.id),
            Self::Ping(frame) => frame.id.as_deref(),
            Self::Chat(frame) => Some(&frame.id),
            Self::Chats(frame) => Some(&frame.id),
            Self::Presence(frame) => Some(&frame.id),
            Self::Privacy(frame) => Some(&frame.id),
            Self::Block(frame) => Some(&frame.id),
            Self::Blocks(frame) => Some(&frame.id),
            Self::Sync(_)
            | Self::Ack(_)
            | Self::Typing(_)
            | Self::ToDeviceSync(_)
            | Self::ToDeviceAck(_) => None,
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: no maps with non-string keys, no floats.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Deserializing checks every field, as [`ClientFrame::parse`] does.
impl<'de> Deserialize<'de> for ClientFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::try_from(value).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<Value> for ClientFrame {
    type Error = FrameError;

    fn try_from(value: Value) -> Result<Self, FrameError> {
        let Value::Object(map) = value else {
            return Err(FrameError::bad_request("frame is not a JSON object"));
        };
        // Read before anything else can fail, so that every refusal can echo it.
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| is_valid_id(id))
            .map(str::to_owned);
        let fields = Fields(&map);
        let action = match map.get("action") {
            Some(Value::String(action)) if !action.is_empty() => action.as_str(),
            Some(_) => {
                return Err(FrameError::bad_request("action must be a non-empty string").with_id(id))
            }
            None => return Err(FrameError::bad_request("frame has no action").with_id(id)),
        };
        let frame = match action {
            "send" => Send::parse(&fields).map(Self::Send),
            "sync" => Sync::parse(&fields).map(Self::Sync),
            "ack" => Ack::parse(&fields).map(Self::Ack),
            "typing" => Typing::parse(&fields).map(Self::Typing),
            "lookup" => Lookup::parse(&fields).map(Self::Lookup),
            "createGroup" => CreateGroup::parse(&fields).map(Self::CreateGroup),
            "addMembers" => Members::parse(&fields).map(Self::AddMembers),
            "removeMembers" => Members::parse(&fields).map(Self::RemoveMembers),
            "leaveGroup" => LeaveGroup::parse(&fields).map(Self::LeaveGroup),
            "uploadUrl" => UploadUrl::parse(&fields).map(Self::UploadUrl),
            "downloadUrl" => DownloadUrl::parse(&fields).map(Self::DownloadUrl),
            "registerPush" => RegisterPush::parse(&fields).map(Self::RegisterPush),
            "keysUpload" => KeysUpload::parse(&fields).map(Self::KeysUpload),
            "keysQuery" => KeysQuery::parse(&fields).map(Self::KeysQuery),
            "keysClaim" => KeysClaim::parse(&fields).map(Self::KeysClaim),
            "sendToDevice" => SendToDevice::parse(&fields).map(Self::SendToDevice),
            "toDeviceSync" => ToDeviceSync::parse(&fields).map(Self::ToDeviceSync),
            "toDeviceAck" => ToDeviceAck::parse(&fields).map(Self::ToDeviceAck),
            "prefs" => Prefs::parse(&fields).map(Self::Prefs),
            "ping" => Ping::parse(&fields).map(Self::Ping),
            "chat" => Chat::parse(&fields).map(Self::Chat),
            "chats" => Chats::parse(&fields).map(Self::Chats),
            "presence" => Presence::parse(&fields).map(Self::Presence),
            "privacy" => Privacy::parse(&fields).map(Self::Privacy),
            "block" => Block::parse(&fields).map(Self::Block),
            "blocks" => Blocks::parse(&fields).map(Self::Blocks),
            unknown => {
                // Echo the action only when it is short and plain, so the reply stays small.
                let shown: String = unknown
                    .chars()
                    .take(64)
                    .filter(|c| !c.is_control())
                    .collect();
                Err(FrameError::bad_request(format!(
                    "unknown action \"{shown}\""
                )))
            }
        };
        frame.map_err(|error| error.with_id(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use serde_json::json;

    #[test]
    fn unreadable_frames_say_why_and_keep_a_valid_id() {
        let refusal = |text: &str| ClientFrame::parse(text).unwrap_err();
        assert_eq!(refusal("not json").message, "frame is not valid JSON");
        assert_eq!(refusal("[1,2]").message, "frame is not a JSON object");
        let no_action = refusal(r#"{"id":"k9"}"#);
        assert_eq!(no_action.message, "frame has no action");
        assert_eq!(no_action.id.as_deref(), Some("k9"));
        let bad_action = refusal(r#"{"action":7,"id":"bad id"}"#);
        assert_eq!(bad_action.message, "action must be a non-empty string");
        assert_eq!(bad_action.id, None, "an invalid id is not echoed");
        let unknown = refusal(r#"{"action":"fly","id":"f1"}"#);
        assert_eq!(unknown.message, "unknown action \"fly\"");
        assert_eq!(unknown.id.as_deref(), Some("f1"));
        assert_eq!(unknown.code, ErrorCode::BadRequest);
    }

    #[test]
    fn a_refused_field_keeps_the_id_for_the_reply() {
        let error = ClientFrame::parse(r#"{"action":"send","id":"m7","toUser":"u"}"#).unwrap_err();
        assert_eq!(error.id.as_deref(), Some("m7"));
        assert!(error.message.contains("needs a body"));
    }

    #[test]
    fn long_unknown_actions_are_shown_short() {
        let long = "x".repeat(500);
        let error = ClientFrame::parse(&json!({"action": long}).to_string()).unwrap_err();
        assert_eq!(
            error.message,
            format!("unknown action \"{}\"", "x".repeat(64))
        );
    }

    #[test]
    fn frames_deserialize_through_the_same_checks() {
        let ok: ClientFrame =
            serde_json::from_value(json!({"action": "typing", "conversation": "d:a:b"})).unwrap();
        assert_eq!(ok.action(), "typing");
        assert!(serde_json::from_value::<ClientFrame>(
            json!({"action": "typing", "conversation": "nope"})
        )
        .is_err());
    }
}
