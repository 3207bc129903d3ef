//! A stored message: the copy in each member's mailbox, and the frame it becomes.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeSet, HashMap};

use crate::cursor::{self, Cursor};
use parley_protocol::{
    Attachment, ChangeKind, ConversationId, MessageState, Reply, ServerFrame, System,
};

/// Messages (and everything stored with them) live for 30 days.
pub const RETENTION_SECS: i64 = 30 * 24 * 60 * 60;
/// The attribute marking a member's copy as stored while the member had no live device: the
/// push function is invoked for those copies only (the template's `FilterCriteria`). A copy
/// without it reached a device when it was sent, or is the sender's own.
pub const OFFLINE: &str = "offline";
/// The attribute marking the copy of a member the message mentions.
pub const MENTION: &str = "mention";
/// The attribute holding end-to-end encrypted content (opaque to every function).
pub const ENCRYPTED: &str = "encrypted";
/// The attribute marking a blocker's placeholder for an entry of someone they block: the
/// copy holds its conversation, seq and time, nothing else ([`Message::skip_item`]).
pub const SKIP: &str = "skip";

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub conversation: ConversationId,
    pub seq: u64,
    /// The server's id for the message.
    pub message_id: String,
    /// The sender's id for it (`id` in frames), which makes retries idempotent.
    pub client_id: String,
    pub from: String,
    /// Server time of the send, epoch milliseconds.
    pub ts: i64,
    pub body: Option<String>,
    pub attachment: Option<Attachment>,
    /// Membership changes of groups.
    pub system: Option<System>,
    /// A change entry: what it does to the message at `target` ([`crate::rules::changes`]).
    pub kind: Option<ChangeKind>,
    pub target: Option<u64>,
    /// The message this one quotes.
    pub reply_to: Option<Reply>,
    /// The members this message mentions (members only).
    pub mentions: Vec<String>,
    pub forwarded: bool,
    /// A reaction's one member to wake: the target's author, when they had no live device
    /// and asked to be pushed for reactions (decided when it is stored).
    pub wakes: Option<String>,
    /// End-to-end encrypted content in place of `body`: stored and delivered byte for byte,
    /// never parsed, never logged, never pushed.
    pub encrypted: Option<String>,
    /// A `timer` entry's new disappearing-messages timer, in seconds (0: off).
    pub seconds: Option<u64>,
    /// The disappearing-messages timer this message was sent under, in seconds: it expires
    /// that long after `ts` (at most [`RETENTION_SECS`]). None: the plain retention.
    pub lifetime: Option<u64>,
}

/// Whether a stored item (a copy, a log entry, a state item) is past its `ttl` at `now_ms`:
/// gone, for every reader, whether or not DynamoDB's TTL (hours to days late) has deleted
/// it yet.
pub fn expired(item: &HashMap<String, AttributeValue>, now_ms: i64) -> bool {
    item.get("ttl")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|ttl| ttl * 1000 <= now_ms)
}

impl Message {
    /// Where this message sits in every member's mailbox.
    pub fn position(&self) -> String {
        cursor::position(self.ts, self.conversation.as_str(), self.seq)
    }

    /// Epoch seconds after which the copies expire: the end of the retention, or sooner
    /// under a disappearing-messages timer ([`Message::lifetime`]).
    pub fn expires_at(&self) -> i64 {
        let lifetime = self
            .lifetime
            .map_or(RETENTION_SECS, |l| {
                i64::try_from(l).unwrap_or(RETENTION_SECS)
            })
            .min(RETENTION_SECS);
        self.ts / 1000 + lifetime
    }

    /// For a message sent under a disappearing-messages timer, when it expires, epoch
    /// milliseconds (what `message` frames carry as `expiresAt`).
    pub fn disappears_at(&self) -> Option<i64> {
        self.lifetime.map(|_| self.expires_at() * 1000)
    }

    /// Whether this is a message (a plain one or a membership change), not a change to one.
    pub fn is_original(&self) -> bool {
        self.kind.is_none()
    }

    /// The `message` frame, with the cursor a client may sync from after it.
    pub fn frame(&self, cursor: &Cursor) -> ServerFrame {
        self.frame_with_state(cursor, None)
    }

    /// What a blocker gets in place of this entry: its conversation and seq only.
    pub fn skip_frame(&self, cursor: &Cursor) -> ServerFrame {
        ServerFrame::Skip {
            conversation: self.conversation.clone(),
            seq: self.seq,
            cursor: cursor.encode(),
        }
    }

    /// A blocker's placeholder, as [`Message::from_item`] reads it back: no author, no ids,
    /// no content.
    pub fn is_skip(&self) -> bool {
        self.message_id.is_empty()
    }

