//! `send`: a message to a user (`toUser`, for a first message) or into a conversation, or,
//! with a `kind`, a change to one of its messages ([`crate::changes`]). Without a `kind` a
//! frame means exactly what it meant before changes existed.

use serde::{Deserialize, Serialize};

use crate::changes::{ChangeKind, ReplyTo};
use crate::client::Target;
use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::{is_valid_user_id, ConversationId};
use crate::limits::{
    MAX_BODY_BYTES, MAX_ENCRYPTED_BYTES, MAX_ENCRYPTED_REACTION_BYTES, MAX_MENTIONS,
    MAX_PREVIEW_BYTES, MAX_REACTION_BYTES, TIMER_SECONDS,
};
use crate::server::Attachment;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A change to the message at `target` (absent: a message). `edit` needs a `body`,
    /// `react` a `body` of at most 64 bytes (the emoji); `delete` and `unreact` take none.
    /// A change has no attachment, `replyTo`, `mentions` or `forwarded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub kind: Option<ChangeKind>,
    /// The seq of the message a change is to (with a `kind` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub target: Option<u64>,
    /// The message this one quotes (a seq of the same conversation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reply_to: Option<ReplyTo>,
    /// Members this message mentions (1–64 distinct user ids); the server keeps only those
    /// who are members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub mentions: Vec<String>,
    /// The message was forwarded from elsewhere (`true`, or absent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub forwarded: bool,
    /// End-to-end encrypted content *instead of* `body` (issue 15): the Megolm event's
    /// content as the crypto library produced it, a JSON string the server stores and
    /// delivers byte for byte and never parses. At most 48 KiB (1 KiB for a reaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encrypted: Option<String>,
    /// With kind `timer` only: the conversation's new disappearing-messages timer, in
    /// seconds, one of [`TIMER_SECONDS`] (0 turns it off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub seconds: Option<u64>,
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
            ..Self::default()
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
            ..Self::default()
        }
    }

    /// A change of `kind` to the message at `target` of `conversation`, carrying `body`
    /// (the new text of an edit, the emoji of a reaction; none for the other kinds).
    pub fn change(
        id: impl Into<String>,
        conversation: ConversationId,
        kind: ChangeKind,
        target: u64,
        body: Option<String>,
    ) -> Self {
        Self {
            id: id.into(),
            conversation: Some(conversation),
            body,
            kind: Some(kind),
            target: Some(target),
            ..Self::default()
        }
    }

    /// Sets `conversation`'s disappearing-messages timer to `seconds` (0: off).
    pub fn timer(id: impl Into<String>, conversation: ConversationId, seconds: u64) -> Self {
        Self {
            id: id.into(),
            conversation: Some(conversation),
            kind: Some(ChangeKind::Timer),
            seconds: Some(seconds),
            ..Self::default()
        }
    }

    /// This frame with end-to-end encrypted `content` in place of its body (the content
    /// goes to the server as given and comes back byte for byte).
    pub fn with_encrypted(self, content: impl Into<String>) -> Self {
        Self {
            body: None,
            encrypted: Some(content.into()),
            ..self
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
        let encrypted = fields.optional_str("encrypted")?.map(str::to_owned);
        if body.is_some() && encrypted.is_some() {
            return Err(FrameError::bad_request("give body or encrypted, not both"));
        }
        if encrypted
            .as_ref()
            .is_some_and(|e| e.len() > MAX_ENCRYPTED_BYTES)
        {
            return Err(FrameError::too_large("encrypted is over 48 KiB"));
        }
        let attachment = match fields.0.get("attachment") {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(Attachment::deserialize(value).map_err(|_| {
                FrameError::bad_request(
                    "attachment must be {key, name, contentType, size} from uploadUrl",
                )
            })?),
        };
        let kind = match fields.optional_str("kind")? {
            None => None,
            Some(text) => Some(ChangeKind::parse(text).ok_or_else(|| {
                FrameError::bad_request("kind must be edit, delete, react, unreact or timer")
            })?),
        };
        let target = fields.optional_u64("target", "a seq (an integer of at least 1)")?;
        if target == Some(0) {
            return Err(FrameError::bad_request(
                "target must be a seq (an integer of at least 1)",
            ));
        }
        let reply_to = match fields.0.get("replyTo") {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(reply_to(value)?),
        };
        let mentions = mentions(fields)?;
        let forwarded = match fields.0.get("forwarded") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(forwarded)) => *forwarded,
            Some(_) => return Err(FrameError::bad_request("forwarded must be true or false")),
        };
        let seconds = fields.optional_u64("seconds", "a number of seconds")?;
        let frame = Self {
            id,
            to_user,
            conversation,
            body,
            attachment,
            kind,
            target,
            reply_to,
            mentions,
            forwarded,
            encrypted,
            seconds,
        };
        match kind {
            None => frame.check_message()?,
            Some(ChangeKind::Timer) => frame.check_timer()?,
            Some(kind) => frame.check_change(kind)?,
        }
        if kind != Some(ChangeKind::Timer) && frame.seconds.is_some() {
            return Err(FrameError::bad_request("seconds is only for kind timer"));
        }
        Ok(frame)
    }

    /// Whether the frame carries content: a non-empty `body` or `encrypted`.
    fn has_content(&self) -> bool {
        let filled = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.is_empty());
        filled(&self.body) || filled(&self.encrypted)
    }

    /// A message: a body (plain or encrypted) or an attachment, and no target.
    fn check_message(&self) -> Result<(), FrameError> {
        if self.target.is_some() {
            return Err(FrameError::bad_request(
                "target is only for a change (give a kind)",
            ));
        }
        if !self.has_content() && self.attachment.is_none() {
            return Err(FrameError::bad_request(
                "a message needs a body or an attachment",
            ));
        }
        Ok(())
    }

    /// A timer: a conversation and one of the allowed durations, nothing else.
    fn check_timer(&self) -> Result<(), FrameError> {
        if self.conversation.is_none() {
            return Err(FrameError::bad_request(
                "kind timer needs a conversation (not toUser)",
            ));
        }
        takes_none(
            ChangeKind::Timer,
            &[
                (self.target.is_some(), "target"),
                (self.body.is_some(), "body"),
                (self.encrypted.is_some(), "encrypted"),
                (self.attachment.is_some(), "attachment"),
                (self.reply_to.is_some(), "replyTo"),
                (!self.mentions.is_empty(), "mentions"),
                (self.forwarded, "forwarded"),
            ],
        )?;
        match self.seconds {
            Some(seconds) if TIMER_SECONDS.contains(&seconds) => Ok(()),
            _ => Err(FrameError::bad_request(
                "seconds must be 0 (off), 86400 (24 hours), 604800 (7 days) or 7776000 (90 days)",
            )),
        }
    }

    /// A change: a target, the body its kind takes, nothing of a message's own.
    fn check_change(&self, kind: ChangeKind) -> Result<(), FrameError> {
        let name = kind.as_str();
        if self.target.is_none() {
            return Err(FrameError::bad_request(format!(
                "target is required for kind {name}"
            )));
        }
        takes_none(
            kind,
            &[
                (self.attachment.is_some(), "attachment"),
                (self.reply_to.is_some(), "replyTo"),
                (!self.mentions.is_empty(), "mentions"),
                (self.forwarded, "forwarded"),
            ],
        )?;
        let body = self.body.as_deref().unwrap_or_default();
        let encrypted = self.encrypted.as_deref().unwrap_or_default();
        match kind {
            ChangeKind::Edit | ChangeKind::React if !self.has_content() => {
                Err(FrameError::bad_request(format!("kind {name} needs a body")))
            }
            ChangeKind::React if body.len() > MAX_REACTION_BYTES => {
                Err(FrameError::too_large("a reaction's body is over 64 bytes"))
            }
            ChangeKind::React if encrypted.len() > MAX_ENCRYPTED_REACTION_BYTES => Err(
                FrameError::too_large("a reaction's encrypted is over 1 KiB"),
            ),
            ChangeKind::Delete | ChangeKind::Unreact if self.body.is_some() => Err(
                FrameError::bad_request(format!("kind {name} takes no body")),
            ),
            ChangeKind::Delete | ChangeKind::Unreact if self.encrypted.is_some() => Err(
                FrameError::bad_request(format!("kind {name} takes no encrypted")),
            ),
            _ => Ok(()),
        }
    }
}

