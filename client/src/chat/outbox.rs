//! The outbox: a send is stored first, then sent; sent again with the same id (the server
//! stores nothing twice and answers the same `sent`) until `sent` or a final refusal
//! (`bad_request`, `forbidden`, `not_found`, `too_large`). `internal`, `rate_limited`, the
//! gateway's own error, an overdue reply and a closed connection all mean "again, later".
//!
//! Sends to one conversation go one at a time, in the order they were made, so the server
//! numbers them in that order.

use parley_protocol::client::Send;
use parley_protocol::{ClientFrame, ConversationId, ErrorCode, Reply};
use std::collections::HashSet;
use std::time::Instant;

use super::Chat;
use crate::backoff::Backoff;
use crate::events::Event;
use crate::flight::Flight;
use crate::store::{
    Encryption, Message, OutboxEntry, OwnMessage, Refusal, Store, StoreError, Tick,
};

/// The sends still to be stored by the server, in the order they were made.
pub(super) struct Outbox {
    pending: Vec<Pending>,
}

struct Pending {
    entry: OutboxEntry,
    flight: Flight,
    /// Being encrypted (asked of the worker, not answered yet).
    sealing: bool,
}

impl Pending {
    /// Sends to the same place keep their order: this names the place.
    fn target(&self) -> String {
        match (&self.entry.frame.conversation, &self.entry.frame.to_user) {
            (Some(conversation), _) => format!("c {conversation}"),
            (None, Some(user)) => format!("u {user}"),
            (None, None) => String::new(),
        }
    }
}

impl Outbox {
    /// The outbox as stored: what a previous run left unsent goes first.
    pub(super) fn load(store: &Store, now: Instant) -> Result<Self, StoreError> {
        let pending = store
            .outbox()?
            .into_iter()
            .filter(|entry| entry.failed.is_none())
            .map(|entry| Pending {
                entry,
                flight: Flight::due_now(now),
                sealing: false,
            })
            .collect();
        Ok(Self { pending })
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.pending.iter().any(|p| p.entry.frame.id == id)
    }

    fn take(&mut self, id: &str) -> Option<OutboxEntry> {
        let at = self.pending.iter().position(|p| p.entry.frame.id == id)?;
        Some(self.pending.remove(at).entry)
    }

    pub(super) fn disconnected(&mut self, now: Instant) {
        for pending in &mut self.pending {
            pending.flight.disconnected(now);
        }
    }

    pub(super) fn all_failed(&mut self, now: Instant) {
        for pending in self.pending.iter_mut().filter(|p| p.flight.is_sent()) {
            pending.flight.failed(now, Backoff::RETRY);
        }
    }

    /// When the first waiting send of some conversation falls due or times out (the
    /// sends queued behind it wait for its `sent`, not for the clock).
    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        self.heads()
            .filter(|p| !p.sealing)
            .map(|p| p.flight.wakeup())
            .min()
    }

    /// The first waiting send of each conversation: the ones that may go out.
    fn heads(&self) -> impl Iterator<Item = &Pending> {
        let mut busy = HashSet::new();
        self.pending.iter().filter(move |p| busy.insert(p.target()))
    }
}

impl Chat {
    /// Queues a send: stored before anything goes on the wire.
    pub fn send(&mut self, frame: Send, now: Instant) -> Result<(), StoreError> {
        self.queue(frame, false, now)
    }

    /// Queues a send to be end-to-end encrypted when its turn comes (the worker is asked
    /// with [`Output::Seal`](super::Output::Seal), then answers [`Chat::sealed`]).
    pub fn send_encrypted(&mut self, frame: Send, now: Instant) -> Result<(), StoreError> {
        self.queue(frame, true, now)
    }

    fn queue(&mut self, frame: Send, seal: bool, now: Instant) -> Result<(), StoreError> {
        let entry = OutboxEntry {
            frame,
            attempts: 0,
            failed: None,
            seal,
            plaintext: None,
        };
        self.store.push_outbox(&entry)?;
        self.outbox.pending.push(Pending {
            entry,
            flight: Flight::due_now(now),
            sealing: false,
        });
        self.poll(now)
    }

    /// The send `id` is encrypted: `encrypted` replaces its body (None: it goes in the clear,
    /// a member having no device that could decrypt it). Stored, then sent.
    pub fn sealed(
        &mut self,
        id: &str,
        encrypted: Option<String>,
        now: Instant,
    ) -> Result<(), StoreError> {
        let Some(pending) = self
            .outbox
            .pending
            .iter_mut()
            .find(|p| p.entry.frame.id == id)
        else {
            return Ok(());
        };
        pending.sealing = false;
        pending.entry.seal = false;
        if let Some(encrypted) = encrypted {
            pending.entry.plaintext = pending.entry.frame.body.take();
            pending.entry.frame.encrypted = Some(encrypted);
            // The quote's preview is inside the ciphertext now (see `e2e::content`).
            if let Some(quoted) = pending.entry.frame.reply_to.as_mut() {
                quoted.preview = None;
            }
        }
        self.store.update_outbox(&pending.entry)?;
        pending.flight = Flight::due_now(now);
        self.poll(now)
    }

    /// Refuses the send `id` for good, before it went out (`Event::SendFailed`).
    pub fn refuse_send(&mut self, id: &str, why: String, now: Instant) -> Result<(), StoreError> {
        self.on_send_refused(id, ErrorCode::BadRequest, why, now)
    }

