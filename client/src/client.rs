//! The client facade: what an application holds. [`Client::start`] spawns the connection
//! worker and answers the handle and the events receiver; every call is a command to the
//! worker (sends go through the outbox, group actions and lookups await their reply by id).

use parley_protocol::client::{
    Audience, Block, Blocks, Chat as ChatFrame, Chats, CreateGroup, DownloadUrl, LeaveGroup,
    Lookup, Members, Mute, Platform, Prefs, Presence, Privacy, RegisterPush, Send, UploadUrl,
};
use parley_protocol::limits::{MAX_BODY_BYTES, MAX_REACTION_BYTES};
use parley_protocol::{
    Attachment, ChangeKind, ChatSettings, ClientFrame, ConversationId, ReplyTo, ServerFrame,
    UserEntry,
};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

use crate::chat::{Chat, RequestError};
use crate::connection::{Command, Timing, Worker};
use crate::events::Event;
use crate::mentions;
use crate::store::{Group, Message, Store, StoreError};
use crate::token_source::TokenSource;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// The direct chat with this user (by user id), started if need be.
    User(String),
    Conversation(ConversationId),
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no tokens in the store: sign in first")]
    SignedOut,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("a message body is at most {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the server answered with an unexpected frame")]
    UnexpectedReply,
    #[error("the client stopped")]
    Stopped,
    #[error("file: {0}")]
    File(#[from] std::io::Error),
    #[error("file transfer: {0}")]
    Http(String),
    #[error("message #{1} of {0} is not on this device (sync first)")]
    NotHeld(ConversationId, u64),
    #[error("only a message's text can be forwarded (a deleted message, a group event or a file cannot)")]
    CannotForward,
    #[error("end-to-end encryption: {0}")]
    Crypto(String),
}

impl From<crate::crypto::CryptoError> for ClientError {
    fn from(error: crate::crypto::CryptoError) -> Self {
        Self::Crypto(error.to_string())
    }
}

/// How a client runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// End-to-end encryption (on by default): every new message is encrypted for every
    /// device of every member, and encrypted messages are decrypted. The keys live beside
    /// the store (see [`Store::crypto_dir`]).
    pub encryption: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { encryption: true }
    }
}

/// How a message is sent besides its text: the message it replies to (a seq of the same
/// conversation: its quote's preview is made from the copy on this device), the members it
/// mentions (user ids), and whether it is forwarded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    pub reply_to: Option<u64>,
    pub mentions: Vec<String>,
    pub forwarded: bool,
}

/// A user's presence as the server answered it: `online`, else offline since `last_seen`
/// (ms since the epoch; `None` if never seen). Both `None`: hidden by privacy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresenceState {
    pub online: Option<bool>,
    pub last_seen: Option<i64>,
}

/// A group as a group action left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReply {
    pub conversation: ConversationId,
    pub group: Group,
}

/// What [`Client::set_chat`] changes of the user's settings of a conversation; `None`
/// leaves a setting as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatChange {
    pub mute: Option<Mute>,
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    pub unread: Option<bool>,
}

/// The application's handle. Cheap to clone; the worker stops when every clone is dropped.
#[derive(Clone)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    user_id: String,
    pub(crate) store: Arc<Store>,
    pub(crate) http: reqwest::Client,
    pub(crate) e2e: Option<crate::e2e::E2eHandle>,
    events: mpsc::UnboundedSender<Event>,
}

impl Client {
    /// Starts the connection worker for the user whose tokens are in `store`, against a
    /// stack's WebSocket URL (`ws://…` locally, `wss://…` deployed). Must be called within
    /// a tokio runtime.
    pub fn start<T: TokenSource>(
        websocket_url: &str,
        store: Arc<Store>,
        tokens: T,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Event>), ClientError> {
        Self::start_with(websocket_url, store, tokens, Options::default())
    }