    /// The `message` frame with the message's current `state` (sync); a `skip` for a
    /// placeholder.
    pub fn frame_with_state(&self, cursor: &Cursor, state: Option<MessageState>) -> ServerFrame {
        if self.is_skip() {
            return self.skip_frame(cursor);
        }
        ServerFrame::Message {
            conversation: self.conversation.clone(),
            seq: self.seq,
            message_id: self.message_id.clone(),
            id: self.client_id.clone(),
            from: self.from.clone(),
            ts: self.ts,
            cursor: cursor.encode(),
            body: self.body.clone(),
            attachment: self.attachment.clone(),
            system: self.system.clone(),
            kind: self.kind,
            target: self.target,
            reply_to: self.reply_to.clone(),
            mentions: self.mentions.clone(),
            forwarded: self.forwarded,
            state,
            encrypted: self.encrypted.clone(),
            seconds: self.seconds,
            expires_at: self.disappears_at(),
        }
    }

    /// Whether `owner`'s copy is to wake their devices when they have none live: a message
    /// does, for everyone but its sender; a reaction only the author it [`Message::wakes`];
    /// other changes nobody (the next sync brings them).
    pub fn pushes_to(&self, owner: &str) -> bool {
        owner != self.from
            && match self.kind {
                None => true,
                Some(ChangeKind::React) => self.wakes.as_deref() == Some(owner),
                Some(_) => false,
            }
    }

    /// The copy in `owner`'s mailbox. `reachable` are the users who had a live device when
    /// the message was stored: every other member's copy is marked [`OFFLINE`] if the
    /// message pushes to them ([`Message::pushes_to`]), which is what the push function's
    /// event source lets through. The sender's copy never is.
    pub fn copy_item(
        &self,
        owner: &str,
        reachable: &BTreeSet<String>,
    ) -> HashMap<String, AttributeValue> {
        let mut item = self.to_item(owner);
        if self.pushes_to(owner) && !reachable.contains(owner) {
            item.insert(OFFLINE.into(), AttributeValue::Bool(true));
        }
        // What push (and a member's mute, which a mention overrides) reads of the copy.
        if self.mentions.iter().any(|m| m == owner) {
            item.insert(MENTION.into(), AttributeValue::Bool(true));
        }
        item
    }

