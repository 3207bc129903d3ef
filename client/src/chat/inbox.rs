//! The inbox: every message this user gets, live or by `sync`, stored once by
//! (conversation, seq) and handed to the application once, in seq order per conversation.
//!
//! A sync runs on every connect and whenever a conversation shows a gap, from the stored
//! cursor until `more: false`. The cursor moves on only from `synced` frames, never from a
//! live message's: a live copy can overtake one whose delivery failed, and syncing from its
//! cursor could skip that one. Since cursors stay 30 s behind, a sync repeats recent
//! messages; they are dropped by (conversation, seq).
//!
//! A change entry (edit, delete, react, unreact) takes its turn like any message, and is
//! then applied to its target ([`Event::Changed`]) instead of handed out; one whose target
//! is not held yet is kept by the store and merged when the target comes. A message a
//! `sync` returns with a `state` has it merged, new here or not.
//!
//! A `skip` (the server's placeholder for an entry from someone this user blocks) is stored
//! as a placeholder [`Message::skip`]: it fills its seq, so nothing waits on a gap, and the
//! delivered mark moves past it, but it is never handed out, never changed and never acked
//! on its own (only along with a later message from someone else).
//!
//! A message after a gap is held back until a sync fills the gap. A gap a sync cannot fill
//! after [`GAP_GIVE_UP`] (a message removed by retention, or a mailbox that starts
//! mid-conversation) is stepped over, so that one lost message never stops a conversation.

use parley_protocol::client::Sync;
use parley_protocol::{AckStatus, ClientFrame, ConversationId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::Chat;
use crate::backoff::Backoff;
use crate::events::{ConnectionState, Event};
use crate::flight::Flight;
use crate::store::{now_ms, Encryption, Message, MessageState, StoreError};

/// Wait this long before syncing again for a gap the last sync left open: the message may
/// still have been committing.
pub(super) const GAP_RESYNC: Duration = Duration::from_secs(2);
/// Step over a gap still open this long after it was seen: twice the server's 30 s settle
/// window, after which every committed message is in a sync.
pub(super) const GAP_GIVE_UP: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(super) struct Inbox {
    /// A sync wanted or under way (`None`: none). Until it ends, a conversation this
    /// device has not delivered from yet waits, as its earlier messages may be in it.
    sync: Option<Flight>,
    /// Announce [`ConnectionState::Synced`] when the current sync ends.
    announce: bool,
    /// Conversations with a gap, and since when.
    gaps: BTreeMap<ConversationId, Instant>,
    /// New conversations waiting for the sync to end.
    waiting: BTreeSet<ConversationId>,
    /// No sync goes out before this (end-to-end encryption: the keys come first).
    held_until: Option<Instant>,
}

impl Inbox {
    fn syncing(&self) -> bool {
        self.sync.is_some()
    }

    pub(super) fn disconnected(&mut self) {
        self.sync = None;
    }

    /// The sync's page was refused or lost: ask again after a backoff.
    pub(super) fn sync_failed(&mut self, now: Instant) {
        if let Some(flight) = self.sync.as_mut().filter(|f| f.is_sent()) {
            flight.failed(now, Backoff::RETRY);
        }
    }

    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        match self.held_until {
            Some(until) if self.sync.is_some() => Some(until),
            _ => self.sync.map(|f| f.wakeup()),
        }
    }
}

impl Chat {
    /// Syncs from the stored cursor (the page goes out on the next poll).
    pub(super) fn start_sync(&mut self, now: Instant) {
        self.inbox.sync = Some(Flight::due_now(now));
        self.inbox.announce = true;
    }

    /// Holds the next syncs back until `until` at the latest, or until
    /// [`release_sync`](Self::release_sync): with end-to-end encryption, the to-device
    /// inbox (the room keys) is synced first, so the messages decrypt as they come.
    pub fn hold_sync(&mut self, until: Instant) {
        self.inbox.held_until = Some(until);
    }

    /// Lets the held sync go.
    pub fn release_sync(&mut self, now: Instant) -> Result<(), StoreError> {
        self.inbox.held_until = None;
        self.poll(now)
    }

