//! The frames the server sends. Every one has a `type`. A frame without a `type` is API
//! Gateway's own answer when the backend failed (`{"message": "Internal server error", …}`):
//! clients treat it as a transient server error.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::changes::{ChangeKind, MessageState, Reply};
use crate::client::{DeviceKeys, SignedKeys};
use crate::error::ErrorCode;
use crate::ids::ConversationId;

/// A frame the server sends.
// `message` is much the largest variant; frames are made, serialized or matched once and
// dropped, never stored in bulk, so boxing every field of it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ServerFrame {
    /// The message is durably stored (reply to `send`, the same for every retry of an id).
    Sent {
        id: String,
        conversation: ConversationId,
        #[cfg_attr(test, ts(type = "number"))]
        seq: u64,
        message_id: String,
        #[cfg_attr(test, ts(type = "number"))]
        ts: i64,
    },
    /// A message, live or as sync output.
    Message {
        conversation: ConversationId,
        #[cfg_attr(test, ts(type = "number"))]
        seq: u64,
        message_id: String,
        /// The sender's frame id.
        id: String,
        from: String,
        #[cfg_attr(test, ts(type = "number"))]
        ts: i64,
        cursor: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        attachment: Option<Attachment>,
        /// Set on a group's membership changes (and then there is no body).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        system: Option<System>,
        /// A change entry: what it does to the message at `target` (absent: a message).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        kind: Option<ChangeKind>,
        /// The seq a change entry changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        target: Option<u64>,
        /// The message this one quotes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        reply_to: Option<Reply>,
        /// The members this message mentions.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
        mentions: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(test, ts(as = "Option<bool>", optional))]
        forwarded: bool,
        /// The message's state after the changes made to it so far: only on messages a
        /// `sync` returns, and only once something changed them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        state: Option<MessageState>,
        /// End-to-end encrypted content (then there is no body), as the sender gave it,
        /// byte for byte.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        encrypted: Option<String>,
        /// A `timer` entry's new disappearing-messages timer, in seconds (0: off).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        seconds: Option<u64>,
        /// When a message sent under a disappearing-messages timer expires, epoch
        /// milliseconds: clients hide and delete it then, and the server treats it as gone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        expires_at: Option<i64>,
    },
    /// Ends a `sync`; with `more` the client syncs again from `cursor`.
    Synced { cursor: String, more: bool },
    /// Someone acknowledged messages up to `seq`.
    Receipt {
        conversation: ConversationId,
        #[cfg_attr(test, ts(type = "number"))]
        seq: u64,
        by: String,
        status: AckStatus,
    },
    /// Someone is typing in a conversation.
    Typing {
        conversation: ConversationId,
        from: String,
    },
    /// Reply to `lookup`: registered users only.
    Users { id: String, users: Vec<UserEntry> },
    /// Reply to `registerPush`: the token is registered for this user.
    PushRegistered { id: String },
    /// Reply to `prefs`: the caller's preferences as they now stand.
    Prefs { id: String, reaction_push: bool },
    /// Reply to the group actions: the group as it stands after the change.
    Group {
        id: String,
        conversation: ConversationId,
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
        headers: BTreeMap<String, String>,
        #[cfg_attr(test, ts(type = "number"))]
        expires_in: u64,
    },
    /// Reply to `downloadUrl`: a presigned GET.
    DownloadUrl {
        id: String,
        url: String,
        #[cfg_attr(test, ts(type = "number"))]
        expires_in: u64,
    },
    /// Reply to `keysUpload`: what the server now holds for the calling device.
    KeysUploaded {
        id: String,
        /// One-time keys left, by algorithm (`signed_curve25519`, 0 included).
        #[cfg_attr(test, ts(type = "Record<string, number>"))]
        one_time_key_counts: BTreeMap<String, u64>,
        /// `["signed_curve25519"]` while the device's fallback key was never handed out.
        unused_fallback_keys: Vec<String>,
    },
    /// Reply to `keysQuery`, in parts: `{<user id>: {<device id>: <deviceKeys>}}`, every user
    /// asked in exactly one part (`{}` when they have no device). Parts with `more` are posted
    /// before the last, which answers the route.
    Keys {
        id: String,
        devices: BTreeMap<String, BTreeMap<String, DeviceKeys>>,
        more: bool,
    },
    /// Reply to `keysClaim`: `{<user id>: {<device id>: {"signed_curve25519:<key id>":
    /// {…}}}}`, one key per device; a device with no key left is absent.
    Claimed {
        id: String,
        #[cfg_attr(
            test,
            ts(type = "Record<string, Record<string, Record<string, unknown>>>")
        )]
        one_time_keys: BTreeMap<String, BTreeMap<String, SignedKeys>>,
    },
    /// Reply to `sendToDevice`: every message is stored.
    ToDeviceSent { id: String },
    /// Messages for this device, live or as `toDeviceSync` output; `toDeviceAck` their ids.
    ToDevice { messages: Vec<ToDeviceMessage> },
    /// Ends a `toDeviceSync`; with `more` the client acknowledges and syncs again.
    ToDeviceSynced {
        more: bool,
        #[cfg_attr(test, ts(type = "Record<string, number>"))]
        one_time_key_counts: BTreeMap<String, u64>,
        unused_fallback_keys: Vec<String>,
    },
    /// Reply to `toDeviceAck`.
    ToDeviceAcked {
        #[cfg_attr(test, ts(type = "Record<string, number>"))]
        one_time_key_counts: BTreeMap<String, u64>,
        unused_fallback_keys: Vec<String>,
    },
    /// Reply to `ping` (echoing its `id`, when it had one).
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        id: Option<String>,
    },
    /// The caller's settings for a conversation: the reply to `chat` (with its `id`), and
    /// posted without one to the caller's other devices when they change.
    Chat {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        id: Option<String>,
        conversation: ConversationId,
        /// Muted until this time (ms since the epoch), `-1` for always; absent: not muted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        muted_until: Option<i64>,
        archived: bool,
        pinned: bool,
        unread: bool,
    },
    /// Reply to `chats`: every conversation whose settings are not the defaults.
    Chats {
        id: String,
        chats: Vec<ChatSettings>,
    },
    /// A user's presence: the reply to `presence` (with its `id`; neither `online` nor
    /// `lastSeen` when their privacy, or the caller's own, hides it), and posted without an
    /// `id` to the watchers when the user comes online or goes offline.
    Presence {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        id: Option<String>,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        online: Option<bool>,
        /// When their last connection closed (ms since the epoch), while offline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        last_seen: Option<i64>,
    },
    /// Reply to `privacy`: whom the caller shows their presence to.
    Privacy {
        id: String,
        last_seen: crate::client::Audience,
    },
    /// Whether the caller blocks `user`: the reply to `block` (with its `id`), and posted
    /// without one to the caller's other devices. The blocked user is never told.
    Blocked {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        id: Option<String>,
        user: String,
        blocked: bool,
    },
    /// Reply to `blocks`: every user the caller blocks.
    Blocks { id: String, users: Vec<String> },
    /// "The entry at `seq` of `conversation` holds nothing for you": what a blocker gets, live
    /// and by `sync`, in place of an entry from someone they block, so that seqs stay dense
    /// (no author, no content). Clients count it as delivered and show nothing.
    Skip {
        conversation: ConversationId,
        #[cfg_attr(test, ts(type = "number"))]
        seq: u64,
        /// As in `message`: a client may sync from after it.
        cursor: String,
    },
    /// Reply to `deviceChanges`: the users (the caller included) whose device list changed
    /// after `since`; ask again from `until`. With `reset`, `since` was older than the
    /// server keeps changes: treat every user's device list as changed.
    DeviceChanges {
        id: String,
        users: Vec<String>,
        #[cfg_attr(test, ts(type = "number"))]
        until: i64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(test, ts(as = "Option<bool>", optional))]
        reset: bool,
    },
    /// Posted to every device of everyone who shares a conversation with `user` (and to
    /// `user`'s own) when `user` registered or removed a device: query their keys again.
    DeviceChanged { user: String },
    /// Reply to `removeDevice`, and posted to the removed device's own connections: its keys
    /// and inbox are gone.
    DeviceRemoved { id: String, device: String },
    /// A refusal. `id` is the frame's, when it had a valid one.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        id: Option<String>,
        code: ErrorCode,
        message: String,
    },
}

