//! `parley chat`: one conversation, live. Its messages are printed as they come (and acked
//! read, since they are shown), this device's messages with their ticks, and "… is typing";
//! each line read from stdin is sent. End of input (Ctrl-D) exits 0 once every line sent
//! is stored (`sent`); a final refusal of one exits 2.
//!
//! A line starting with `/` changes a message by its seq: `/edit 4 new text`, `/delete 4`,
//! `/react 4 👍`, `/unreact 4`, `/reply 4 text` (quotes #4). Edits, deletes and reactions
//! print the message as it then stands (`event: "changed"`). In a direct chat the other
//! person's presence is watched while the chat runs and printed as it changes.
//!
//! Lines are read whole, so "typing" is never sent from here (it could only be sent once
//! the line is already done). Messages of other conversations that arrive meanwhile are
//! printed too, marked: the library hands each message out once, so one not shown here
//! would not be shown by a later `parley sync` either.

use parley_client::{ConnectionState, Event, SendOptions, To};
use parley_protocol::ConversationId;
use serde_json::json;
use std::collections::HashSet;
use tokio::io::AsyncBufReadExt;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::{
    changed_json, changed_text, decrypted_json, message_json, message_text, new_device_line,
    presence_json, presence_text, tick_mark, tick_name, Out,
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
    if let Some(other) = &chat.other {
        online.client.watch_presence(other.clone())?;
    }
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut reading = true;
    // This device's sends not yet stored by the server.
    let mut unsent: HashSet<String> = HashSet::new();
    while reading || !unsent.is_empty() {
        tokio::select! {
            line = lines.next_line(), if reading => match line {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => match Line::parse(&line) {
                    Ok(line) => {
                        let id = chat.send(&mut online, line).await?;
                        unsent.insert(id);
                    }
                    Err(usage) => eprintln!("{usage}"),
                },
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

/// A line typed into the chat.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Text(String),
    Reply(u64, String),
    Edit(u64, String),
    Delete(u64),
    React(u64, String),
    Unreact(u64),
}

const USAGE: &str =
    "commands: /edit <seq> <text>, /delete <seq>, /react <seq> <emoji>, /unreact <seq>, /reply <seq> <text>";

impl Line {
    /// A line as typed: text, or a command (a `/` and a word); a bad command is the usage.
    fn parse(line: &str) -> Result<Self, &'static str> {
        let Some(command) = line.strip_prefix('/') else {
            return Ok(Self::Text(line.to_owned()));
        };
        let mut words = command.splitn(3, ' ');
        let name = words.next().unwrap_or_default();
        let seq: u64 = words.next().and_then(|s| s.parse().ok()).ok_or(USAGE)?;
        let rest = words.next().map(str::trim).filter(|r| !r.is_empty());
        Ok(match (name, rest) {
            ("edit", Some(text)) => Self::Edit(seq, text.to_owned()),
            ("reply", Some(text)) => Self::Reply(seq, text.to_owned()),
            ("react", Some(emoji)) => Self::React(seq, emoji.to_owned()),
            ("delete", None) => Self::Delete(seq),
            ("unreact", None) => Self::Unreact(seq),
            _ => return Err(USAGE),
        })
    }
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

    /// This chat's conversation id (a direct chat's as the protocol crate makes it).
    fn conversation(&self) -> ConversationId {
        match &self.send_to {
            To::Conversation(conversation) => conversation.clone(),
            To::User(user) => ConversationId::direct(&self.me, user),
        }
    }

    /// Sends a typed line: its client id.
    async fn send(&self, online: &mut Online, line: Line) -> Result<String, Failure> {
        let conversation = self.conversation();
        let to = self.send_to.clone();
        let id = match line {
            Line::Text(text) => {
                let options = SendOptions {
                    mentions: online.client.mentions_in(&conversation, &text)?,
                    ..SendOptions::default()
                };
                online
                    .call(|client| async move { client.send_text_with(to, text, options).await })
                    .await?
            }
            Line::Reply(seq, text) => {
                let options = SendOptions {
                    reply_to: Some(seq),
                    mentions: online.client.mentions_in(&conversation, &text)?,
                    forwarded: false,
                };
                online
                    .call(|client| async move { client.send_text_with(to, text, options).await })
                    .await?
            }
            Line::Edit(seq, text) => {
                online
                    .call(|client| async move { client.edit(conversation, seq, text).await })
                    .await?
            }
            Line::Delete(seq) => {
                online
                    .call(
                        |client| async move { client.delete_for_everyone(conversation, seq).await },
                    )
                    .await?
            }
            Line::React(seq, emoji) => {
                online
                    .call(|client| async move { client.react(conversation, seq, emoji).await })
                    .await?
            }
            Line::Unreact(seq) => {
                online
                    .call(|client| async move { client.unreact(conversation, seq).await })
                    .await?
            }
        };
        Ok(id)
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
            Event::Changed { message, change } => {
                let ours = self.ours(&message.conversation);
                let name = self.name(&message.from);
                let by = change.as_deref().map(|c| (c, self.name(&c.from)));
                let text = changed_text(
                    &message,
                    &name,
                    by.as_ref().map(|(c, who)| (*c, who.as_str())),
                );
                out.line(
                    changed_json(&message, change.as_deref()),
                    if ours {
                        text
                    } else {
                        format!("(in {}) {text}", message.conversation)
                    },
                );
            }
            Event::Presence {
                user,
                online: is_online,
                last_seen,
            } if self.other.as_deref() == Some(user.as_str()) => {
                let name = self.name(&user);
                out.line(
                    presence_json(&user, is_online, last_seen),
                    format!(
                        "{name}: {}",
                        presence_text(is_online, last_seen, super::now() * 1000)
                    ),
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
            // Blocked or unblocked on another device of the user's.
            Event::Blocked { user, blocked } => {
                let name = self.name(&user);
                out.line(
                    json!({"event": "blocked", "user": user, "blocked": blocked}),
                    if blocked {
                        format!("{name} blocked")
                    } else {
                        format!("{name} unblocked")
                    },
                );
            }
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

#[cfg(test)]
mod tests {
    use super::Line;

    #[test]
    fn typed_lines_are_text_or_commands_on_a_seq() {
        assert_eq!(Line::parse("hi /all"), Ok(Line::Text("hi /all".into())));
        assert_eq!(
            Line::parse("/edit 4 lunch at 1?"),
            Ok(Line::Edit(4, "lunch at 1?".into()))
        );
        assert_eq!(
            Line::parse("/reply 2 yes"),
            Ok(Line::Reply(2, "yes".into()))
        );
        assert_eq!(Line::parse("/react 4 👍"), Ok(Line::React(4, "👍".into())));
        assert_eq!(Line::parse("/delete 4"), Ok(Line::Delete(4)));
        assert_eq!(Line::parse("/unreact 4"), Ok(Line::Unreact(4)));
        for bad in [
            "/edit 4",
            "/edit four x",
            "/delete 4 now",
            "/fly 1",
            "/react",
        ] {
            assert!(Line::parse(bad).is_err(), "{bad}");
        }
    }
}