    pub(super) fn poll_inbox(&mut self, now: Instant) -> Result<(), StoreError> {
        match self.inbox.held_until {
            Some(until) if now < until => return Ok(()),
            _ => self.inbox.held_until = None,
        }
        let Some(flight) = self.inbox.sync.as_mut() else {
            return Ok(());
        };
        if flight.timed_out(now) {
            flight.failed(now, Backoff::RETRY);
        }
        if flight.is_due(now) {
            flight.sent(now);
            let cursor = self.store.cursor()?;
            self.send_frame(ClientFrame::Sync(Sync::from(cursor)));
        }
        Ok(())
    }

    pub(super) fn on_message(&mut self, message: Message, now: Instant) -> Result<(), StoreError> {
        // A `sync` copy of a message changed since: its state is merged whether or not the
        // message is new here.
        let snapshot = (message.state != MessageState::default()).then(|| {
            (
                message.conversation.clone(),
                message.seq,
                message.state.clone(),
            )
        });
        // This device's own send, stored, though its `sent` never came (the connection
        // closed first): the message itself says so.
        if message.from == self.me && self.outbox.contains(&message.id) {
            let Message {
                id,
                conversation,
                seq,
                message_id,
                ts,
                ..
            } = message;
            self.on_sent(&id, conversation, seq, message_id, ts, now)?;
        } else if self.store.add_message(&message)? {
            self.deliver(&message.conversation, now)?;
        }
        if let Some((conversation, seq, state)) = snapshot {
            self.merge_state(&conversation, seq, &state)?;
        }
        Ok(())
    }

    /// A `skip`: the seq holds nothing for this user.
    pub(super) fn on_skip(
        &mut self,
        conversation: ConversationId,
        seq: u64,
        now: Instant,
    ) -> Result<(), StoreError> {
        if self
            .store
            .add_message(&Message::skip(conversation.clone(), seq))?
        {
            self.deliver(&conversation, now)?;
        }
        Ok(())
    }

    /// Folds a `sync` state into a stored message; one already handed out is handed out
    /// again, changed.
    fn merge_state(
        &mut self,
        conversation: &ConversationId,
        seq: u64,
        state: &MessageState,
    ) -> Result<(), StoreError> {
        if let Some((message, true)) = self.store.apply_change(conversation, seq, state)? {
            if !message.skipped && seq <= self.store.conversation(conversation)?.delivered {
                self.emit(Event::Changed {
                    message: Box::new(message),
                    change: None,
                });
            }
        }
        Ok(())
    }

    /// A change entry's turn (in seq order, so its target, when held, was handed out
    /// before it): applied to the target, which is handed out again; a target not held yet
    /// gets it when it comes.
    fn apply_entry(&mut self, entry: Message) -> Result<(), StoreError> {
        let Some(kind) = entry.kind else {
            return Ok(());
        };
        // An encrypted edit or reaction is folded in only once decrypted (see
        // [`Chat::decrypted`]): no text of it is shown before.
        if matches!(
            entry.encryption,
            Some(Encryption::WaitingForKey { .. } | Encryption::Undecryptable { .. })
        ) {
            return Ok(());
        }
        let Some((target, state)) = MessageState::of_entry(
            kind,
            entry.target,
            entry.seq,
            entry.ts,
            &entry.from,
            entry.body.as_deref(),
        ) else {
            return Ok(());
        };
        if let Some((message, true)) =
            self.store
                .apply_change(&entry.conversation, target, &state)?
        {
            if message.skipped {
                return Ok(());
            }
            self.emit(Event::Changed {
                message: Box::new(message),
                change: Some(Box::new(entry)),
            });
        }
        Ok(())
    }

    /// A stored message that waited for a key decrypted (its body: `body_opened`; else an
    /// edit or reaction in its state): stored again; a change entry whose turn already came
    /// is folded into its target now (one whose turn is still to come is folded then), a
    /// message is handed out again ([`Event::Decrypted`], or [`Event::Changed`] when only
    /// its state opened).
    pub fn decrypted(&mut self, message: Message, body_opened: bool) -> Result<(), StoreError> {
        self.store.replace_message(&message)?;
        let delivered = message.seq <= self.store.conversation(&message.conversation)?.delivered;
        if message.is_change() {
            if body_opened && delivered {
                self.apply_entry(message)?;
            }
        } else if body_opened {
            self.emit(Event::Decrypted(message));
        } else if delivered {
            self.emit(Event::Changed {
                message: Box::new(message),
                change: None,
            });
        }
        Ok(())
    }

