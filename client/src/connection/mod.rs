//! The connection worker: one task owns the socket and the chat state, and talks to the
//! application over channels (commands in, events out). It connects with the stored ID
//! token, feeds every frame to the chat state and carries out what that asks, and
//! reconnects after any close with exponential backoff and jitter.
//!
//! API Gateway's limits shape it:
//! - 10 minutes without a data frame closes a connection. Whether API Gateway counts
//!   WebSocket ping frames as activity is not documented, and clients report it does not
//!   take part in ping/pong (andyrichardson/subscriptionless#3); the emulator counts them.
//!   So the worker sends no WebSocket pings: after [`KEEPALIVE_AFTER`] without a data frame
//!   either way it sends the protocol's `ping` (a data frame, answered by `pong`, which the
//!   server answers without reading any table; the `sync` it sent before cost a mailbox
//!   Query each time). An unanswered keepalive means a dead connection: reconnect.
//! - A connection lasts 2 hours, and a frame sent with an expired token is refused
//!   (`unauthorized`) and the connection closed. Before either ([`ROTATE_AFTER`], or the
//!   token's refresh margin) the worker opens a new connection first, moves to it, and
//!   keeps reading the old one for [`OLD_SOCKET_GRACE`] so no reply in flight is lost.
//! - A handshake refused with 401/403, or an `unauthorized` frame, gets fresh tokens from
//!   the [`TokenSource`] before the next attempt.
//!
//! The limits are in [`Timing`], which the tests shorten.

use parley_protocol::client::Send;
use parley_protocol::{ClientFrame, ConversationId, ErrorCode, ServerFrame, SystemEvent};
use std::future::pending;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;

use crate::backoff::Backoff;
use crate::chat::{Chat, Output, Reply};
use crate::crypto::{Crypto, RoomKey};
use crate::e2e::driver::KeyEvent;
use crate::events::{ConnectionState, Event};
use crate::flight::REPLY_TIMEOUT;
use crate::socket::{
    ConnectError, FrameSink as Sink, FrameSocket, FrameStream as Stream, Incoming, ServerText,
};
use crate::store::{Store, StoreError};
use crate::token_source::TokenSource;
use crate::tokens::REFRESH_MARGIN_SECS;

/// Send a keepalive after this long without a data frame (API Gateway closes at 10 min).
pub const KEEPALIVE_AFTER: Duration = Duration::from_secs(9 * 60);
/// Move to a new connection this long after opening one (API Gateway closes at 2 h).
pub const ROTATE_AFTER: Duration = Duration::from_secs(115 * 60);
/// Keep reading a connection replaced by a newer one this long: API Gateway answers a
/// frame within its 29 s integration timeout.
pub const OLD_SOCKET_GRACE: Duration = REPLY_TIMEOUT;
/// A handshake that takes longer than this is abandoned.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The worker's clock: API Gateway's limits, shortened by the tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub keepalive_after: Duration,
    /// How long a keepalive may go unanswered before the connection counts as dead.
    pub keepalive_timeout: Duration,
    pub rotate_after: Duration,
    pub old_socket_grace: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            keepalive_after: KEEPALIVE_AFTER,
            keepalive_timeout: REPLY_TIMEOUT,
            rotate_after: ROTATE_AFTER,
            old_socket_grace: OLD_SOCKET_GRACE,
        }
    }
}

/// What the application asks of the worker.
pub(crate) enum Command {
    /// A send to queue; `true`: to be encrypted end to end when its turn comes.
    Send(Box<Send>, bool, oneshot::Sender<Result<(), StoreError>>),
    /// A send was encrypted (the `encrypted` content, None: to go in the clear), or could
    /// not be (the error).
    Sealed(String, Result<crate::e2e::Sealed, String>),
    /// A frame without a reply to await (the to-device loop's sync and acks): sent if
    /// connected, else dropped (the loop syncs again on the next connection).
    Frame(ClientFrame),
    Request(ClientFrame, oneshot::Sender<Reply>),
    MarkRead(ConversationId, u64),
    Typing(ConversationId),
    /// Watch a user's presence (`true`) or stop.
    Watch(String, bool),
}

/// How a connection ended.
enum End {
    /// Closed or dead: reconnect.
    Closed,
    /// The server refused the token: refresh, then reconnect.
    Unauthorized,
    /// The application dropped its client: stop.
    Stopped,
}