/// One message of a device's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToDeviceMessage {
    /// The inbox id, for `toDeviceAck`.
    pub id: String,
    pub from: String,
    pub from_device: String,
    pub event_type: String,
    /// As the sender gave it, byte for byte.
    pub content: String,
}

/// One user's settings for one conversation (`chats`); the defaults are all off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChatSettings {
    pub conversation: ConversationId,
    /// Muted until this time (ms since the epoch), [`MUTED_ALWAYS`] for always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub muted_until: Option<i64>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub unread: bool,
}

/// `mutedUntil` of a conversation muted for good.
pub const MUTED_ALWAYS: i64 = -1;

impl ChatSettings {
    /// No settings: what a conversation without any has.
    pub fn default_for(conversation: ConversationId) -> Self {
        Self {
            conversation,
            muted_until: None,
            archived: false,
            pinned: false,
            unread: false,
        }
    }

    /// Whether notifications are held back at `now_ms`.
    pub fn is_muted(&self, now_ms: i64) -> bool {
        is_muted(self.muted_until, now_ms)
    }

    /// The settings as the `chat` frame that carries them (`id`: the reply's).
    pub fn into_frame(self, id: Option<String>) -> ServerFrame {
        ServerFrame::Chat {
            id,
            conversation: self.conversation,
            muted_until: self.muted_until,
            archived: self.archived,
            pinned: self.pinned,
            unread: self.unread,
        }
    }
}