    /// [`Client::start`] with [`Options`].
    pub fn start_with<T: TokenSource>(
        websocket_url: &str,
        store: Arc<Store>,
        tokens: T,
        options: Options,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Event>), ClientError> {
        let user_id = store.tokens()?.ok_or(ClientError::SignedOut)?.user_id;
        let chat = Chat::new(store.clone(), user_id.clone(), Instant::now())?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let e2e = if options.encryption {
            Some(crate::e2e::E2eHandle::new(
                &store, &user_id, &commands, &events,
            )?)
        } else {
            None
        };
        let worker = Worker {
            websocket_url: websocket_url.to_owned(),
            store: store.clone(),
            tokens,
            chat,
            commands: command_rx,
            events: events.clone(),
            timing: Timing::default(),
            e2e_handle: e2e.clone(),
            e2e: None,
        };
        tokio::spawn(worker.run());
        let client = Self {
            commands,
            user_id,
            store,
            http: reqwest::Client::new(),
            e2e,
            events,
        };
        Ok((client, event_rx))
    }

    /// This device's encryption engine (None with encryption off): its keys, and the
    /// devices it knows of other users.
    pub async fn crypto(&self) -> Result<Option<Arc<crate::crypto::Crypto>>, ClientError> {
        match &self.e2e {
            Some(handle) => Ok(Some(
                handle
                    .get()
                    .await
                    .map_err(ClientError::Crypto)?
                    .crypto
                    .clone(),
            )),
            None => Ok(None),
        }
    }

    /// The devices of `user` (this user's own too) as the key directory has them now, each
    /// with its identity key and whether this device marked it verified. Empty with
    /// encryption off, or for a user whose clients do not encrypt.
    pub async fn devices(&self, user: &str) -> Result<Vec<crate::crypto::DeviceInfo>, ClientError> {
        let Some(handle) = &self.e2e else {
            return Ok(Vec::new());
        };
        let e2e = handle.get().await.map_err(ClientError::Crypto)?;
        let mut transport = crate::e2e::transport::SocketTransport {
            commands: self.commands.downgrade(),
        };
        for new in e2e
            .crypto
            .refresh_devices(&mut transport, &[user.to_owned()])
            .await?
        {
            let _ = self.events.send(Event::NewDevice {
                user: new.user,
                device_id: new.device_id,
            });
        }
        Ok(e2e.crypto.devices(user).await?)
    }

    /// This device's id (the one the key directory knows it by).
    pub fn device_id(&self) -> Option<&str> {
        self.e2e.as_ref().map(|h| h.device_id.as_str())
    }

