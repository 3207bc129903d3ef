//! The chat state, without sockets: what the client does with each server frame, each call
//! of the application and the passing of time, as frames to send and events to hand out.
//! The connection worker feeds it and carries out what it asks; the tests drive it by hand.
//!
//! - [`outbox`](self::outbox): sends are stored, then sent, and resent with the same id
//!   until `sent` or a final refusal.
//! - [`inbox`](self::inbox): sync on connect and on a gap; messages stored once by
//!   (conversation, seq) and handed to the application once, in order; `ack delivered`.
//! - [`ticks`](self::ticks): this device's messages' ticks from `sent` and `receipt`.
//! - [`requests`](self::requests): frames awaiting a reply by id (groups, lookup, files).
//! - [`settings`](self::settings): the user's chat settings, and the keepalive `ping`.
//! - [`presence`](self::presence): the users watched while their chat is open (the lease
//!   renewed, and again on each new connection).
//!
//! Changes to messages (edit, delete, react, unreact) are entries of their conversation
//! like any message: stored, ordered and delivered by the inbox, then applied to their
//! target's [`MessageState`] instead of being handed out (see [`crate::store::MessageState`]).
//! A `skip` (an entry from someone the user blocks) fills its seq and is never handed out.

mod inbox;
mod outbox;
pub(super) mod presence;
mod requests;
mod settings;
mod ticks;

#[cfg(test)]
mod tests;

pub use requests::{Reply, RequestError};

use parley_protocol::{
    AckStatus, ChatSettings, ClientFrame, ConversationId, ErrorCode, ServerFrame,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::events::Event;
use crate::store::{Message, MessageState, Store, StoreError};

/// A `message` frame as the store keeps it, and its `encrypted` content when it came
/// encrypted (to be decrypted before it is stored). None for any other frame.
pub(crate) fn stored_message(frame: &ServerFrame) -> Option<(Message, Option<String>)> {
    let ServerFrame::Message {
        conversation,
        seq,
        message_id,
        id,
        from,
        ts,
        body,
        attachment,
        system,
        kind,
        target,
        reply_to,
        mentions,
        forwarded,
        state,
        encrypted,
        seconds,
        expires_at,
        cursor: _,
    } = frame
    else {
        return None;
    };
    let message = Message {
        conversation: conversation.clone(),
        seq: *seq,
        message_id: message_id.clone(),
        id: id.clone(),
        from: from.clone(),
        ts: *ts,
        body: body.clone(),
        attachment: attachment.clone(),
        system: system.clone(),
        kind: *kind,
        target: *target,
        reply_to: reply_to.clone(),
        mentions: mentions.clone(),
        forwarded: *forwarded,
        state: state
            .clone()
            .map(MessageState::of_snapshot)
            .unwrap_or_default(),
        encryption: None,
        file: None,
        skipped: false,
        timer: seconds.filter(|_| *kind == Some(parley_protocol::ChangeKind::Timer)),
        expires_at: *expires_at,
    };
    Some((message, encrypted.clone()))
}

/// What the chat state asks of the connection worker. (Not boxed, as [`Event`] is not:
/// each goes from the queue to the socket or the channel once.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Output {
    /// Put this frame on the socket (only ever asked while connected).
    Frame(ClientFrame),
    /// Hand this to the application.
    Event(Event),
    /// Encrypt this send (end-to-end), then answer [`Chat::sealed`] or
    /// [`Chat::seal_failed`] with its id.
    Seal(Box<parley_protocol::client::Send>),
}

pub struct Chat {
    store: Arc<Store>,
    /// This user's id.
    me: String,
    connected: bool,
    outbox: outbox::Outbox,
    inbox: inbox::Inbox,
    requests: requests::Requests,
    presence: presence::Watches,
    /// Acks to send once connected again (cumulative: the highest per conversation).
    unsent_acks: BTreeMap<(ConversationId, AckStatus), u64>,
    /// Acks put on the current connection since the last `synced`. An ack has no reply,
    /// so one on a connection that then dropped may be lost: they go again on the next
    /// (the server sends no receipt for a mark that does not move).
    sent_acks: BTreeMap<(ConversationId, AckStatus), u64>,
    out: Vec<Output>,
    /// `keys` answers still coming in parts, by request id.
    key_parts:
        BTreeMap<String, BTreeMap<String, BTreeMap<String, parley_protocol::client::DeviceKeys>>>,
}

