//! What commands print on stdout: for people, text; with `--json`, one JSON object per line
//! (each line is flushed as it is printed: Rust's stdout is line-buffered), so a script
//! can act on each as it comes.

use parley_client::store::{Encryption, Message, Tick};
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
    });
    if let Some(state) = encryption_name(message) {
        line["encryption"] = json!(state);
    }
    line
}

/// One line: which message, who, and what (the text, the file, or the membership change).
pub fn message_text(message: &Message, from: &str) -> String {
    let mut what = message.body.clone().unwrap_or_default();
    match &message.encryption {
        Some(Encryption::WaitingForKey { .. }) => what.push_str("[encrypted: waiting for its key]"),
        Some(Encryption::Undecryptable { .. }) => what.push_str("[encrypted: cannot be decrypted]"),
        _ => {}
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
    format!("#{} {from}: {}", message.seq, what.trim())
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