    /// The encryption's handle (None: encryption is off).
    pub(crate) fn e2e_handle(&self) -> Option<&crate::e2e::E2eHandle> {
        self.e2e.as_ref()
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Queues a text message; answers its client id once it is stored in the outbox.
    pub async fn send_text(&self, to: To, body: impl Into<String>) -> Result<String, ClientError> {
        let body = body.into();
        if body.len() > MAX_BODY_BYTES {
            return Err(ClientError::TooLarge);
        }
        self.send(to, Some(body), None).await
    }

    /// Queues a message carrying an uploaded file (see [`Client::upload`]). A file
    /// [`Client::upload`] encrypted goes as the neutral attachment the server holds, its
    /// real name, type and key inside the encrypted content.
    pub async fn send_attachment(
        &self,
        to: To,
        attachment: Attachment,
        caption: Option<String>,
    ) -> Result<String, ClientError> {
        let attachment = match self.store.sealed_file(&attachment.key)? {
            Some(_) => crate::files::neutral(&attachment),
            None => attachment,
        };
        self.send(to, caption, Some(attachment)).await
    }

    /// Queues a text message that replies to, mentions or forwards (see [`SendOptions`]).
    /// A reply needs the quoted message on this device.
    pub async fn send_text_with(
        &self,
        to: To,
        body: impl Into<String>,
        options: SendOptions,
    ) -> Result<String, ClientError> {
        let body = body.into();
        if body.len() > MAX_BODY_BYTES {
            return Err(ClientError::TooLarge);
        }
        let reply_to = match options.reply_to {
            None => None,
            Some(seq) => {
                let conversation = match &to {
                    To::Conversation(conversation) => conversation.clone(),
                    To::User(user) => ConversationId::direct(&self.user_id, user),
                };
                let quoted = self
                    .message(&conversation, seq)?
                    .ok_or(ClientError::NotHeld(conversation, seq))?;
                Some(ReplyTo {
                    seq,
                    preview: quoted.text().map(mentions::preview),
                })
            }
        };
        let (to_user, conversation) = split(to);
        let frame = Send {
            id: fresh_id(),
            to_user,
            conversation,
            body: Some(body),
            reply_to,
            mentions: options.mentions,
            forwarded: options.forwarded,
            ..Send::default()
        };
        self.queue(frame).await
    }

    /// Replies to the message at `seq` of `conversation` (quoting it).
    pub async fn reply(
        &self,
        conversation: ConversationId,
        seq: u64,
        body: impl Into<String>,
    ) -> Result<String, ClientError> {
        let options = SendOptions {
            reply_to: Some(seq),
            ..SendOptions::default()
        };
        self.send_text_with(To::Conversation(conversation), body, options)
            .await
    }

    /// Forwards the text of the message at `seq` of `from` (as this device holds it, edits
    /// included), marked forwarded. A file is not forwarded: its key belongs to the
    /// conversation it was uploaded to (upload it again).
    pub async fn forward(
        &self,
        from: &ConversationId,
        seq: u64,
        to: To,
    ) -> Result<String, ClientError> {
        let message = self
            .message(from, seq)?
            .ok_or_else(|| ClientError::NotHeld(from.clone(), seq))?;
        if message.is_change() || message.attachment.is_some() {
            return Err(ClientError::CannotForward);
        }
        let text = message.text().ok_or(ClientError::CannotForward)?.to_owned();
        let options = SendOptions {
            forwarded: true,
            ..SendOptions::default()
        };
        self.send_text_with(to, text, options).await
    }

    /// Edits one of the user's own messages (the server allows 15 minutes after sending).
    pub async fn edit(
        &self,
        conversation: ConversationId,
        seq: u64,
        body: impl Into<String>,
    ) -> Result<String, ClientError> {
        let body = body.into();
        if body.len() > MAX_BODY_BYTES {
            return Err(ClientError::TooLarge);
        }
        self.change(conversation, ChangeKind::Edit, seq, Some(body))
            .await
    }

    /// Deletes a message for everyone (the user's own within 60 hours; in a group, an
    /// admin any).
    pub async fn delete_for_everyone(
        &self,
        conversation: ConversationId,
        seq: u64,
    ) -> Result<String, ClientError> {
        self.change(conversation, ChangeKind::Delete, seq, None)
            .await
    }

    /// Sets the user's reaction to a message (replacing theirs before).
    pub async fn react(
        &self,
        conversation: ConversationId,
        seq: u64,
        emoji: impl Into<String>,
    ) -> Result<String, ClientError> {
        let emoji = emoji.into();
        if emoji.is_empty() || emoji.len() > MAX_REACTION_BYTES {
            return Err(ClientError::TooLarge);
        }
        self.change(conversation, ChangeKind::React, seq, Some(emoji))
            .await
    }

    /// Removes the user's reaction to a message.
    pub async fn unreact(
        &self,
        conversation: ConversationId,
        seq: u64,
    ) -> Result<String, ClientError> {
        self.change(conversation, ChangeKind::Unreact, seq, None)
            .await
    }

    /// A change entry goes through the outbox like a message (stored, resent with the same
    /// id until `sent`): its client id. Applied to the target once delivered back.
    async fn change(
        &self,
        conversation: ConversationId,
        kind: ChangeKind,
        target: u64,
        body: Option<String>,
    ) -> Result<String, ClientError> {
        self.queue(Send::change(fresh_id(), conversation, kind, target, body))
            .await
    }

    /// The message at (conversation, seq) as this device holds it, changes applied.
    pub fn message(
        &self,
        conversation: &ConversationId,
        seq: u64,
    ) -> Result<Option<Message>, ClientError> {
        // A disappearing message past its time is never handed out (a sync's end deletes it).
        Ok(self
            .store
            .message(conversation, seq)?
            .filter(|message| !message.expired(crate::store::now_ms())))
    }

    /// The members a text mentions (`@` and a member's user id, or its unique start), from
    /// the group as this device knows it; none outside a group.
    pub fn mentions_in(
        &self,
        conversation: &ConversationId,
        text: &str,
    ) -> Result<Vec<String>, ClientError> {
        Ok(match self.store.group(conversation)? {
            Some(group) => mentions::mentions(text, &group.members, &self.user_id),
            None => Vec::new(),
        })
    }

    async fn send(
        &self,
        to: To,
        body: Option<String>,
        attachment: Option<Attachment>,
    ) -> Result<String, ClientError> {
        let (to_user, conversation) = split(to);
        let frame = Send {
            id: fresh_id(),
            to_user,
            conversation,
            body,
            attachment,
            ..Send::default()
        };
        self.queue(frame).await
    }

    /// Stores a send in the outbox; its client id.
    async fn queue(&self, frame: Send) -> Result<String, ClientError> {
        let id = frame.id.clone();
        let (done, stored) = oneshot::channel();
        // With encryption on, the worker encrypts a message when its turn comes (the outbox
        // keeps the text until then, and the ciphertext after); so are an edit's text and a
        // reaction's emoji. A delete or unreact carries nothing to encrypt.
        let seal = self.e2e.is_some()
            && matches!(
                frame.kind,
                None | Some(ChangeKind::Edit) | Some(ChangeKind::React)
            );
        self.command(Command::Send(Box::new(frame), seal, done))?;
        stored.await.map_err(|_| ClientError::Stopped)??;
        Ok(id)
    }

    /// Watches a user's presence while their chat is open: [`Event::Presence`] now and on
    /// each change, the watch renewed (and carried across reconnects) until
    /// [`Client::unwatch_presence`].
    pub fn watch_presence(&self, user: impl Into<String>) -> Result<(), ClientError> {
        self.command(Command::Watch(user.into(), true))
    }

    pub fn unwatch_presence(&self, user: impl Into<String>) -> Result<(), ClientError> {
        self.command(Command::Watch(user.into(), false))
    }

    /// A user's presence now. The server answers the state only to a watch (`watch: false`
    /// only stops one), so this watches once, unrenewed: the watch lapses after its 5
    /// minutes or with the connection, and the flips it brings meanwhile come as
    /// [`Event::Presence`].
    pub async fn presence(&self, user: impl Into<String>) -> Result<PresenceState, ClientError> {
        let frame = ClientFrame::Presence(Presence {
            id: fresh_id(),
            user: user.into(),
            watch: true,
        });
        match self.request(frame).await? {
            ServerFrame::Presence {
                online, last_seen, ..
            } => Ok(PresenceState { online, last_seen }),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Sets whom the user shows their presence to (`None`: only reads it); the setting as
    /// it now stands. Reciprocal: who hides theirs sees no one's.
    pub async fn privacy(&self, last_seen: Option<Audience>) -> Result<Audience, ClientError> {
        let frame = ClientFrame::Privacy(Privacy {
            id: fresh_id(),
            last_seen,
        });
        match self.request(frame).await? {
            ServerFrame::Privacy { last_seen, .. } => Ok(last_seen),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Blocks (`blocked: true`) or unblocks `user`: from then on nothing of theirs reaches
    /// this user (their entries come as placeholders that are never handed out), and the
    /// user may not write to them in their direct chat. The user's other devices get
    /// [`Event::Blocked`]; the blocked user is not told. Whether `user` is now blocked.
    pub async fn block(&self, user: impl Into<String>, blocked: bool) -> Result<bool, ClientError> {
        let frame = ClientFrame::Block(Block {
            id: fresh_id(),
            user: user.into(),
            blocked,
        });
        match self.request(frame).await? {
            ServerFrame::Blocked { blocked, .. } => Ok(blocked),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Every user this user blocks.
    pub async fn blocks(&self) -> Result<Vec<String>, ClientError> {
        let frame = ClientFrame::Blocks(Blocks { id: fresh_id() });
        match self.request(frame).await? {
            ServerFrame::Blocks { users, .. } => Ok(users),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Queues a change of the conversation's disappearing-messages timer to `seconds` (one of
    /// `parley_protocol::limits::TIMER_SECONDS`; 0 turns it off); answers its client id.
    /// Its `sent` and the members' `message` announce it like a message. The entry goes in
    /// the clear, with encryption on too (the server enforces the timer); the messages sent
    /// under it expire alike, encrypted or not.
    pub async fn set_timer(
        &self,
        conversation: ConversationId,
        seconds: u64,
    ) -> Result<String, ClientError> {
        self.queue(Send::timer(fresh_id(), conversation, seconds))
            .await
    }

    /// The user saw a conversation up to `seq`: `ack read` (cumulative).
    pub fn mark_read(&self, conversation: ConversationId, seq: u64) -> Result<(), ClientError> {
        self.command(Command::MarkRead(conversation, seq))
    }

    /// The user is typing in a conversation (dropped while offline).
    pub fn typing(&self, conversation: ConversationId) -> Result<(), ClientError> {
        self.command(Command::Typing(conversation))
    }

    /// Registered users by email and phone number.
    pub async fn lookup(
        &self,
        emails: Vec<String>,
        phones: Vec<String>,
    ) -> Result<Vec<UserEntry>, ClientError> {
        let frame = ClientFrame::Lookup(Lookup {
            id: fresh_id(),
            emails,
            phones,
        });
        match self.request(frame).await? {
            ServerFrame::Users { users, .. } => Ok(users),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    pub async fn create_group(
        &self,
        name: impl Into<String>,
        members: Vec<String>,
    ) -> Result<GroupReply, ClientError> {
        let frame = ClientFrame::CreateGroup(CreateGroup {
            id: fresh_id(),
            name: name.into(),
            members,
        });
        self.group_request(frame).await
    }

    pub async fn add_members(
        &self,
        conversation: ConversationId,
        members: Vec<String>,
    ) -> Result<GroupReply, ClientError> {
        let frame = ClientFrame::AddMembers(Members {
            id: fresh_id(),
            conversation,
            members,
        });
        self.group_request(frame).await
    }

    pub async fn remove_members(
        &self,
        conversation: ConversationId,
        members: Vec<String>,
    ) -> Result<GroupReply, ClientError> {
        let frame = ClientFrame::RemoveMembers(Members {
            id: fresh_id(),
            conversation,
            members,
        });
        self.group_request(frame).await
    }

    pub async fn leave_group(
        &self,
        conversation: ConversationId,
    ) -> Result<GroupReply, ClientError> {
        let frame = ClientFrame::LeaveGroup(LeaveGroup {
            id: fresh_id(),
            conversation,
        });
        self.group_request(frame).await
    }

    /// Registers this device's push token.
    pub async fn register_push(
        &self,
        platform: Platform,
        token: String,
    ) -> Result<(), ClientError> {
        let frame = ClientFrame::RegisterPush(RegisterPush {
            id: fresh_id(),
            platform,
            token,
        });
        match self.request(frame).await? {
            ServerFrame::PushRegistered { .. } => Ok(()),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Sets whether reactions to this user's messages push while they are offline (`None`:
    /// only reads it); the preference as it now stands.
    pub async fn reaction_push(&self, on: Option<bool>) -> Result<bool, ClientError> {
        let frame = ClientFrame::Prefs(Prefs {
            id: fresh_id(),
            reaction_push: on,
        });
        match self.request(frame).await? {
            ServerFrame::Prefs { reaction_push, .. } => Ok(reaction_push),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// Changes the user's settings of a conversation (the same on all their devices: the
    /// others get [`Event::ChatSettings`]); answers them as they now stand. A fourth pin is
    /// refused (`too_large`).
    pub async fn set_chat(
        &self,
        conversation: ConversationId,
        change: ChatChange,
    ) -> Result<ChatSettings, ClientError> {
        let frame = ClientFrame::Chat(ChatFrame {
            id: fresh_id(),
            conversation,
            mute: change.mute,
            archived: change.archived,
            pinned: change.pinned,
            unread: change.unread,
        });
        match self.request(frame).await? {
            ServerFrame::Chat {
                conversation,
                muted_until,
                archived,
                pinned,
                unread,
                ..
            } => Ok(ChatSettings {
                conversation,
                muted_until,
                archived,
                pinned,
                unread,
            }),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// The user's settings of every conversation that has any (the others have the
    /// defaults: not muted, archived, pinned or unread).
    pub async fn chats(&self) -> Result<Vec<ChatSettings>, ClientError> {
        match self
            .request(ClientFrame::Chats(Chats { id: fresh_id() }))
            .await?
        {
            ServerFrame::Chats { chats, .. } => Ok(chats),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// A presigned upload for a file into a conversation: (key, url, headers).
    pub(crate) async fn upload_url(
        &self,
        to: To,
        name: String,
        content_type: String,
        size: u64,
    ) -> Result<(String, String, Vec<(String, String)>), ClientError> {
        let (to_user, conversation) = split(to);
        let frame = ClientFrame::UploadUrl(UploadUrl {
            id: fresh_id(),
            conversation,
            to_user,
            name,
            content_type,
            size,
        });
        match self.request(frame).await? {
            ServerFrame::UploadUrl {
                key,
                url,
                method,
                headers,
                ..
            } if method == "PUT" => Ok((key, url, headers.into_iter().collect())),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    /// A presigned download of an attachment's key.
    pub(crate) async fn download_url(&self, key: String) -> Result<String, ClientError> {
        let frame = ClientFrame::DownloadUrl(DownloadUrl {
            id: fresh_id(),
            key,
        });
        match self.request(frame).await? {
            ServerFrame::DownloadUrl { url, .. } => Ok(url),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    async fn group_request(&self, frame: ClientFrame) -> Result<GroupReply, ClientError> {
        match self.request(frame).await? {
            ServerFrame::Group {
                conversation,
                name,
                members,
                admins,
                ..
            } => Ok(GroupReply {
                conversation,
                group: Group {
                    name,
                    members,
                    admins,
                },
            }),
            _ => Err(ClientError::UnexpectedReply),
        }
    }

    async fn request(&self, frame: ClientFrame) -> Result<ServerFrame, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Request(frame, reply))?;
        Ok(answer.await.map_err(|_| ClientError::Stopped)??)
    }

    fn command(&self, command: Command) -> Result<(), ClientError> {
        self.commands
            .send(command)
            .map_err(|_| ClientError::Stopped)
    }
}

/// `toUser` or `conversation`, as a frame carries them.
fn split(to: To) -> (Option<String>, Option<ConversationId>) {
    match to {
        To::User(user) => (Some(user), None),
        To::Conversation(conversation) => (None, Some(conversation)),
    }
}

/// A fresh client id for a frame: a random UUID (36 characters of `[0-9a-f-]`).
fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