impl Chat {
    /// The chat state of `me`, with the outbox reloaded from the store.
    pub fn new(store: Arc<Store>, me: String, now: Instant) -> Result<Self, StoreError> {
        let outbox = outbox::Outbox::load(&store, now)?;
        Ok(Self {
            store,
            me,
            connected: false,
            outbox,
            inbox: inbox::Inbox::default(),
            requests: requests::Requests::default(),
            presence: presence::Watches::default(),
            unsent_acks: BTreeMap::new(),
            sent_acks: BTreeMap::new(),
            out: Vec::new(),
            key_parts: BTreeMap::new(),
        })
    }

    /// What to do, in order; empties the queue.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// A connection opened: catch up, then send what waits.
    pub fn connected(&mut self, now: Instant) -> Result<(), StoreError> {
        self.connected = true;
        self.start_sync(now);
        for ((conversation, status), seq) in std::mem::take(&mut self.unsent_acks) {
            self.ack(conversation, seq, status);
        }
        self.outbox.disconnected(now);
        self.requests.disconnected(now);
        self.presence.connected(now);
        self.poll(now)
    }

    /// The connection closed: whatever awaited a reply on it goes again on the next one.
    pub fn disconnected(&mut self, now: Instant) {
        self.connected = false;
        for (key, seq) in std::mem::take(&mut self.sent_acks) {
            let mark = self.unsent_acks.entry(key).or_default();
            *mark = (*mark).max(seq);
        }
        self.inbox.disconnected();
        self.outbox.disconnected(now);
        self.requests.disconnected(now);
    }

    /// A frame from the server.
    pub fn frame(&mut self, frame: ServerFrame, now: Instant) -> Result<(), StoreError> {
        match frame {
            ServerFrame::Sent {
                id,
                conversation,
                seq,
                message_id,
                ts,
            } => self.on_sent(&id, conversation, seq, message_id, ts, now)?,
            frame @ ServerFrame::Message { .. } => {
                if let Some((message, _)) = stored_message(&frame) {
                    self.on_message(message, now)?;
                }
            }
            ServerFrame::Skip {
                conversation,
                seq,
                cursor: _,
            } => self.on_skip(conversation, seq, now)?,
            ServerFrame::Synced { cursor, more } => self.on_synced(&cursor, more, now)?,
            ServerFrame::Receipt {
                conversation,
                seq,
                by,
                status,
            } => self.on_receipt(&conversation, seq, &by, status)?,
            ServerFrame::Typing { conversation, from } => {
                self.emit(Event::Typing { conversation, from });
            }
            ServerFrame::Error { id, code, message } => {
                self.on_error(id.as_deref(), code, message, now)?
            }
            ServerFrame::Chat {
                id,
                conversation,
                muted_until,
                archived,
                pinned,
                unread,
            } => {
                let settings = ChatSettings {
                    conversation,
                    muted_until,
                    archived,
                    pinned,
                    unread,
                };
                self.on_chat(settings.clone());
                if let Some(id) = id {
                    self.on_reply(settings.into_frame(Some(id)))?;
                }
            }
            ServerFrame::Chats { id, chats } => {
                self.on_chats(chats.clone());
                self.on_reply(ServerFrame::Chats { id, chats })?;
            }
            // The keepalive's answer: receiving it was the point.
            ServerFrame::Pong { .. } => {}
            ServerFrame::Presence {
                id,
                user,
                online,
                last_seen,
            } => {
                self.on_presence(user.clone(), online, last_seen);
                if id.is_some() {
                    self.on_reply(ServerFrame::Presence {
                        id,
                        user,
                        online,
                        last_seen,
                    })?;
                }
            }
            ServerFrame::Blocked { id, user, blocked } => {
                self.emit(Event::Blocked {
                    user: user.clone(),
                    blocked,
                });
                if id.is_some() {
                    self.on_reply(ServerFrame::Blocked { id, user, blocked })?;
                }
            }
            reply => self.on_reply(reply)?,
        }
        self.poll(now)
    }