/// Refuses the first of `fields` that is `present` (a field `kind` does not take).
fn takes_none(kind: ChangeKind, fields: &[(bool, &str)]) -> Result<(), FrameError> {
    match fields.iter().find(|(present, _)| *present) {
        Some((_, field)) => Err(FrameError::bad_request(format!(
            "kind {} takes no {field}",
            kind.as_str()
        ))),
        None => Ok(()),
    }
}

/// `replyTo`: `{seq, preview?}`.
fn reply_to(value: &serde_json::Value) -> Result<ReplyTo, FrameError> {
    let invalid =
        || FrameError::bad_request("replyTo must be {seq, preview?} with a seq of at least 1");
    let reply = ReplyTo::deserialize(value).map_err(|_| invalid())?;
    if reply.seq == 0 {
        return Err(invalid());
    }
    if reply
        .preview
        .as_ref()
        .is_some_and(|p| p.len() > MAX_PREVIEW_BYTES)
    {
        return Err(FrameError::too_large("replyTo.preview is over 256 bytes"));
    }
    Ok(reply)
}

/// `mentions`: 1–64 distinct user ids (an empty list counts as none).
fn mentions(fields: &Fields) -> Result<Vec<String>, FrameError> {
    let mentions = fields.string_list("mentions", MAX_MENTIONS, || {
        FrameError::too_large("mentions names more than 64 users")
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for user in &mentions {
        if !is_valid_user_id(user) {
            return Err(FrameError::bad_request("mentions must be user ids"));
        }
        if !seen.insert(user.as_str()) {
            return Err(FrameError::bad_request("mentions names a user twice"));
        }
    }
    Ok(mentions)
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

    /// Asserts that `frame` is refused with `code` and a message containing `expected`.
    fn refused_as(frame: &Value, code: ErrorCode, expected: &str) -> FrameError {
        let error = refusal(frame.clone());
        assert_eq!(error.code, code, "{frame}");
        assert!(
            error.message.contains(expected),
            "{frame}: {}",
            error.message
        );
        error
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

    #[test]
    fn changes_name_a_kind_and_a_target() {
        let frames = [
            json!({"action": "send", "id": "e", "conversation": "d:a:b", "kind": "edit", "target": 4, "body": "new"}),
            json!({"action": "send", "id": "d", "conversation": "d:a:b", "kind": "delete", "target": 4}),
            json!({"action": "send", "id": "r", "conversation": "d:a:b", "kind": "react", "target": 4, "body": "👍"}),
            json!({"action": "send", "id": "u", "conversation": "d:a:b", "kind": "unreact", "target": 4}),
            json!({"action": "send", "id": "q", "conversation": "d:a:b", "body": "yes", "replyTo": {"seq": 2, "preview": "coming?"},
                   "mentions": ["b"], "forwarded": true}),
        ];
        for frame in frames {
            let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        }
        let edit = Send::change(
            "e",
            ConversationId::direct("a", "b"),
            ChangeKind::Edit,
            4,
            Some("new".into()),
        );
        assert_eq!(
            ClientFrame::parse(&ClientFrame::Send(edit.clone()).to_json()).unwrap(),
            ClientFrame::Send(edit)
        );
    }

    #[test]
    fn a_plain_message_is_written_as_before() {
        let frame = ClientFrame::Send(Send::to_user("m1", "u2", "hi"));
        assert_eq!(
            serde_json::to_value(&frame).unwrap(),
            json!({"action": "send", "id": "m1", "toUser": "u2", "body": "hi"})
        );
        let unforwarded =
            json!({"action": "send", "id": "m", "toUser": "u", "body": "x", "forwarded": false});
        let parsed = ClientFrame::parse(&unforwarded.to_string()).unwrap();
        assert_eq!(parsed, ClientFrame::Send(Send::to_user("m", "u", "x")));
    }

    /// A Megolm event's content as the crypto library writes it (shortened).
    const MEGOLM: &str = r#"{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEoAB","device_id":"BOBLAPTOP001","sender_key":"mZLN","session_id":"aSuo"}"#;

    #[test]
    fn encrypted_content_replaces_the_body_and_passes_through_verbatim() {
        let frames = [
            json!({"action": "send", "id": "m", "toUser": "u", "encrypted": MEGOLM}),
            json!({"action": "send", "id": "m", "conversation": "d:a:b", "encrypted": MEGOLM,
                   "attachment": {"key": "c/k", "name": "file", "contentType": "application/octet-stream", "size": 3}}),
            json!({"action": "send", "id": "q", "conversation": "d:a:b", "encrypted": MEGOLM, "replyTo": {"seq": 2}}),
            json!({"action": "send", "id": "e", "conversation": "d:a:b", "kind": "edit", "target": 4, "encrypted": MEGOLM}),
            json!({"action": "send", "id": "r", "conversation": "d:a:b", "kind": "react", "target": 4, "encrypted": MEGOLM}),
        ];
        for frame in frames {
            let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
            let ClientFrame::Send(send) = parsed else {
                unreachable!()
            };
            assert_eq!(send.encrypted.as_deref(), Some(MEGOLM), "byte for byte");
            assert_eq!(send.body, None);
        }
        let built = Send::to_user("m", "u", "ignored").with_encrypted(MEGOLM);
        assert_eq!(
            serde_json::to_value(ClientFrame::Send(built)).unwrap(),
            json!({"action": "send", "id": "m", "toUser": "u", "encrypted": MEGOLM})
        );
    }

    #[test]
    fn encrypted_content_is_checked() {
        let bad = [
            (
                json!({"action": "send", "id": "m", "toUser": "u", "body": "x", "encrypted": MEGOLM}),
                ErrorCode::BadRequest,
                "give body or encrypted, not both",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "encrypted": {"algorithm": "x"}}),
                ErrorCode::BadRequest,
                "encrypted must be a string",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "encrypted": ""}),
                ErrorCode::BadRequest,
                "needs a body or an attachment",
            ),
            (
                json!({"action": "send", "id": "m", "toUser": "u", "encrypted": "x".repeat(MAX_ENCRYPTED_BYTES + 1)}),
                ErrorCode::TooLarge,
                "encrypted is over 48 KiB",
            ),
            (
                json!({"action": "send", "id": "m", "conversation": "d:a:b", "kind": "edit", "target": 1, "encrypted": ""}),
                ErrorCode::BadRequest,
                "kind edit needs a body",
            ),
            (
                json!({"action": "send", "id": "m", "conversation": "d:a:b", "kind": "react", "target": 1,
                       "encrypted": "x".repeat(MAX_ENCRYPTED_REACTION_BYTES + 1)}),
                ErrorCode::TooLarge,
                "a reaction's encrypted is over 1 KiB",
            ),
            (
                json!({"action": "send", "id": "m", "conversation": "d:a:b", "kind": "unreact", "target": 1, "encrypted": MEGOLM}),
                ErrorCode::BadRequest,
                "kind unreact takes no encrypted",
            ),
            (
                json!({"action": "send", "id": "m", "conversation": "d:a:b", "kind": "delete", "target": 1, "encrypted": MEGOLM}),
                ErrorCode::BadRequest,
                "kind delete takes no encrypted",
            ),
        ];
        for (frame, code, expected) in bad {
            refused_as(&frame, code, expected);
        }
        let fits = "x".repeat(MAX_ENCRYPTED_BYTES);
        assert!(ClientFrame::parse(
            &json!({"action": "send", "id": "m", "toUser": "u", "encrypted": fits}).to_string()
        )
        .is_ok());
    }

    #[test]
    fn changes_are_checked_by_kind() {
        let base = |extra: Value| {
            let mut frame = json!({"action": "send", "id": "c", "conversation": "d:a:b"});
            frame
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            frame
        };
        let bad = [
            (
                json!({"kind": "expire", "target": 1}),
                ErrorCode::BadRequest,
                "kind must be",
            ),
            (
                json!({"kind": 3, "target": 1}),
                ErrorCode::BadRequest,
                "kind must be a string",
            ),
            (
                json!({"kind": "edit", "body": "x"}),
                ErrorCode::BadRequest,
                "target is required for kind edit",
            ),
            (
                json!({"kind": "delete", "target": 0}),
                ErrorCode::BadRequest,
                "target must be a seq",
            ),
            (
                json!({"kind": "delete", "target": -1}),
                ErrorCode::BadRequest,
                "target must be a seq",
            ),
            (
                json!({"kind": "delete", "target": "1"}),
                ErrorCode::BadRequest,
                "target must be a seq",
            ),
            (
                json!({"kind": "edit", "target": 1}),
                ErrorCode::BadRequest,
                "kind edit needs a body",
            ),
            (
                json!({"kind": "react", "target": 1, "body": ""}),
                ErrorCode::BadRequest,
                "kind react needs a body",
            ),
            (
                json!({"kind": "react", "target": 1, "body": "x".repeat(65)}),
                ErrorCode::TooLarge,
                "over 64 bytes",
            ),
            (
                json!({"kind": "delete", "target": 1, "body": "x"}),
                ErrorCode::BadRequest,
                "kind delete takes no body",
            ),
            (
                json!({"kind": "unreact", "target": 1, "body": "x"}),
                ErrorCode::BadRequest,
                "kind unreact takes no body",
            ),
            (
                json!({"kind": "edit", "target": 1, "body": "x", "attachment": {"key": "c/k", "name": "a", "contentType": "image/png", "size": 1}}),
                ErrorCode::BadRequest,
                "kind edit takes no attachment",
            ),
            (
                json!({"kind": "edit", "target": 1, "body": "x", "replyTo": {"seq": 1}}),
                ErrorCode::BadRequest,
                "kind edit takes no replyTo",
            ),
            (
                json!({"kind": "react", "target": 1, "body": "x", "mentions": ["b"]}),
                ErrorCode::BadRequest,
                "kind react takes no mentions",
            ),
            (
                json!({"kind": "delete", "target": 1, "forwarded": true}),
                ErrorCode::BadRequest,
                "kind delete takes no forwarded",
            ),
            (
                json!({"body": "x", "target": 1}),
                ErrorCode::BadRequest,
                "target is only for a change",
            ),
            (
                json!({"body": "x", "replyTo": 3}),
                ErrorCode::BadRequest,
                "replyTo must be",
            ),
            (
                json!({"body": "x", "replyTo": {"seq": 0}}),
                ErrorCode::BadRequest,
                "replyTo must be",
            ),
            (
                json!({"body": "x", "replyTo": {"seq": 1, "preview": "x".repeat(257)}}),
                ErrorCode::TooLarge,
                "preview is over 256 bytes",
            ),
            (
                json!({"body": "x", "mentions": ["b", "b"]}),
                ErrorCode::BadRequest,
                "names a user twice",
            ),
            (
                json!({"body": "x", "mentions": ["no one"]}),
                ErrorCode::BadRequest,
                "mentions must be user ids",
            ),
            (
                json!({"body": "x", "mentions": (0..65).map(|i| format!("u{i}")).collect::<Vec<_>>()}),
                ErrorCode::TooLarge,
                "more than 64",
            ),
            (
                json!({"body": "x", "forwarded": "yes"}),
                ErrorCode::BadRequest,
                "forwarded must be true or false",
            ),
        ];
        for (extra, code, expected) in bad {
            let frame = base(extra);
            let error = refused_as(&frame, code, expected);
            assert_eq!(error.id.as_deref(), Some("c"), "{frame}");
        }
    }

    #[test]
    fn a_timer_is_a_conversation_and_an_allowed_duration() {
        let conversation = "d:a:b";
        let frame = json!({"action": "send", "id": "t1", "conversation": conversation, "kind": "timer", "seconds": 86400});
        let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(
            parsed,
            ClientFrame::Send(Send::timer(
                "t1",
                crate::ConversationId::parse(conversation).unwrap(),
                86400
            ))
        );
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        for seconds in TIMER_SECONDS {
            let off = json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer", "seconds": seconds});
            assert!(ClientFrame::parse(&off.to_string()).is_ok(), "{off}");
        }
        let bad = [
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer", "seconds": 3600}),
                "seconds must be",
            ),
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer"}),
                "seconds must be",
            ),
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer", "seconds": -1}),
                "seconds must be",
            ),
            (
                json!({"action": "send", "id": "t", "toUser": "u2", "kind": "timer", "seconds": 0}),
                "needs a conversation",
            ),
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer", "seconds": 0, "body": "x"}),
                "takes no body",
            ),
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "kind": "timer", "seconds": 0, "target": 3}),
                "takes no target",
            ),
            (
                json!({"action": "send", "id": "t", "conversation": conversation, "body": "x", "seconds": 86400}),
                "only for kind timer",
            ),
        ];
        for (frame, expected) in bad {
            refused_as(&frame, ErrorCode::BadRequest, expected);
        }
    }
}
