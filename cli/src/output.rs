//! What commands print on stdout: for people, text; with `--json`, one JSON object per line
//! (each line is flushed as it is printed: Rust's stdout is line-buffered), so a script
//! can act on each as it comes.

use parley_client::store::{Encryption, Message, Tick};
use parley_protocol::ChangeKind;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn line(&self, json: Value, text: impl std::fmt::Display) {
        if self.json {
            println!("{json}");
        } else {
            println!("{text}");
        }
    }
}

/// A message as stored, with what changed it: `text` is what to show (the newest edit's;
/// null once deleted), `reactions` each emoji with its count and who.
pub fn message_json(message: &Message) -> Value {
    message_event_json("message", message)
}

/// A message that waited for its key, now decrypted (printed again, with its text).
pub fn decrypted_json(message: &Message) -> Value {
    message_event_json("decrypted", message)
}

/// How an encrypted message came out: `decrypted`, `waiting_for_key`, `undecryptable`.
pub fn encryption_name(message: &Message) -> Option<&'static str> {
    message.encryption.as_ref().map(|e| match e {
        Encryption::Decrypted { .. } => "decrypted",
        Encryption::WaitingForKey { .. } => "waiting_for_key",
        Encryption::Undecryptable { .. } => "undecryptable",
    })
}

fn message_event_json(event: &str, message: &Message) -> Value {
    let reactions: Vec<Value> = message
        .state
        .reaction_counts()
        .into_iter()
        .map(|(emoji, by)| json!({"emoji": emoji, "count": by.len(), "by": by}))
        .collect();
    let mut line = json!({
        "event": event,
        "conversation": message.conversation,
        "seq": message.seq,
        "id": message.id,
        "messageId": message.message_id,
        "from": message.from,
        "ts": message.ts,
        "body": message.body,
        "attachment": message.attachment,
        "system": message.system,
        "text": message.text(),
        "edited": message.is_edited(),
        "deleted": message.state.is_deleted(),
        "reactions": reactions,
        "replyTo": message.reply_to,
        "mentions": message.mentions,
        "forwarded": message.forwarded,
        "timer": message.timer,
        "expiresAt": message.expires_at,
    });
    if let Some(state) = encryption_name(message) {
        line["encryption"] = json!(state);
    }
    line
}

/// A message that changed: the message as it now stands, `event: "changed"`, and the entry
/// that changed it (`change`: its seq, kind, author and body; null when a sync's state did).
pub fn changed_json(message: &Message, change: Option<&Message>) -> Value {
    let mut value = message_json(message);
    value["event"] = json!("changed");
    value["change"] = match change {
        Some(entry) => json!({"seq": entry.seq, "kind": entry.kind, "from": entry.from,
                              "body": entry.body}),
        None => Value::Null,
    };
    value
}

/// One line: which message, who, and what (the text, the file, or the membership change),
/// with its quote, forwarded mark, edited mark and reactions; "message deleted" once it is.
pub fn message_text(message: &Message, from: &str) -> String {
    if message.state.is_deleted() {
        return format!("#{} {from}: 🚫 message deleted", message.seq);
    }
    let mut what = String::new();
    if message.forwarded {
        what.push_str("[forwarded] ");
    }
    if let Some(quote) = &message.reply_to {
        what.push_str(&format!(
            "[↪ #{} {}: {}] ",
            quote.seq,
            quote.from,
            quote.preview.as_deref().unwrap_or("…")
        ));
    }
    what.push_str(message.text().unwrap_or_default());
    match &message.encryption {
        Some(Encryption::WaitingForKey { .. }) => what.push_str("[encrypted: waiting for its key]"),
        Some(Encryption::Undecryptable { .. }) => what.push_str("[encrypted: cannot be decrypted]"),
        _ => {}
    }
    if message.is_edited() {
        what.push_str(" (edited)");
    }
    if let Some(file) = &message.attachment {
        what.push_str(&format!(
            " [file {} ({} bytes): parley download {} <path>]",
            file.name, file.size, file.key
        ));
    }
    if let Some(system) = &message.system {
        what.push_str(&format!(
            "[group {:?}: {:?} {}]",
            system.name,
            system.event,
            system.members.join(", ")
        ));
    }
    if !message.mentions.is_empty() {
        what.push_str(&format!(" (mentions {})", message.mentions.join(", ")));
    }
    let reactions = message.state.reaction_counts();
    if !reactions.is_empty() {
        let shown: Vec<String> = reactions
            .iter()
            .map(|(emoji, by)| format!("{emoji} {}", by.len()))
            .collect();
        what.push_str(&format!("  [{}]", shown.join(" ")));
    }
    if let Some(seconds) = message.timer {
        what.push_str(&format!("[{}]", timer_text(seconds)));
    }
    if message.expires_at.is_some() {
        what.push_str(" ⏱");
    }
    format!("#{} {from}: {}", message.seq, what.trim())
}