    /// A message the connection already decrypted (or found it could not).
    pub fn message(&mut self, message: Message, now: Instant) -> Result<(), StoreError> {
        self.on_message(message, now)?;
        self.poll(now)
    }

    /// Puts a frame that awaits no reply on the socket if connected; drops it otherwise.
    pub fn frame_if_connected(&mut self, frame: ClientFrame) {
        if self.connected {
            self.send_frame(frame);
        }
    }

    /// API Gateway's own "Internal server error" (a frame without `type`): some frame on
    /// this connection failed, and which one it does not say. Everything awaiting a reply
    /// goes again after a backoff; a retried send is answered with the same `sent`.
    pub fn gateway_error(&mut self, now: Instant) -> Result<(), StoreError> {
        self.outbox.all_failed(now);
        self.requests.all_failed(now);
        self.inbox.sync_failed(now);
        self.poll(now)
    }

    /// Sends what fell due, resends what timed out, syncs again where a gap waits.
    pub fn poll(&mut self, now: Instant) -> Result<(), StoreError> {
        if !self.connected {
            return Ok(());
        }
        self.poll_outbox(now)?;
        self.poll_requests(now);
        self.poll_presence(now);
        self.poll_inbox(now)
    }

    /// When [`poll`](Self::poll) next has something to do.
    pub fn next_wakeup(&self) -> Option<Instant> {
        [
            self.outbox.next_wakeup(),
            self.requests.next_wakeup(),
            self.inbox.next_wakeup(),
            self.presence.next_wakeup(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The application showed a conversation up to `seq`.
    pub fn mark_read(&mut self, conversation: ConversationId, seq: u64) -> Result<(), StoreError> {
        let mut state = self.store.conversation(&conversation)?;
        if seq > state.acked_read {
            state.acked_read = seq;
            self.store.save_conversation(&conversation, &state)?;
            self.ack(conversation, seq, AckStatus::Read);
        }
        Ok(())
    }

    /// The user is typing (dropped while offline: it is stale by the time of a reconnect).
    pub fn typing(&mut self, conversation: ConversationId) {
        if self.connected {
            self.send_frame(ClientFrame::Typing(parley_protocol::client::Typing {
                conversation,
            }));
        }
    }

    fn ack(&mut self, conversation: ConversationId, seq: u64, status: AckStatus) {
        if self.connected {
            let mark = self
                .sent_acks
                .entry((conversation.clone(), status))
                .or_default();
            *mark = (*mark).max(seq);
            self.send_frame(ClientFrame::Ack(parley_protocol::client::Ack {
                conversation,
                seq,
                status,
            }));
        } else {
            let mark = self.unsent_acks.entry((conversation, status)).or_default();
            *mark = (*mark).max(seq);
        }
    }

    fn on_error(
        &mut self,
        id: Option<&str>,
        code: ErrorCode,
        message: String,
        now: Instant,
    ) -> Result<(), StoreError> {
        tracing::debug!(%code, id, "the server refused a frame");
        if let Some(id) = id {
            if self.outbox.contains(id) {
                return self.on_send_refused(id, code, message, now);
            }
            self.requests.refused(id, code, message, now);
            return Ok(());
        }
        // Frames without an id (`sync`, `ack`, `typing`) are refused without one: if a sync
        // is under way it may be the one, and syncing again costs nothing but a page.
        if !code.is_final() {
            self.inbox.sync_failed(now);
        }
        Ok(())
    }

    fn send_frame(&mut self, frame: ClientFrame) {
        self.out.push(Output::Frame(frame));
    }

    fn emit(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }
}
