//! `parley chat`: one conversation, live. Its messages are printed as they come (and acked
//! read, since they are shown), this device's messages with their ticks, and "… is typing";
//! each line read from stdin is sent. End of input (Ctrl-D) exits 0 once every line sent
//! is stored (`sent`); a final refusal of one exits 2.
//!
//! Lines are read whole, so "typing" is never sent from here (it could only be sent once
//! the line is already done). Messages of other conversations that arrive meanwhile are
//! printed too, marked: the library hands each message out once, so one not shown here
//! would not be shown by a later `parley sync` either.

use parley_client::{ConnectionState, Event, To};
use parley_protocol::ConversationId;
use serde_json::json;
use std::collections::HashSet;
use tokio::io::AsyncBufReadExt;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::{
    decrypted_json, message_json, message_text, new_device_line, tick_mark, tick_name, Out,
};
use crate::target;

pub async fn run(cli: &Cli, out: Out, to: &str) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let me = online.client.user_id().to_owned();
    let send_to = target::resolve(&mut online, to).await?;
    let other = match &send_to {
        To::User(user) => Some(user.clone()),
        To::Conversation(conversation) => conversation.direct_other(&me),
    };
    let mut chat = Chat {
        me,
        send_to,
        other,
        label: to.to_owned(),
        out,
    };
    if !out.json {
        eprintln!("Chat with {to}: type a line and Enter to send it; Ctrl-D ends.");
    }
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut reading = true;
    // This device's sends not yet stored by the server.
    let mut unsent: HashSet<String> = HashSet::new();
    while reading || !unsent.is_empty() {
        tokio::select! {
            line = lines.next_line(), if reading => match line {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => {
                    let to = chat.send_to.clone();
                    let id = online
                        .call(|client| async move { client.send_text(to, line).await })
                        .await?;
                    unsent.insert(id);
                }
                Ok(None) => reading = false,
                Err(error) => return Err(Failure::other(format!("cannot read stdin: {error}"))),
            },
            event = online.next() => {
                let event = event?;
                if let Event::Tick { id, .. } = &event {
                    unsent.remove(id);
                }
                if let Event::SendFailed { id, code, message } = &event {
                    if unsent.contains(id) {
                        return Err(Failure::refused(format!("refused ({code}): {message}")));
                    }
                }
                chat.show(&online, event);
            }
        }
    }
    Ok(())
}

struct Chat {
    me: String,
    /// Where lines go: the user's direct chat until its conversation id is known.
    send_to: To,
    /// In a direct chat, the other member: shown as `label`, as named on the command line.
    other: Option<String>,
    label: String,
    out: Out,
}

impl Chat {
    /// Whether a conversation is this chat's (a direct chat is recognised by its members
    /// until the first message or `sent` names it).
    fn ours(&self, conversation: &ConversationId) -> bool {
        match &self.send_to {
            To::Conversation(known) => known == conversation,
            To::User(user) => conversation.direct_other(&self.me).as_ref() == Some(user),
        }
    }

    fn learn(&mut self, conversation: &ConversationId) {
        if self.ours(conversation) {
            self.send_to = To::Conversation(conversation.clone());
        }
    }

    fn name(&self, user: &str) -> String {
        if user == self.me {
            "you".into()
        } else if self.other.as_deref() == Some(user) {
            self.label.clone()
        } else {
            user.to_owned()
        }
    }

    fn show(&mut self, online: &Online, event: Event) {
        let out = self.out;
        match event {
            Event::Message(message) => {
                self.learn(&message.conversation);
                let ours = self.ours(&message.conversation);
                let name = self.name(&message.from);
                let text = message_text(&message, &name);
                out.line(
                    message_json(&message),
                    if ours {
                        text
                    } else {
                        format!("(in {}) {text}", message.conversation)
                    },
                );
                if ours && message.from != self.me {
                    // Shown, so read. (A client that stopped just fails the next call.)
                    let _ = online.client.mark_read(message.conversation, message.seq);
                }
            }
            Event::Decrypted(message) => {
                let name = self.name(&message.from);
                out.line(
                    decrypted_json(&message),
                    format!("{} (decrypted now)", message_text(&message, &name)),
                );
            }
            Event::NewDevice { user, device_id } => {
                new_device_line(out, &self.name(&user), &device_id)
            }
            Event::Tick {
                id,
                conversation,
                seq,
                tick,
            } => {
                self.learn(&conversation);
                out.line(
                    json!({"event": "tick", "id": id, "conversation": conversation,
                           "seq": seq, "tick": tick_name(tick)}),
                    format!("  #{seq} {}", tick_mark(tick)),
                );
            }
            Event::Typing { conversation, from } if self.ours(&conversation) => {
                let name = self.name(&from);
                out.line(
                    json!({"event": "typing", "conversation": conversation, "from": from}),
                    format!("{name} is typing…"),
                );
            }
            Event::SendFailed { id, code, message } => out.line(
                json!({"event": "failed", "id": id, "code": code, "message": message}),
                format!("not sent ({code}): {message}"),
            ),
            Event::Group {
                conversation,
                group,
            } if self.ours(&conversation) => out.line(
                json!({"event": "group", "conversation": conversation, "name": group.name,
                       "members": group.members, "admins": group.admins}),
                format!("group {:?}: {}", group.name, group.members.join(", ")),
            ),
            Event::Connection(state) => {
                let name = match state {
                    ConnectionState::Connecting => "connecting",
                    ConnectionState::Connected => "connected",
                    ConnectionState::Synced => "synced",
                    ConnectionState::Disconnected { .. } => "disconnected",
                };
                if out.json {
                    out.line(json!({"event": "connection", "state": name}), "");
                } else if matches!(state, ConnectionState::Disconnected { .. }) {
                    eprintln!("(disconnected: reconnecting)");
                }
            }
            _ => {}
        }
    }
}