    /// The placeholder in the mailbox of `owner`, who blocks the sender: the entry's
    /// conversation, seq and time (its position), so that the owner's seqs stay dense, and
    /// nothing of the sender or the content. Never marked for push.
    pub fn skip_item(&self, owner: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("userId".into(), AttributeValue::S(owner.to_owned())),
            ("sk".into(), AttributeValue::S(self.position())),
            (
                "conversation".into(),
                AttributeValue::S(self.conversation.to_string()),
            ),
            ("seq".into(), AttributeValue::N(self.seq.to_string())),
            ("ts".into(), AttributeValue::N(self.ts.to_string())),
            (
                "ttl".into(),
                AttributeValue::N(self.expires_at().to_string()),
            ),
            (SKIP.into(), AttributeValue::Bool(true)),
        ])
    }

    /// The copy in `owner`'s mailbox, unmarked.
    pub fn to_item(&self, owner: &str) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([
            ("userId".into(), AttributeValue::S(owner.to_owned())),
            ("sk".into(), AttributeValue::S(self.position())),
            (
                "conversation".into(),
                AttributeValue::S(self.conversation.to_string()),
            ),
            ("seq".into(), AttributeValue::N(self.seq.to_string())),
            (
                "messageId".into(),
                AttributeValue::S(self.message_id.clone()),
            ),
            ("clientId".into(), AttributeValue::S(self.client_id.clone())),
            ("from".into(), AttributeValue::S(self.from.clone())),
            ("ts".into(), AttributeValue::N(self.ts.to_string())),
            (
                "ttl".into(),
                AttributeValue::N(self.expires_at().to_string()),
            ),
        ]);
        if let Some(body) = &self.body {
            item.insert("body".into(), AttributeValue::S(body.clone()));
        }
        if let Some(attachment) = &self.attachment {
            let json = serde_json::to_string(attachment).unwrap_or_default();
            item.insert("attachment".into(), AttributeValue::S(json));
        }
        if let Some(system) = &self.system {
            let json = serde_json::to_string(system).unwrap_or_default();
            item.insert("system".into(), AttributeValue::S(json));
        }
        if let Some(kind) = self.kind {
            item.insert("kind".into(), AttributeValue::S(kind.as_str().to_owned()));
        }
        if let Some(target) = self.target {
            item.insert("target".into(), AttributeValue::N(target.to_string()));
        }
        if let Some(reply_to) = &self.reply_to {
            let json = serde_json::to_string(reply_to).unwrap_or_default();
            item.insert("replyTo".into(), AttributeValue::S(json));
        }
        if !self.mentions.is_empty() {
            item.insert(
                "mentions".into(),
                AttributeValue::L(
                    self.mentions
                        .iter()
                        .cloned()
                        .map(AttributeValue::S)
                        .collect(),
                ),
            );
        }
        if self.forwarded {
            item.insert("forwarded".into(), AttributeValue::Bool(true));
        }
        if let Some(wakes) = &self.wakes {
            item.insert("wakes".into(), AttributeValue::S(wakes.clone()));
        }
        if let Some(encrypted) = &self.encrypted {
            item.insert(ENCRYPTED.into(), AttributeValue::S(encrypted.clone()));
        }
        if let Some(seconds) = self.seconds {
            item.insert("seconds".into(), AttributeValue::N(seconds.to_string()));
        }
        if let Some(lifetime) = self.lifetime {
            item.insert("lifetime".into(), AttributeValue::N(lifetime.to_string()));
        }
        item
    }

    pub fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        let n = |k: &str| item.get(k)?.as_n().ok()?.parse::<i64>().ok();
        if item.get(SKIP).and_then(|v| v.as_bool().ok()) == Some(&true) {
            return Some(Self {
                conversation: ConversationId::parse(&s("conversation")?).ok()?,
                seq: u64::try_from(n("seq")?).ok()?,
                message_id: String::new(),
                client_id: String::new(),
                from: String::new(),
                ts: n("ts")?,
                body: None,
                attachment: None,
                system: None,
                kind: None,
                target: None,
                reply_to: None,
                mentions: Vec::new(),
                forwarded: false,
                wakes: None,
                encrypted: None,
                seconds: None,
                lifetime: None,
            });
        }
        Some(Self {
            conversation: ConversationId::parse(&s("conversation")?).ok()?,
            seq: u64::try_from(n("seq")?).ok()?,
            message_id: s("messageId")?,
            client_id: s("clientId")?,
            from: s("from")?,
            ts: n("ts")?,
            body: s("body"),
            attachment: s("attachment").and_then(|json| serde_json::from_str(&json).ok()),
            system: s("system").and_then(|json| serde_json::from_str(&json).ok()),
            kind: s("kind").and_then(|kind| ChangeKind::parse(&kind)),
            target: n("target").and_then(|seq| u64::try_from(seq).ok()),
            reply_to: s("replyTo").and_then(|json| serde_json::from_str(&json).ok()),
            mentions: item
                .get("mentions")
                .and_then(|v| v.as_l().ok())
                .map(|list| list.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
                .unwrap_or_default(),
            forwarded: item.get("forwarded").and_then(|v| v.as_bool().ok()) == Some(&true),
            wakes: s("wakes"),
            encrypted: s(ENCRYPTED),
            seconds: n("seconds").and_then(|s| u64::try_from(s).ok()),
            lifetime: n("lifetime").and_then(|s| u64::try_from(s).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message {
            conversation: ConversationId::direct("a", "b"),
            seq: 4,
            message_id: "mid".into(),
            client_id: "c-1".into(),
            from: "a".into(),
            ts: 1_700_000_000_000,
            body: Some("hello".into()),
            attachment: Some(Attachment {
                key: "k".into(),
                name: "n.png".into(),
                content_type: "image/png".into(),
                size: 10,
            }),
            system: None,
            kind: None,
            target: None,
            reply_to: Some(Reply {
                seq: 2,
                from: "b".into(),
                preview: Some("hm".into()),
            }),
            mentions: vec!["b".into()],
            forwarded: true,
            wakes: None,
            encrypted: None,
            seconds: None,
            lifetime: None,
        }
    }

    #[test]
    fn items_round_trip_per_owner() {
        let message = sample();
        let item = message.to_item("b");
        assert_eq!(item["userId"].as_s().unwrap(), "b");
        assert_eq!(item["sk"].as_s().unwrap(), &message.position());
        assert_eq!(
            item["ttl"].as_n().unwrap(),
            &(1_700_000_000 + RETENTION_SECS).to_string()
        );
        assert_eq!(Message::from_item(&item).unwrap(), message);
    }

    #[test]
    fn a_blocker_s_placeholder_holds_nothing_of_the_sender_and_reads_back_as_a_skip() {
        let message = sample();
        let item = message.skip_item("b");
        assert_eq!(item["sk"].as_s().unwrap(), &message.position());
        for attribute in [
            "from",
            "body",
            "attachment",
            "messageId",
            "clientId",
            OFFLINE,
        ] {
            assert!(!item.contains_key(attribute), "{attribute}");
        }
        let read = Message::from_item(&item).unwrap();
        assert!(read.is_skip() && !message.is_skip());
        let cursor = Cursor::start();
        assert_eq!(
            read.frame(&cursor),
            ServerFrame::Skip {
                conversation: message.conversation.clone(),
                seq: message.seq,
                cursor: cursor.encode(),
            }
        );
    }

    #[test]
    fn copies_of_members_without_a_live_device_are_marked_offline() {
        let message = sample();
        let reachable = BTreeSet::from(["c".to_owned()]);
        let offline = |owner: &str| message.copy_item(owner, &reachable).get(OFFLINE).cloned();
        assert_eq!(offline("b"), Some(AttributeValue::Bool(true)));
        assert_eq!(offline("c"), None, "reached a device");
        assert_eq!(offline("a"), None, "the sender's own copy");
        let edit = Message {
            kind: Some(ChangeKind::Edit),
            target: Some(3),
            ..message.clone()
        };
        assert_eq!(
            edit.copy_item("b", &reachable).get(OFFLINE),
            None,
            "a change wakes nobody"
        );
        let reaction = Message {
            kind: Some(ChangeKind::React),
            wakes: Some("b".into()),
            ..edit.clone()
        };
        let marked =
            |m: &Message, owner: &str| m.copy_item(owner, &reachable).contains_key(OFFLINE);
        assert!(marked(&reaction, "b"), "the author who asked for it");
        assert!(!marked(&reaction, "d"), "nobody else");
        let unwanted = Message {
            wakes: None,
            ..reaction.clone()
        };
        assert!(!marked(&unwanted, "b"), "an author who did not ask");
        assert_eq!(
            message.copy_item("b", &reachable).get(MENTION),
            Some(&AttributeValue::Bool(true)),
            "the mentioned member's copy"
        );
        assert_eq!(message.copy_item("c", &reachable).get(MENTION), None);
        assert_eq!(
            Message::from_item(&message.copy_item("b", &reachable)).unwrap(),
            message
        );
    }

    #[test]
    fn encrypted_content_is_stored_and_framed_byte_for_byte() {
        let content = r#"{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgA\u00e9"}"#;
        let message = Message {
            body: None,
            encrypted: Some(content.into()),
            ..sample()
        };
        let item = message.to_item("b");
        assert_eq!(item[ENCRYPTED].as_s().unwrap(), content);
        assert!(!item.contains_key("body"));
        assert_eq!(Message::from_item(&item).unwrap(), message);
        let ServerFrame::Message {
            encrypted, body, ..
        } = message.frame(&Cursor::at(&message.position()))
        else {
            unreachable!()
        };
        assert_eq!((encrypted.as_deref(), body), (Some(content), None));
    }

    #[test]
    fn frames_carry_the_cursor_and_the_client_id() {
        let message = sample();
        let frame = serde_json::to_value(message.frame(&Cursor::at(&message.position()))).unwrap();
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["id"], "c-1");
        assert_eq!(frame["messageId"], "mid");
        assert_eq!(frame["attachment"]["contentType"], "image/png");
        assert!(frame.get("system").is_none());
        let cursor = Cursor::decode(frame["cursor"].as_str().unwrap()).unwrap();
        assert_eq!(cursor.position(), message.position());
    }

    #[test]
    fn a_message_under_a_timer_expires_with_it_and_says_when() {
        let day = 24 * 60 * 60;
        let message = Message {
            lifetime: Some(day),
            ..sample()
        };
        let item = message.to_item("b");
        assert_eq!(
            item["ttl"].as_n().unwrap(),
            &(1_700_000_000 + day as i64).to_string()
        );
        assert_eq!(Message::from_item(&item).unwrap(), message);
        let ServerFrame::Message { expires_at, .. } =
            message.frame(&Cursor::at(&message.position()))
        else {
            unreachable!()
        };
        assert_eq!(expires_at, Some((1_700_000_000 + day as i64) * 1000));
        assert!(!expired(&item, (1_700_000_000 + day as i64) * 1000 - 1));
        assert!(expired(&item, (1_700_000_000 + day as i64) * 1000));
        let ninety_days = Message {
            lifetime: Some(90 * day),
            ..sample()
        };
        assert_eq!(
            ninety_days.expires_at(),
            1_700_000_000 + RETENTION_SECS,
            "never past the retention"
        );
        let plain = sample();
        let ServerFrame::Message { expires_at, .. } = plain.frame(&Cursor::at(&plain.position()))
        else {
            unreachable!()
        };
        assert_eq!(expires_at, None, "a message under no timer says nothing");
    }
}
