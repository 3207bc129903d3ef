//! What commands print on stdout: for people, text; with `--json`, one JSON object per line
//! (each line is flushed as it is printed: Rust's stdout is line-buffered), so a script
//! can act on each as it comes.

use parley_client::store::{Message, Tick};
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
    json!({
        "event": "message",
        "conversation": message.conversation,
        "seq": message.seq,
        "id": message.id,
        "messageId": message.message_id,
        "from": message.from,
        "ts": message.ts,
        "body": message.body,
        "attachment": message.attachment,
        "system": message.system,
        "timer": message.timer,
        "expiresAt": message.expires_at,
    })
}

/// One line: which message, who, and what (the text, the file, or the membership change).
pub fn message_text(message: &Message, from: &str) -> String {
    let mut what = message.body.clone().unwrap_or_default();
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
    if let Some(seconds) = message.timer {
        what.push_str(&format!("[{}]", timer_text(seconds)));
    }
    if message.expires_at.is_some() {
        what.push_str(" ⏱");
    }
    format!("#{} {from}: {}", message.seq, what.trim())
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