/// A changed message's line: the message as it now stands, and what changed it.
pub fn changed_text(message: &Message, from: &str, change: Option<(&Message, &str)>) -> String {
    let line = message_text(message, from);
    let what = match change {
        Some((entry, by)) => match entry.kind {
            Some(ChangeKind::Edit) => format!("edited by {by}"),
            Some(ChangeKind::Delete) => format!("deleted by {by}"),
            Some(ChangeKind::React) => {
                format!("{by} reacted {}", entry.body.as_deref().unwrap_or_default())
            }
            Some(ChangeKind::Unreact) => format!("{by} took their reaction back"),
            // A timer entry changes no message (it is shown as one of its own).
            Some(ChangeKind::Timer) | None => "changed".to_owned(),
        },
        None => "changed meanwhile".to_owned(),
    };
    format!("✎ {line}   ({what})")
}

/// A presence as a person reads it: online, last seen how long ago, or hidden.
pub fn presence_text(online: Option<bool>, last_seen: Option<i64>, now_ms: i64) -> String {
    match (online, last_seen) {
        (Some(true), _) => "● online".to_owned(),
        (Some(false), Some(at)) => format!("last seen {}", ago(now_ms.saturating_sub(at))),
        (Some(false), None) => "offline (never seen)".to_owned(),
        (None, _) => "presence hidden".to_owned(),
    }
}

fn ago(ms: i64) -> String {
    let minutes = ms / 60_000;
    match minutes {
        i64::MIN..=0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

pub fn presence_json(user: &str, online: Option<bool>, last_seen: Option<i64>) -> Value {
    json!({"event": "presence", "user": user, "online": online, "lastSeen": last_seen})
}

/// What a disappearing-messages timer of `seconds` is, in words.
pub fn timer_text(seconds: u64) -> String {
    const DAY: u64 = 24 * 60 * 60;
    match seconds {
        0 => "disappearing messages off".to_owned(),
        DAY => "disappearing messages: 24 hours".to_owned(),
        s if s % DAY == 0 => format!("disappearing messages: {} days", s / DAY),
        s => format!("disappearing messages: {s} seconds"),
    }
}

pub fn tick_name(tick: Tick) -> &'static str {
    match tick {
        Tick::Pending => "pending",
        Tick::Sent => "sent",
        Tick::Delivered => "delivered",
        Tick::Read => "read",
    }
}

/// ✓ sent, ✓✓ delivered, ✓✓ read (named, since the two look alike without colour).
pub fn tick_mark(tick: Tick) -> &'static str {
    match tick {
        Tick::Pending => "…",
        Tick::Sent => "✓",
        Tick::Delivered => "✓✓",
        Tick::Read => "✓✓ read",
    }
}

/// A contact's device that was not there before.
pub fn new_device_line(out: Out, user: &str, device_id: &str) {
    out.line(
        json!({"event": "newDevice", "user": user, "deviceId": device_id}),
        format!("{user} has a new device {device_id}: it gets your messages from now on"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_client::store::MessageState;
    use parley_protocol::{ConversationId, Reply};

    fn message(body: &str) -> Message {
        Message {
            conversation: ConversationId::parse("d:a:b").unwrap(),
            seq: 4,
            message_id: "m4".into(),
            id: "c4".into(),
            from: "a".into(),
            ts: 1,
            body: Some(body.into()),
            attachment: None,
            system: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            state: MessageState::default(),
            encryption: None,
            file: None,
            skipped: false,
            timer: None,
            expires_at: None,
        }
    }

    fn with(message: &mut Message, kind: ChangeKind, seq: u64, from: &str, body: Option<&str>) {
        let (_, state) = MessageState::of_entry(kind, Some(4), seq, 9, from, body).unwrap();
        message.state.merge(&state);
    }

    #[test]
    fn a_line_shows_the_quote_the_edit_and_the_reactions() {
        let mut m = message("lunch at 12?");
        m.forwarded = true;
        m.reply_to = Some(Reply {
            seq: 2,
            from: "b".into(),
            preview: Some("hungry?".into()),
        });
        with(&mut m, ChangeKind::Edit, 5, "a", Some("lunch at 1?"));
        with(&mut m, ChangeKind::React, 6, "b", Some("👍"));
        with(&mut m, ChangeKind::React, 7, "c", Some("👍"));
        with(&mut m, ChangeKind::React, 8, "d", Some("❤️"));
        assert_eq!(
            message_text(&m, "ann"),
            "#4 ann: [forwarded] [↪ #2 b: hungry?] lunch at 1? (edited)  [👍 2 ❤️ 1]"
        );
        let json = message_json(&m);
        assert_eq!(json["text"], "lunch at 1?");
        assert_eq!(
            json["reactions"][0],
            json!({"emoji": "👍", "count": 2, "by": ["b", "c"]})
        );
        with(&mut m, ChangeKind::Delete, 9, "a", None);
        assert_eq!(message_text(&m, "ann"), "#4 ann: 🚫 message deleted");
        assert_eq!(message_json(&m)["text"], Value::Null);
    }

    #[test]
    fn last_seen_reads_as_how_long_ago() {
        let now = 10_000_000_000;
        assert_eq!(presence_text(Some(true), None, now), "● online");
        assert_eq!(
            presence_text(Some(false), Some(now - 5 * 60_000), now),
            "last seen 5 min ago"
        );
        assert_eq!(
            presence_text(Some(false), Some(now - 3 * 3_600_000), now),
            "last seen 3 h ago"
        );
        assert_eq!(presence_text(None, None, now), "presence hidden");
    }
}