pub(crate) struct Worker<T> {
    pub websocket_url: String,
    pub store: Arc<Store>,
    pub tokens: T,
    pub chat: Chat,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub events: mpsc::UnboundedSender<Event>,
    pub timing: Timing,
    /// End-to-end encryption, when on: opened when the worker starts.
    pub e2e_handle: Option<crate::e2e::E2eHandle>,
    pub e2e: Option<WorkerE2e>,
}

/// What the worker needs of end-to-end encryption: this device's id (presented at connect),
/// the engine (to decrypt), and the to-device loop (fed the key frames).
pub(crate) struct WorkerE2e {
    pub e2e: Arc<crate::e2e::E2e>,
    pub me: String,
    pub device_id: String,
    pub crypto: Arc<Crypto>,
    pub keys: mpsc::UnboundedSender<KeyEvent>,
    pub inbox: crate::e2e::inbox::KeyInbox,
}

/// With encryption, a connection's message sync waits this long at most for the to-device
/// sync (the room keys) to end.
const KEYS_BEFORE_MESSAGES: Duration = Duration::from_secs(10);

impl<T: TokenSource> Worker<T> {
    pub async fn run(mut self) {
        if let Some(handle) = self.e2e_handle.take() {
            match handle.get().await {
                Ok(e2e) => {
                    self.e2e = Some(WorkerE2e {
                        e2e: e2e.clone(),
                        me: handle.user.clone(),
                        device_id: handle.device_id.clone(),
                        crypto: e2e.crypto.clone(),
                        keys: e2e.keys.clone(),
                        inbox: Default::default(),
                    })
                }
                // Messages that come encrypted are kept as they came; sends are refused.
                Err(error) => tracing::error!(%error, "end-to-end encryption cannot start"),
            }
        }
        let mut failures = 0u32;
        let mut refresh = false;
        loop {
            self.emit(Event::Connection(ConnectionState::Connecting));
            match self.open(refresh).await {
                Ok((sink, stream, expires_at)) => {
                    failures = 0;
                    refresh = false;
                    match self.session(sink, stream, expires_at).await {
                        End::Stopped => return,
                        End::Unauthorized => refresh = true,
                        End::Closed => {}
                    }
                }
                Err(OpenError::Refused(401 | 403)) => {
                    refresh = true;
                    failures += 1;
                }
                Err(error) => {
                    tracing::info!(%error, "could not connect");
                    failures += 1;
                }
            }
            self.chat.disconnected(Instant::now());
            let retry_in = Backoff::RECONNECT.delay(failures.max(1));
            self.emit(Event::Connection(ConnectionState::Disconnected {
                retry_in,
            }));
            if !self.offline(Instant::now() + retry_in).await {
                return;
            }
        }
    }

    /// Opens a connection with a fresh enough token; answers its sink, its stream and
    /// when its token must be replaced.
    async fn open(&mut self, force_refresh: bool) -> Result<(Sink, Stream, i64), OpenError> {
        let mut tokens = self.store.tokens()?.ok_or(OpenError::SignedOut)?;
        if force_refresh || tokens.needs_refresh(now_epoch()) {
            tokens = self
                .tokens
                .refresh(&tokens)
                .await
                .map_err(|e| OpenError::Refresh(e.to_string()))?;
            self.store.save_tokens(&tokens)?;
        }
        let url = match &self.e2e {
            Some(e2e) => {
                let separator = if self.websocket_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                format!("{}{separator}device={}", self.websocket_url, e2e.device_id)
            }
            None => self.websocket_url.clone(),
        };
        let socket = tokio::time::timeout(
            CONNECT_TIMEOUT,
            FrameSocket::connect(&url, Some(&tokens.id_token)),
        )
        .await
        .map_err(|_| OpenError::Timeout)?
        .map_err(|e| match e {
            ConnectError::Refused(status) => OpenError::Refused(status),
            other => OpenError::Connect(other.to_string()),
        })?;
        let (sink, stream) = socket.split();
        Ok((sink, stream, tokens.expires_at))
    }