/// Whether a conversation muted until `muted_until` is muted at `now_ms`.
pub fn is_muted(muted_until: Option<i64>, now_ms: i64) -> bool {
    match muted_until {
        Some(MUTED_ALWAYS) => true,
        Some(until) => until > now_ms,
        None => false,
    }
}

/// A file attached to a message, as `uploadUrl` described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Attachment {
    pub key: String,
    pub name: String,
    pub content_type: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub size: u64,
}

/// How far a reader got: `read` implies `delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UserEntry {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub phone: Option<String>,
}

/// A group's membership change, carried by the stored message that orders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct System {
    pub event: SystemEvent,
    /// The members the change is about: all of them (`created`), the new ones (`added`),
    /// the removed (`removed`), the one who left (`left`).
    pub members: Vec<String>,
    /// The group's name after the change.
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum SystemEvent {
    Created,
    Added,
    Removed,
    Left,
}

impl ServerFrame {
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: no maps with non-string keys, no floats.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The frame id a reply echoes, if it is a reply.
    pub fn reply_to(&self) -> Option<&str> {
        match self {
            Self::Sent { id, .. }
            | Self::Users { id, .. }
            | Self::PushRegistered { id }
            | Self::Prefs { id, .. }
            | Self::Group { id, .. }
            | Self::UploadUrl { id, .. }
            | Self::DownloadUrl { id, .. }
            | Self::KeysUploaded { id, .. }
            | Self::Keys { id, .. }
            | Self::Claimed { id, .. }
            | Self::ToDeviceSent { id }
            | Self::Chats { id, .. }
            | Self::Privacy { id, .. }
            | Self::Blocks { id, .. }
            | Self::DeviceChanges { id, .. }
            | Self::DeviceRemoved { id, .. } => Some(id),
            Self::Error { id, .. }
            | Self::Pong { id }
            | Self::Chat { id, .. }
            | Self::Presence { id, .. }
            | Self::Blocked { id, .. } => id.as_deref(),
            Self::Message { .. }
            | Self::Skip { .. }
            | Self::Synced { .. }
            | Self::Receipt { .. }
            | Self::Typing { .. }
            | Self::ToDevice { .. }
            | Self::ToDeviceSynced { .. }
            | Self::ToDeviceAcked { .. }
            | Self::DeviceChanged { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn round_trip(frame: &ServerFrame, expected: Value) {
        assert_eq!(serde_json::to_value(frame).unwrap(), expected);
        assert_eq!(
            &serde_json::from_value::<ServerFrame>(expected).unwrap(),
            frame
        );
    }

    fn conversation(text: &str) -> ConversationId {
        ConversationId::parse(text).unwrap()
    }

    #[test]
    fn chat_settings_round_trip_and_say_whether_muted() {
        let group = conversation("g:5f1d2c3b4a5968778695a4b3c2d1e0f9");
        let mut settings = ChatSettings::default_for(group.clone());
        settings.muted_until = Some(1_000);
        settings.pinned = true;
        round_trip(
            &settings.clone().into_frame(Some("c1".into())),
            json!({"type": "chat", "id": "c1", "conversation": group.to_string(),
                   "mutedUntil": 1000, "archived": false, "pinned": true, "unread": false}),
        );
        round_trip(
            &ServerFrame::Chats {
                id: "l1".into(),
                chats: vec![settings.clone()],
            },
            json!({"type": "chats", "id": "l1", "chats": [{"conversation": group.to_string(),
                   "mutedUntil": 1000, "archived": false, "pinned": true, "unread": false}]}),
        );
        round_trip(&ServerFrame::Pong { id: None }, json!({"type": "pong"}));
        assert!(settings.is_muted(999) && !settings.is_muted(1_000));
        assert!(is_muted(Some(MUTED_ALWAYS), i64::MAX));
        assert!(!is_muted(None, 0));
    }

    #[test]
    fn error_frames_have_the_contract_shape() {
        round_trip(
            &ServerFrame::Error {
                id: Some("a1".into()),
                code: ErrorCode::BadRequest,
                message: "nope".into(),
            },
            json!({"type": "error", "id": "a1", "code": "bad_request", "message": "nope"}),
        );
        round_trip(
            &ServerFrame::Error {
                id: None,
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
            },
            json!({"type": "error", "code": "rate_limited", "message": "slow down"}),
        );
    }

    #[test]
    fn frames_use_the_contract_field_names() {
        round_trip(
            &ServerFrame::Sent {
                id: "m1".into(),
                conversation: conversation("d:a:b"),
                seq: 3,
                message_id: "x".into(),
                ts: 5,
            },
            json!({"type": "sent", "id": "m1", "conversation": "d:a:b", "seq": 3, "messageId": "x", "ts": 5}),
        );
        round_trip(
            &ServerFrame::Receipt {
                conversation: conversation("d:a:b"),
                seq: 2,
                by: "b".into(),
                status: AckStatus::Read,
            },
            json!({"type": "receipt", "conversation": "d:a:b", "seq": 2, "by": "b", "status": "read"}),
        );
        round_trip(
            &ServerFrame::Users {
                id: "l1".into(),
                users: vec![UserEntry {
                    user_id: "u".into(),
                    email: Some("e@x".into()),
                    phone: None,
                }],
            },
            json!({"type": "users", "id": "l1", "users": [{"userId": "u", "email": "e@x"}]}),
        );
        round_trip(
            &ServerFrame::Synced {
                cursor: "c".into(),
                more: false,
            },
            json!({"type": "synced", "cursor": "c", "more": false}),
        );
    }

    #[test]
    fn group_and_file_frames_use_the_contract_field_names() {
        let group = "g:0123456789abcdef0123456789abcdef";
        round_trip(
            &ServerFrame::Group {
                id: "g1".into(),
                conversation: conversation(group),
                name: "team".into(),
                members: vec!["a".into(), "b".into()],
                admins: vec!["a".into()],
            },
            json!({"type": "group", "id": "g1", "conversation": group, "name": "team", "members": ["a", "b"], "admins": ["a"]}),
        );
        round_trip(
            &ServerFrame::UploadUrl {
                id: "u1".into(),
                key: "k".into(),
                url: "https://x".into(),
                method: "PUT".into(),
                headers: [("content-type".to_owned(), "image/png".to_owned())].into(),
                expires_in: 300,
            },
            json!({"type": "uploadUrl", "id": "u1", "key": "k", "url": "https://x", "method": "PUT", "headers": {"content-type": "image/png"}, "expiresIn": 300}),
        );
        round_trip(
            &ServerFrame::DownloadUrl {
                id: "d1".into(),
                url: "https://y".into(),
                expires_in: 60,
            },
            json!({"type": "downloadUrl", "id": "d1", "url": "https://y", "expiresIn": 60}),
        );
    }

    #[test]
    fn a_system_message_carries_the_change() {
        let group = "g:0123456789abcdef0123456789abcdef";
        round_trip(
            &ServerFrame::Message {
                conversation: conversation(group),
                seq: 1,
                message_id: "m".into(),
                id: "c1".into(),
                from: "a".into(),
                ts: 9,
                cursor: "k".into(),
                body: None,
                attachment: None,
                system: Some(System {
                    event: SystemEvent::Created,
                    members: vec!["a".into(), "b".into()],
                    name: "team".into(),
                }),
                kind: None,
                target: None,
                reply_to: None,
                mentions: Vec::new(),
                forwarded: false,
                state: None,
                encrypted: None,
                seconds: None,
                expires_at: None,
            },
            json!({"type": "message", "conversation": group, "seq": 1, "messageId": "m", "id": "c1", "from": "a", "ts": 9, "cursor": "k",
                   "system": {"event": "created", "members": ["a", "b"], "name": "team"}}),
        );
    }

    #[test]
    fn changes_and_state_ride_on_message_frames() {
        let message = |kind, target, reply_to, state| ServerFrame::Message {
            conversation: conversation("d:a:b"),
            seq: 9,
            message_id: "m".into(),
            id: "c9".into(),
            from: "a".into(),
            ts: 9,
            cursor: "k".into(),
            body: Some("x".into()),
            attachment: None,
            system: None,
            kind,
            target,
            reply_to,
            mentions: Vec::new(),
            forwarded: false,
            state,
            encrypted: None,
            seconds: None,
            expires_at: None,
        };
        let head = json!({"type": "message", "conversation": "d:a:b", "seq": 9, "messageId": "m", "id": "c9",
                          "from": "a", "ts": 9, "cursor": "k", "body": "x"});
        let with = |extra: Value| {
            let mut frame = head.clone();
            frame
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            frame
        };
        round_trip(&message(None, None, None, None), head.clone());
        round_trip(
            &message(Some(ChangeKind::Edit), Some(4), None, None),
            with(json!({"kind": "edit", "target": 4})),
        );
        round_trip(
            &message(
                None,
                None,
                Some(Reply {
                    seq: 2,
                    from: "b".into(),
                    preview: None,
                }),
                Some(MessageState {
                    version: 12,
                    edited: Some(crate::changes::Edited {
                        seq: 12,
                        ts: 10,
                        body: "y".into(),
                        encrypted: None,
                    }),
                    ..MessageState::default()
                }),
            ),
            with(json!({"replyTo": {"seq": 2, "from": "b"},
                        "state": {"version": 12, "edited": {"seq": 12, "ts": 10, "body": "y"}}})),
        );
        // A timer entry, then a message sent under the timer.
        let entry = |kind, body: Option<&str>, seconds, expires_at| ServerFrame::Message {
            conversation: conversation("d:a:b"),
            seq: 9,
            message_id: "m".into(),
            id: "c9".into(),
            from: "a".into(),
            ts: 9,
            cursor: "k".into(),
            body: body.map(str::to_owned),
            attachment: None,
            system: None,
            kind,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            state: None,
            encrypted: None,
            seconds,
            expires_at,
        };
        round_trip(
            &entry(Some(ChangeKind::Timer), None, Some(86400), None),
            json!({"type": "message", "conversation": "d:a:b", "seq": 9, "messageId": "m", "id": "c9",
                   "from": "a", "ts": 9, "cursor": "k", "kind": "timer", "seconds": 86400}),
        );
        round_trip(
            &entry(None, Some("x"), None, Some(86_400_009)),
            with(json!({"expiresAt": 86_400_009})),
        );
    }

    #[test]
    fn encrypted_content_rides_on_message_frames_in_place_of_the_body() {
        let megolm = r#"{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgA"}"#;
        let json = json!({"type": "message", "conversation": "d:a:b", "seq": 3, "messageId": "m", "id": "c3",
               "from": "a", "ts": 9, "cursor": "k", "encrypted": megolm,
               "state": {"version": 5, "edited": {"seq": 5, "ts": 10, "body": "", "encrypted": megolm},
                         "reactions": {"b": {"seq": 4, "body": "", "encrypted": megolm}}}});
        let frame: ServerFrame = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&frame).unwrap(), json);
        let ServerFrame::Message {
            body,
            encrypted,
            state: Some(state),
            ..
        } = frame
        else {
            panic!("not a message with state: {frame:?}")
        };
        assert_eq!((body, encrypted.as_deref()), (None, Some(megolm)));
        let edited = state.edited.unwrap();
        assert_eq!(edited.encrypted.as_deref(), Some(megolm));
        assert_eq!(state.reactions["b"].encrypted.as_deref(), Some(megolm));
    }

    #[test]
    fn replies_name_the_frame_they_answer() {
        let sent = ServerFrame::PushRegistered { id: "p".into() };
        assert_eq!(sent.reply_to(), Some("p"));
        let typing = ServerFrame::Typing {
            conversation: conversation("d:a:b"),
            from: "a".into(),
        };
        assert_eq!(typing.reply_to(), None);
    }
}
