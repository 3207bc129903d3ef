//! Changes to messages (issue 16): who may change which message when, and what a change
//! makes of the message's state. Pure functions of what the store read (the target's log
//! item and its state item) and of one `now`, so that they are tested with a fixed clock;
//! the store asks them on every record it reads before a write, and the state item's
//! version condition makes a lost race read and ask again.
//!
//! Windows count from the target's stored `ts` (the server's clock when it was sent) to
//! the server's clock now: a client's clock never counts.

use parley_protocol::changes::{Deleted, Edited, Reaction};
use parley_protocol::limits::{DELETE_WINDOW_MS, EDIT_WINDOW_MS, MAX_EDITS};
use parley_protocol::{ChangeKind, ErrorCode, Reply};

use crate::message::Message;
use crate::store::StateRecord;
use crate::Error;

/// What a change asks, and what was read for it.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub kind: ChangeKind,
    pub sender: &'a str,
    /// The server's clock, epoch milliseconds.
    pub now: i64,
    /// The target as the conversation's log holds it (none: no such message, or expired).
    pub target: Option<&'a Message>,
    /// The target's state (none: nothing changed it yet).
    pub state: Option<&'a StateRecord>,
    /// Whether the sender is an admin of the group (always false in a direct chat).
    pub admin: bool,
}

/// Whether the change may be made; the refusal says why.
pub fn check(ask: Ask<'_>) -> Result<(), Error> {
    let target = ask
        .target
        .ok_or_else(|| Error::client(ErrorCode::NotFound, "no such message"))?;
    if !is_message(target) {
        return Err(Error::bad_request("only messages can be changed"));
    }
    if ask.state.is_some_and(|s| s.state.deleted.is_some()) {
        return Err(Error::forbidden("the message was deleted"));
    }
    let own = target.from == ask.sender;
    let age = ask.now - target.ts;
    match ask.kind {
        ChangeKind::Edit => {
            if !own {
                return Err(Error::forbidden("only the author may edit a message"));
            }
            if age > EDIT_WINDOW_MS {
                return Err(Error::forbidden(
                    "messages can be edited for 15 minutes after sending",
                ));
            }
            if ask.state.is_some_and(|s| s.edits.len() >= MAX_EDITS) {
                return Err(Error::client(
                    ErrorCode::TooLarge,
                    "a message is edited at most 10 times",
                ));
            }
            Ok(())
        }
        ChangeKind::Delete => {
            if ask.admin || (own && age <= DELETE_WINDOW_MS) {
                Ok(())
            } else if own {
                Err(Error::forbidden(
                    "messages can be deleted for everyone for 60 hours after sending",
                ))
            } else {
                Err(Error::forbidden(
                    "only the author or a group admin may delete a message",
                ))
            }
        }
        ChangeKind::React | ChangeKind::Unreact => Ok(()),
        // A timer names no message ([`super::timers`] rules on it).
        ChangeKind::Timer => Err(Error::bad_request("a timer changes no message")),
    }
}

/// The quote a reply to `target` carries: its seq, its author as stored, the sender's
/// preview. Only a message (not a change or a membership change) can be quoted.
pub fn reply(target: Option<&Message>, preview: Option<String>) -> Result<Reply, Error> {
    let target =
        target.ok_or_else(|| Error::client(ErrorCode::NotFound, "no such message to reply to"))?;
    if !is_message(target) {
        return Err(Error::bad_request("only messages can be replied to"));
    }
    Ok(Reply {
        seq: target.seq,
        from: target.from.clone(),
        preview,
    })
}

/// A plain message: not a change entry, not a membership change.
fn is_message(message: &Message) -> bool {
    message.kind.is_none() && message.system.is_none()
}