    /// Between connections: the application's calls still go to the chat state (a send is
    /// stored in the outbox). False when the application is gone.
    async fn offline(&mut self, until: Instant) -> bool {
        loop {
            tokio::select! {
                _ = sleep_until(until.into()) => return true,
                command = self.commands.recv() => match command {
                    Some(command) => {
                        self.command(command).await;
                        self.forward_events();
                    }
                    None => return false,
                },
            }
        }
    }

    async fn session(&mut self, mut sink: Sink, mut stream: Stream, mut expires_at: i64) -> End {
        let timing = self.timing;
        let mut opened = Instant::now();
        let mut last_data = opened;
        let mut keepalive_sent: Option<Instant> = None;
        // A connection being replaced: nothing more is written to it, but it is read until
        // it closes or its grace ends (a reply may still be on its way), then closed.
        let mut old: Option<(Sink, Stream, Instant)> = None;
        self.emit(Event::Connection(ConnectionState::Connected));
        if self.e2e.is_some() {
            self.chat.hold_sync(opened + KEYS_BEFORE_MESSAGES);
        }
        if let Err(error) = self.chat.connected(opened) {
            tracing::error!(%error, "the store failed");
        }
        self.key_event(KeyEvent::Connected);
        loop {
            if !self.flush(&mut sink).await {
                return End::Closed;
            }
            let now = Instant::now();
            // (A token that cannot be refreshed past its margin is not chased more than
            // once a minute.)
            let rotate_at = (opened + timing.rotate_after)
                .min(token_deadline(expires_at, now).max(opened + Duration::from_secs(60)));
            let keepalive_at = keepalive_sent
                .map(|sent| sent + timing.keepalive_timeout)
                .unwrap_or(last_data + timing.keepalive_after);
            let mut wake = rotate_at.min(keepalive_at);
            if let Some(at) = self.chat.next_wakeup() {
                wake = wake.min(at);
            }
            if let Some((_, _, until)) = &old {
                wake = wake.min(*until);
            }
            tokio::select! {
                frame = stream.next() => match frame {
                    Incoming::Text(text) => {
                        last_data = Instant::now();
                        keepalive_sent = None;
                        if self.text(&text).await {
                            return End::Unauthorized;
                        }
                    }
                    Incoming::Closed(_) | Incoming::Failed(_) => return End::Closed,
                    Incoming::Binary(_) => {}
                },
                frame = next_old(&mut old) => match frame {
                    Incoming::Text(text) => {
                        // An `unauthorized` on the old connection concerns only it.
                        self.text(&text).await;
                    }
                    Incoming::Closed(_) | Incoming::Failed(_) => close_old(&mut old).await,
                    Incoming::Binary(_) => {}
                },
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => {
                        let _ = sink.close().await;
                        return End::Stopped;
                    }
                },
                _ = sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if old.as_ref().is_some_and(|(_, _, until)| now >= *until) {
                        close_old(&mut old).await;
                    }
                    if let Some(sent) = keepalive_sent {
                        if now >= sent + timing.keepalive_timeout {
                            tracing::info!("the keepalive went unanswered: reconnecting");
                            return End::Closed;
                        }
                    } else if now >= last_data + timing.keepalive_after {
                        keepalive_sent = Some(now);
                        last_data = now;
                        self.chat.keepalive();
                    }
                    if now >= rotate_at {
                        match self.open(now >= token_deadline(expires_at, now)).await {
                            Ok((new_sink, new_stream, new_expiry)) => {
                                close_old(&mut old).await;
                                old = Some((
                                    std::mem::replace(&mut sink, new_sink),
                                    std::mem::replace(&mut stream, new_stream),
                                    now + timing.old_socket_grace,
                                ));
                                expires_at = new_expiry;
                                opened = Instant::now();
                                last_data = opened;
                                keepalive_sent = None;
                                // Frames awaiting replies may still be answered on the old
                                // connection; sent again here, they are answered the same.
                                self.chat.disconnected(opened);
                                if self.e2e.is_some() {
                                    self.chat.hold_sync(opened + KEYS_BEFORE_MESSAGES);
                                }
                                if let Err(error) = self.chat.connected(opened) {
                                    tracing::error!(%error, "the store failed");
                                }
                                self.key_event(KeyEvent::Connected);
                            }
                            Err(error) => {
                                tracing::info!(%error, "could not open the next connection");
                                // Retry soon; the current one still works until its end.
                                opened += Backoff::RECONNECT.delay(1);
                            }
                        }
                    }
                    if let Err(error) = self.chat.poll(now) {
                        tracing::error!(%error, "the store failed");
                    }
                }
            }
        }
    }

    /// A text frame from the server; true when it refused the connection's token.
    async fn text(&mut self, text: &str) -> bool {
        let now = Instant::now();
        let result = match ServerText::read(text) {
            ServerText::Frame(ServerFrame::ToDevice { messages }) => {
                self.on_to_device(Some(messages), None, now).await
            }
            ServerText::Frame(ServerFrame::ToDeviceSynced {
                more,
                one_time_key_counts,
                unused_fallback_keys,
            }) => {
                let result = self
                    .on_to_device(None, Some((one_time_key_counts, unused_fallback_keys)), now)
                    .await;
                if more {
                    let sync = parley_protocol::client::ToDeviceSync::default();
                    self.chat
                        .frame_if_connected(ClientFrame::ToDeviceSync(sync));
                } else if let Err(error) = self.chat.release_sync(now) {
                    tracing::error!(%error, "the store failed");
                }
                result
            }
            ServerText::Frame(ServerFrame::ToDeviceAcked {
                one_time_key_counts,
                unused_fallback_keys,
            }) => {
                self.on_to_device(None, Some((one_time_key_counts, unused_fallback_keys)), now)
                    .await
            }
            ServerText::Frame(frame @ ServerFrame::Message { .. }) => {
                self.message(frame, now).await
            }
            ServerText::NotJson(_) => {
                tracing::warn!("a frame that is not JSON");
                return false;
            }
            ServerText::GatewayError => self.chat.gateway_error(now),
            ServerText::Frame(ServerFrame::Error {
                code: ErrorCode::Unauthorized,
                ..
            }) => return true,
            ServerText::Frame(frame) => self.chat.frame(frame, now),
            // A frame type this client does not know yet: the protocol may add some.
            ServerText::Unknown(_) => Ok(()),
        };
        if let Err(error) = result {
            tracing::error!(%error, "the store failed");
        }
        false
    }

    /// A `message` frame: decrypted first when it came encrypted.
    async fn message(&mut self, frame: ServerFrame, now: Instant) -> Result<(), StoreError> {
        let Some((mut message, encrypted)) = crate::chat::stored_message(&frame) else {
            return self.chat.frame(frame, now);
        };
        if let (Some(system), Some(e2e)) = (&message.system, &self.e2e) {
            if matches!(system.event, SystemEvent::Removed | SystemEvent::Left) {
                // The next message starts a room key the one who went never gets (the
                // engine would rotate anyway once they are missing from the members).
                if let Err(error) = e2e.crypto.discard_room_key(&message.conversation).await {
                    tracing::warn!(%error, "could not discard the conversation's room key");
                }
            }
        }
        match (encrypted, &self.e2e) {
            (Some(encrypted), Some(e2e)) => {
                crate::e2e::open(&e2e.crypto, &mut message, encrypted).await;
            }
            (Some(encrypted), None) => {
                message.encryption = Some(crate::store::Encryption::Undecryptable {
                    encrypted,
                    reason: "encryption is off on this client".into(),
                });
            }
            (None, _) => {}
        }
        // A synced state's encrypted edit and reactions (of any message, encrypted or not).
        if let (true, Some(e2e)) = (message.state.is_sealed(), &self.e2e) {
            crate::e2e::open_state(&e2e.crypto, &mut message).await;
        }
        self.chat.message(message, now)
    }

    /// To-device messages and key counts: fed to the engine here, in the order they came,
    /// then acknowledged; room keys they brought decrypt what waited; the key task is told to
    /// upload what the counts call for.
    async fn on_to_device(
        &mut self,
        messages: Option<Vec<parley_protocol::ToDeviceMessage>>,
        counts: Option<(std::collections::BTreeMap<String, u64>, Vec<String>)>,
        now: Instant,
    ) -> Result<(), StoreError> {
        let Some(e2e) = &mut self.e2e else {
            return Ok(());
        };
        let crypto = e2e.crypto.clone();
        let processed = match (messages, counts) {
            (Some(messages), _) => e2e.inbox.messages(&crypto, messages).await,
            (None, Some((counts, unused))) => e2e.inbox.counts(&crypto, counts, unused).await,
            (None, None) => return Ok(()),
        };
        let processed = match processed {
            Ok(processed) => processed,
            Err(error) => {
                // Not acknowledged: the server hands them out again at the next sync.
                tracing::warn!(%error, "to-device messages not processed");
                return Ok(());
            }
        };
        if !processed.verification.is_empty() {
            let _ = e2e
                .keys
                .send(KeyEvent::Verification(processed.verification));
        }
        let _ = e2e.keys.send(KeyEvent::Exchange);
        for ids in processed.acks {
            let ack = parley_protocol::client::ToDeviceAck { ids };
            self.chat.frame_if_connected(ClientFrame::ToDeviceAck(ack));
        }
        if !processed.room_keys.is_empty() {
            self.room_keys(processed.room_keys).await?;
        }
        self.chat.poll(now)
    }

    /// Decrypts the stored messages that waited for one of `keys`.
    async fn room_keys(&mut self, keys: Vec<RoomKey>) -> Result<(), StoreError> {
        let Some(e2e) = &self.e2e else {
            return Ok(());
        };
        let sessions: std::collections::HashSet<String> =
            keys.into_iter().map(|k| k.session_id).collect();
        for (conversation, seq, session) in self.store.waiting_for_keys()? {
            if session.as_ref().is_some_and(|s| !sessions.contains(s)) {
                continue;
            }
            let Some(mut message) = self.store.message(&conversation, seq)? else {
                continue;
            };
            // A disappearing message whose time ran out while it waited: never handed out
            // (the end of the next sync deletes it).
            if message.expired(crate::store::now_ms()) {
                continue;
            }
            let mut body_opened = false;
            if let Some(crate::store::Encryption::WaitingForKey { encrypted, .. }) =
                message.encryption.clone()
            {
                crate::e2e::open(&e2e.crypto, &mut message, encrypted).await;
                body_opened = !message.is_waiting_for_key();
            }
            let state_opened = message.state.is_sealed()
                && crate::e2e::open_state(&e2e.crypto, &mut message).await;
            if body_opened || state_opened || !message.awaits_key() {
                self.chat.decrypted(message, body_opened)?;
            }
        }
        Ok(())
    }

    fn key_event(&mut self, event: KeyEvent) {
        if let Some(e2e) = &self.e2e {
            let _ = e2e.keys.send(event);
        }
    }

    async fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Send(frame, seal, done) => {
                let queued = if seal {
                    self.chat.send_encrypted(*frame, now)
                } else {
                    self.chat.send(*frame, now)
                };
                let _ = done.send(queued);
            }
            Command::Sealed(id, result) => {
                let result = match result {
                    Ok(sealed) => {
                        for new in sealed.new_devices {
                            self.emit(Event::NewDevice {
                                user: new.user,
                                device_id: new.device_id,
                            });
                        }
                        self.chat.sealed(&id, sealed.encrypted, now)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "a send could not be encrypted yet");
                        self.chat.seal_failed(&id, now);
                        Ok(())
                    }
                };
                if let Err(error) = result {
                    tracing::error!(%error, "the store failed");
                }
            }
            Command::Frame(frame) => self.chat.frame_if_connected(frame),
            Command::Request(frame, reply) => self.chat.request(frame, reply, now),
            Command::MarkRead(conversation, seq) => {
                if let Err(error) = self.chat.mark_read(conversation, seq) {
                    tracing::error!(%error, "the store failed");
                }
            }
            Command::Typing(conversation) => self.chat.typing(conversation),
            Command::Watch(user, watch) => self.chat.watch(user, watch, now),
        }
    }

    /// Carries out what the chat state asked: frames onto the socket, events to the
    /// application. False when the socket failed.
    async fn flush(&mut self, sink: &mut Sink) -> bool {
        for output in self.chat.take_outputs() {
            match output {
                Output::Frame(frame) => {
                    if sink.send(&frame).await.is_err() {
                        return false;
                    }
                }
                Output::Event(event) => self.emit(event),
                Output::Seal(frame) => self.seal(*frame),
            }
        }
        true
    }

    /// Encrypts a send in a task of its own (the key exchange it needs goes through this
    /// worker), which answers [`Command::Sealed`].
    fn seal(&mut self, frame: Send) {
        let now = Instant::now();
        let Some(e2e) = &self.e2e else {
            // Encryption was asked for and cannot start: the send is refused here rather
            // than sent in the clear.
            let refused = self.chat.refuse_send(
                &frame.id,
                "end-to-end encryption cannot start on this device".into(),
                now,
            );
            if let Err(error) = refused {
                tracing::error!(%error, "the store failed");
            }
            return;
        };
        let to = match (&frame.to_user, &frame.conversation) {
            (_, Some(conversation)) => crate::client::To::Conversation(conversation.clone()),
            (Some(user), None) => crate::client::To::User(user.clone()),
            (None, None) => return,
        };
        // An encrypted file (crate::files): its real attachment and key go inside.
        let sealed_file = match &frame.attachment {
            Some(attachment) => match self.store.sealed_file(&attachment.key) {
                Ok(found) => found,
                Err(error) => {
                    tracing::error!(%error, "the store failed");
                    return;
                }
            },
            None => None,
        };
        let (conversation, members) = match crate::e2e::members_of(&self.store, &e2e.me, &to) {
            Ok(found) => found,
            Err(error) if sealed_file.is_some() => {
                tracing::warn!(%error, "an encrypted file to a group of unknown members");
                if let Err(error) = self.chat.refuse_send(
                    &frame.id,
                    "the group's members are not known on this device".into(),
                    now,
                ) {
                    tracing::error!(%error, "the store failed");
                }
                return;
            }
            Err(error) => {
                // A group this device does not know the members of (it never saw it).
                tracing::warn!(%error, "sent in the clear");
                if let Err(error) = self.chat.sealed(&frame.id, None, now) {
                    tracing::error!(%error, "the store failed");
                }
                return;
            }
        };
        let (engine, me) = (e2e.e2e.clone(), e2e.me.clone());
        tokio::spawn(async move {
            let preview = frame.reply_to.as_ref().and_then(|r| r.preview.as_deref());
            let content = crate::e2e::content(frame.body.as_deref(), preview, sealed_file.as_ref());
            let result = engine
                .seal(&me, &conversation, &members, &content)
                .await
                .map_err(|e| e.to_string())
                .and_then(|sealed| match (&sealed.encrypted, &sealed_file) {
                    // The file's bytes are encrypted and its key would go nowhere: a member
                    // lost their keys since the upload. Tried again later (with backoff).
                    (None, Some(_)) => {
                        Err("an encrypted file to a member without keys: not sent yet".into())
                    }
                    _ => Ok(sealed),
                });
            engine.command(Command::Sealed(frame.id, result));
        });
    }

    /// Offline, only events can come out (frames wait for the connection).
    fn forward_events(&mut self) {
        for output in self.chat.take_outputs() {
            match output {
                Output::Event(event) => self.emit(event),
                Output::Seal(frame) => self.seal(*frame),
                Output::Frame(_) => {}
            }
        }
    }

    fn emit(&self, event: Event) {
        // The application may have stopped listening: its loss.
        let _ = self.events.send(event);
    }
}

#[derive(Debug, thiserror::Error)]
enum OpenError {
    #[error("no tokens in the store: sign in first")]
    SignedOut,
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    #[error("token refresh failed: {0}")]
    Refresh(String),
    #[error("the handshake timed out")]
    Timeout,
    #[error("the handshake was refused with HTTP {0}")]
    Refused(u16),
    #[error("{0}")]
    Connect(String),
}

async fn next_old(old: &mut Option<(Sink, Stream, Instant)>) -> Incoming {
    match old {
        Some((_, stream, _)) => stream.next().await,
        None => pending().await,
    }
}

async fn close_old(old: &mut Option<(Sink, Stream, Instant)>) {
    if let Some((mut sink, _, _)) = old.take() {
        let _ = sink.close().await;
    }
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// When a connection must move to a fresh token: its refresh margin before expiry.
fn token_deadline(expires_at: i64, now: Instant) -> Instant {
    let left = expires_at - REFRESH_MARGIN_SECS - now_epoch();
    now + Duration::from_secs(left.max(0) as u64)
}

#[cfg(test)]
mod tests;