    /// Encrypting the send `id` failed (the key exchange did not go through): again later.
    pub fn seal_failed(&mut self, id: &str, now: Instant) {
        if let Some(pending) = self
            .outbox
            .pending
            .iter_mut()
            .find(|p| p.entry.frame.id == id)
        {
            pending.sealing = false;
            pending.flight.failed(now, Backoff::RETRY);
        }
    }

    /// Puts due sends on the socket (the first waiting send of each conversation only) and
    /// counts overdue replies as failures.
    pub(super) fn poll_outbox(&mut self, now: Instant) -> Result<(), StoreError> {
        let mut busy = HashSet::new();
        let mut frames = Vec::new();
        let mut seals = Vec::new();
        for pending in &mut self.outbox.pending {
            if !busy.insert(pending.target()) {
                continue;
            }
            if pending.entry.seal {
                if !pending.sealing && pending.flight.is_due(now) {
                    pending.sealing = true;
                    seals.push(super::Output::Seal(Box::new(pending.entry.frame.clone())));
                }
                continue;
            }
            if pending.flight.timed_out(now) {
                pending.flight.failed(now, Backoff::RETRY);
            }
            if pending.flight.is_due(now) {
                pending.entry.attempts += 1;
                self.store.update_outbox(&pending.entry)?;
                pending.flight.sent(now);
                frames.push(ClientFrame::Send(pending.entry.frame.clone()));
            }
        }
        self.out.extend(seals);
        for frame in frames {
            self.send_frame(frame);
        }
        Ok(())
    }

    /// The server stored one of this device's sends (maybe again: a retry is answered with
    /// the same `sent`, and a late duplicate finds nothing left to do).
    pub(super) fn on_sent(
        &mut self,
        id: &str,
        conversation: ConversationId,
        seq: u64,
        message_id: String,
        ts: i64,
        now: Instant,
    ) -> Result<(), StoreError> {
        let Some(entry) = self.outbox.take(id) else {
            return Ok(());
        };
        let frame = entry.frame;
        // A reply's quote names the quoted message's author, as the server does.
        // An encrypted send's frame left the preview out (it is in the ciphertext): this
        // device's copy makes it again from the quoted message it holds.
        let reply_to = match frame.reply_to {
            Some(quoted) => {
                let held = self.store.message(&conversation, quoted.seq)?;
                Some(Reply {
                    seq: quoted.seq,
                    preview: quoted.preview.or_else(|| {
                        held.as_ref()
                            .and_then(|m| m.text())
                            .map(crate::mentions::preview)
                    }),
                    from: held.map(|m| m.from).unwrap_or_default(),
                })
            }
            None => None,
        };
        // An encrypted file: this copy names the real one, with its key (crate::files).
        let sealed = match (&frame.attachment, &frame.encrypted) {
            (Some(attachment), Some(_)) => self.store.sealed_file(&attachment.key)?,
            _ => None,
        };
        let message = Message {
            conversation: conversation.clone(),
            seq,
            message_id,
            id: id.to_owned(),
            from: self.me.clone(),
            ts,
            body: frame.body.or_else(|| entry.plaintext.clone()),
            attachment: sealed
                .as_ref()
                .map(|s| s.attachment.clone())
                .or(frame.attachment),
            file: sealed.map(|s| s.file),
            system: None,
            kind: frame.kind,
            target: frame.target,
            reply_to,
            mentions: frame.mentions,
            forwarded: frame.forwarded,
            state: Default::default(),
            encryption: frame.encrypted.as_ref().map(|_| Encryption::Decrypted {
                sender_device: None,
                verified: true,
            }),
            skipped: false,
            timer: frame
                .seconds
                .filter(|_| frame.kind == Some(parley_protocol::ChangeKind::Timer)),
            // The server's `sent` does not say; a sync brings the stored copy's.
            expires_at: None,
        };
        // Message and tick first, then the outbox entry: a crash in between resends the
        // same id, which the server answers with the same `sent`.
        self.store.add_message(&message)?;
        // A change has no ticks of its own (the message it changes keeps its ticks): it
        // is only reported stored.
        if !message.is_change() {
            let audience = self.audience(&conversation)?;
            let own = OwnMessage {
                id: id.to_owned(),
                tick: Tick::Sent,
                audience,
            };
            self.store.save_own(&conversation, seq, &own)?;
        }
        self.store.remove_outbox(id)?;
        self.emit(Event::Tick {
            id: id.to_owned(),
            conversation: conversation.clone(),
            seq,
            tick: Tick::Sent,
        });
        self.update_ticks(&conversation, seq)?;
        self.deliver(&conversation, now)
    }

    pub(super) fn on_send_refused(
        &mut self,
        id: &str,
        code: ErrorCode,
        message: String,
        now: Instant,
    ) -> Result<(), StoreError> {
        if code.is_final() {
            if let Some(mut entry) = self.outbox.take(id) {
                entry.failed = Some(Refusal {
                    code,
                    message: message.clone(),
                });
                self.store.update_outbox(&entry)?;
                self.emit(Event::SendFailed {
                    id: id.to_owned(),
                    code,
                    message,
                });
            }
            return Ok(());
        }
        // `unauthorized`: the server closes the connection, and the next one (with a fresh
        // token) sends it again; until then it stays as it is.
        if code == ErrorCode::Unauthorized {
            return Ok(());
        }
        if let Some(pending) = self
            .outbox
            .pending
            .iter_mut()
            .find(|p| p.entry.frame.id == id)
        {
            pending.flight.failed(now, Backoff::RETRY);
        }
        Ok(())
    }
}