/// The target's state once `change` (a change entry that [`check`] allowed) is folded in.
pub fn apply(before: Option<&StateRecord>, change: &Message) -> StateRecord {
    let mut record = before.cloned().unwrap_or_default();
    let state = &mut record.state;
    state.version = change.seq;
    let body = change.body.clone().unwrap_or_default();
    match change.kind {
        Some(ChangeKind::Edit) => {
            state.edited = Some(Edited {
                seq: change.seq,
                ts: change.ts,
                body,
                encrypted: change.encrypted.clone(),
            });
            record.edits.push((change.seq, change.ts));
        }
        Some(ChangeKind::Delete) => {
            state.deleted = Some(Deleted {
                seq: change.seq,
                ts: change.ts,
                by: change.from.clone(),
            });
            state.edited = None;
            state.reactions.clear();
        }
        Some(ChangeKind::React) => {
            state.reactions.insert(
                change.from.clone(),
                Reaction {
                    seq: change.seq,
                    body,
                    encrypted: change.encrypted.clone(),
                },
            );
        }
        Some(ChangeKind::Unreact) => {
            state.reactions.remove(&change.from);
        }
        Some(ChangeKind::Timer) | None => {}
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::{ConversationId, System, SystemEvent};

    const SENT: i64 = 1_700_000_000_000;

    fn message(seq: u64, from: &str, ts: i64) -> Message {
        Message {
            conversation: ConversationId::direct("a", "b"),
            seq,
            message_id: format!("m{seq}"),
            client_id: format!("c{seq}"),
            from: from.into(),
            ts,
            body: Some("hello".into()),
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
        }
    }

    fn change(seq: u64, from: &str, kind: ChangeKind, body: Option<&str>) -> Message {
        Message {
            kind: Some(kind),
            target: Some(1),
            body: body.map(str::to_owned),
            ..message(seq, from, SENT + seq as i64)
        }
    }

    fn ask<'a>(
        kind: ChangeKind,
        sender: &'a str,
        now: i64,
        target: Option<&'a Message>,
        state: Option<&'a StateRecord>,
    ) -> Ask<'a> {
        Ask {
            kind,
            sender,
            now,
            target,
            state,
            admin: false,
        }
    }

    fn refusal(result: Result<(), Error>) -> (ErrorCode, String) {
        let error = result.unwrap_err();
        (error.code(), error.public_message().to_owned())
    }

    #[test]
    fn the_author_edits_for_15_minutes_and_nobody_else_ever() {
        let target = message(1, "a", SENT);
        let edit = |sender, now| check(ask(ChangeKind::Edit, sender, now, Some(&target), None));
        assert!(edit("a", SENT).is_ok());
        assert!(
            edit("a", SENT + EDIT_WINDOW_MS).is_ok(),
            "the last millisecond"
        );
        assert_eq!(
            refusal(edit("a", SENT + EDIT_WINDOW_MS + 1)),
            (
                ErrorCode::Forbidden,
                "messages can be edited for 15 minutes after sending".into()
            )
        );
        assert_eq!(
            refusal(edit("b", SENT)),
            (
                ErrorCode::Forbidden,
                "only the author may edit a message".into()
            )
        );
    }

    #[test]
    fn a_message_is_edited_at_most_ten_times() {
        let target = message(1, "a", SENT);
        let mut state: Option<StateRecord> = None;
        for seq in 2..2 + MAX_EDITS as u64 {
            check(ask(
                ChangeKind::Edit,
                "a",
                SENT,
                Some(&target),
                state.as_ref(),
            ))
            .unwrap();
            state = Some(apply(
                state.as_ref(),
                &change(seq, "a", ChangeKind::Edit, Some("again")),
            ));
        }
        let (code, _) = refusal(check(ask(
            ChangeKind::Edit,
            "a",
            SENT,
            Some(&target),
            state.as_ref(),
        )));
        assert_eq!(code, ErrorCode::TooLarge);
    }

    #[test]
    fn the_author_deletes_for_60_hours_and_a_group_admin_always() {
        let target = message(1, "a", SENT);
        let delete = |sender, now, admin| {
            check(Ask {
                admin,
                ..ask(ChangeKind::Delete, sender, now, Some(&target), None)
            })
        };
        assert!(delete("a", SENT + DELETE_WINDOW_MS, false).is_ok());
        let (code, text) = refusal(delete("a", SENT + DELETE_WINDOW_MS + 1, false));
        assert_eq!(code, ErrorCode::Forbidden);
        assert!(text.contains("60 hours"), "{text}");
        let (code, text) = refusal(delete("b", SENT, false));
        assert_eq!(code, ErrorCode::Forbidden);
        assert!(text.contains("author or a group admin"), "{text}");
        assert!(delete("b", SENT + 30 * 24 * 3_600_000, true).is_ok());
    }

    #[test]
    fn only_existing_plain_messages_that_stand_can_be_changed() {
        let (code, text) = refusal(check(ask(ChangeKind::React, "a", SENT, None, None)));
        assert_eq!(
            (code, text.as_str()),
            (ErrorCode::NotFound, "no such message")
        );
        let entry = change(2, "a", ChangeKind::React, Some("👍"));
        let system = Message {
            system: Some(System {
                event: SystemEvent::Created,
                members: vec!["a".into()],
                name: "g".into(),
            }),
            body: None,
            ..message(1, "a", SENT)
        };
        for target in [&entry, &system] {
            let (code, _) = refusal(check(ask(ChangeKind::React, "a", SENT, Some(target), None)));
            assert_eq!(code, ErrorCode::BadRequest);
        }
        let target = message(1, "a", SENT);
        let deleted = apply(None, &change(3, "a", ChangeKind::Delete, None));
        for kind in ChangeKind::ALL {
            let (code, text) = refusal(check(ask(kind, "a", SENT, Some(&target), Some(&deleted))));
            assert_eq!(
                (code, text.as_str()),
                (ErrorCode::Forbidden, "the message was deleted")
            );
        }
    }

    #[test]
    fn anyone_reacts_once_and_the_newest_change_wins() {
        let target = message(1, "a", SENT);
        assert!(check(ask(ChangeKind::React, "b", SENT * 2, Some(&target), None)).is_ok());
        let mut state = apply(None, &change(2, "b", ChangeKind::React, Some("👍")));
        state = apply(Some(&state), &change(3, "a", ChangeKind::React, Some("😂")));
        state = apply(Some(&state), &change(4, "b", ChangeKind::React, Some("❤️")));
        assert_eq!(state.state.version, 4);
        assert_eq!(state.state.reactions.len(), 2, "one per person");
        assert_eq!(state.state.reactions["b"].body, "❤️", "replaced");
        state = apply(Some(&state), &change(5, "b", ChangeKind::Unreact, None));
        assert_eq!(
            state.state.reactions.keys().collect::<Vec<_>>(),
            ["a"],
            "removed"
        );
        state = apply(Some(&state), &change(6, "a", ChangeKind::Edit, Some("new")));
        assert_eq!(state.state.edited.as_ref().unwrap().body, "new");
        assert_eq!(state.edits, [(6, SENT + 6)]);
        state = apply(Some(&state), &change(7, "a", ChangeKind::Delete, None));
        assert_eq!(state.state.version, 7);
        assert!(state.state.edited.is_none() && state.state.reactions.is_empty());
        assert_eq!(state.state.deleted.as_ref().unwrap().by, "a");
        assert_eq!(state.edits.len(), 1, "the edits to scrub are kept");
    }

    #[test]
    fn replies_quote_a_message_with_its_stored_author() {
        let target = message(1, "b", SENT);
        let quote = reply(Some(&target), Some("hello".into())).unwrap();
        assert_eq!(
            quote,
            Reply {
                seq: 1,
                from: "b".into(),
                preview: Some("hello".into())
            }
        );
        assert_eq!(reply(None, None).unwrap_err().code(), ErrorCode::NotFound);
        let entry = change(2, "a", ChangeKind::Edit, Some("x"));
        assert_eq!(
            reply(Some(&entry), None).unwrap_err().code(),
            ErrorCode::BadRequest
        );
    }
}