    pub(super) fn on_synced(
        &mut self,
        cursor: &str,
        more: bool,
        now: Instant,
    ) -> Result<(), StoreError> {
        self.store.save_cursor(cursor)?;
        // The connection carried what was put on it before this answer.
        self.sent_acks.clear();
        if more {
            self.inbox.sync = Some(Flight::due_now(now));
            return Ok(());
        }
        self.inbox.sync = None;
        // Disappearing messages whose time ran out go from the store, whether or not the
        // server's storage deleted them yet.
        let purged = self.store.purge_expired(now_ms())?;
        if purged > 0 {
            tracing::debug!(purged, "deleted expired disappearing messages");
        }
        let mut touched = std::mem::take(&mut self.inbox.waiting);
        for (conversation, since) in self.inbox.gaps.clone() {
            if now.duration_since(since) >= GAP_GIVE_UP {
                self.step_over_gap(&conversation)?;
            }
            touched.insert(conversation);
        }
        for conversation in touched {
            self.deliver(&conversation, now)?;
        }
        if !self.inbox.gaps.is_empty() {
            self.inbox.sync = Some(Flight::due_at(now + GAP_RESYNC));
        } else if std::mem::take(&mut self.inbox.announce) {
            self.emit(Event::Connection(ConnectionState::Synced));
            self.list_chats();
        }
        Ok(())
    }

    /// Hands the application every stored message of a conversation that follows what it
    /// already has, in order; stops at a gap (and syncs to fill it). Then acks them.
    pub(super) fn deliver(
        &mut self,
        conversation: &ConversationId,
        now: Instant,
    ) -> Result<(), StoreError> {
        let mut state = self.store.conversation(conversation)?;
        let before = state.clone();
        let mut from_others = false;
        loop {
            let Some(next) = self
                .store
                .messages_after(conversation, state.delivered, 1)?
                .pop()
            else {
                self.inbox.gaps.remove(conversation);
                break;
            };
            let follows = next.seq == state.delivered + 1;
            // A conversation's first message here may not be its seq 1 (a member added
            // later starts at the `added` message): once no sync is under way, whatever
            // is first is where this device starts.
            let starts = state.delivered == 0 && !self.inbox.syncing();
            if !follows && !starts {
                if state.delivered == 0 {
                    self.inbox.waiting.insert(conversation.clone());
                } else {
                    self.inbox.gaps.entry(conversation.clone()).or_insert(now);
                    if !self.inbox.syncing() {
                        self.inbox.sync = Some(Flight::due_now(now));
                    }
                }
                break;
            }
            self.inbox.gaps.remove(conversation);
            state.delivered = next.seq;
            if next.skipped {
                continue;
            }
            from_others |= next.from != self.me;
            if next.is_change() {
                self.apply_entry(next)?;
            } else {
                self.apply_system(&next)?;
                // A disappearing message past its `expiresAt` (in the clear or encrypted
                // alike) counts as delivered (its seq is not a gap) but is never shown; the
                // end of the sync deletes it.
                if !next.expired(now_ms()) {
                    self.emit(Event::Message(next));
                }
            }
        }
        if from_others && state.delivered > state.acked_delivered {
            state.acked_delivered = state.delivered;
            self.ack(conversation.clone(), state.delivered, AckStatus::Delivered);
        }
        if state != before {
            self.store.save_conversation(conversation, &state)?;
        }
        Ok(())
    }

    /// Gives up on the messages missing before the next stored one.
    fn step_over_gap(&mut self, conversation: &ConversationId) -> Result<(), StoreError> {
        let mut state = self.store.conversation(conversation)?;
        if let Some(next) = self
            .store
            .messages_after(conversation, state.delivered, 1)?
            .pop()
        {
            tracing::warn!(
                %conversation,
                from = state.delivered + 1,
                to = next.seq - 1,
                "messages missing after sync: stepped over"
            );
            state.delivered = next.seq - 1;
            self.store.save_conversation(conversation, &state)?;
        }
        self.inbox.gaps.remove(conversation);
        Ok(())
    }
}
