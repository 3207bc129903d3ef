//! `parley sync`: what arrived since the stored cursor, each message printed once (the
//! library hands each out once, ever: what an earlier command showed is not shown again),
//! then exit once the catch-up sync is done. A change to a message (an edit, a delete, a
//! reaction) prints the message as it now stands (`event: "changed"`).

use parley_client::{ConnectionState, Event};

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::{
    changed_json, changed_text, decrypted_json, message_json, message_text, new_device_line, Out,
};

pub async fn run(cli: &Cli, out: Out) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    loop {
        match online.next().await? {
            Event::Message(message) => {
                out.line(
                    message_json(&message),
                    format!(
                        "{} {}",
                        message.conversation,
                        message_text(&message, &message.from)
                    ),
                );
            }
            Event::Changed { message, change } => {
                let by = change.as_deref().map(|c| (c, c.from.as_str()));
                out.line(
                    changed_json(&message, change.as_deref()),
                    format!(
                        "{} {}",
                        message.conversation,
                        changed_text(&message, &message.from, by)
                    ),
                );
            }
            Event::Decrypted(message) => out.line(
                decrypted_json(&message),
                format!(
                    "{} {} (decrypted now)",
                    message.conversation,
                    message_text(&message, &message.from)
                ),
            ),
            Event::NewDevice { user, device_id } => new_device_line(out, &user, &device_id),
            // Every message before it was handed out (in seq order per conversation).
            Event::Connection(ConnectionState::Synced) => return Ok(()),
            _ => {}
        }
    }
}
