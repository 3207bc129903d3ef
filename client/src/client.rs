//! The client facade: what an application holds. [`Client::start`] spawns the connection
//! worker and answers the handle and the events receiver; every call is a command to the
//! worker (sends go through the outbox, group actions and lookups await their reply by id).

use parley_protocol::client::{
    Chat as ChatFrame, Chats, CreateGroup, DownloadUrl, LeaveGroup, Lookup, Members, Mute,
    Platform, Prefs, RegisterPush, Send, UploadUrl,
};
use parley_protocol::limits::MAX_BODY_BYTES;
use parley_protocol::{
    Attachment, ChatSettings, ClientFrame, ConversationId, ServerFrame, UserEntry,
};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

use crate::chat::{Chat, RequestError};
use crate::connection::{Command, Timing, Worker};
use crate::events::Event;
use crate::store::{Group, Store, StoreError};
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
    pub(crate) http: reqwest::Client,
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
        let user_id = store.tokens()?.ok_or(ClientError::SignedOut)?.user_id;
        let chat = Chat::new(store.clone(), user_id.clone(), Instant::now())?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let worker = Worker {
            websocket_url: websocket_url.to_owned(),
            store,
            tokens,
            chat,
            commands: command_rx,
            events,
            timing: Timing::default(),
        };
        tokio::spawn(worker.run());
        let client = Self {
            commands,
            user_id,
            http: reqwest::Client::new(),
        };
        Ok((client, event_rx))
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

    /// Queues a message carrying an uploaded file (see [`Client::upload`]).
    pub async fn send_attachment(
        &self,
        to: To,
        attachment: Attachment,
        caption: Option<String>,
    ) -> Result<String, ClientError> {
        self.send(to, caption, Some(attachment)).await
    }

    async fn send(
        &self,
        to: To,
        body: Option<String>,
        attachment: Option<Attachment>,
    ) -> Result<String, ClientError> {
        let id = fresh_id();
        let (to_user, conversation) = match to {
            To::User(user) => (Some(user), None),
            To::Conversation(conversation) => (None, Some(conversation)),
        };
        let frame = Send {
            id: id.clone(),
            to_user,
            conversation,
            body,
            attachment,
            ..Send::default()
        };
        let (done, stored) = oneshot::channel();
        self.command(Command::Send(frame, done))?;
        stored.await.map_err(|_| ClientError::Stopped)??;
        Ok(id)
    }

    /// Queues a change of the conversation's disappearing-messages timer to `seconds` (one of
    /// `parley_protocol::limits::TIMER_SECONDS`; 0 turns it off); answers its client id.
    /// Its `sent` and the members' `message` announce it like a message.
    pub async fn set_timer(
        &self,
        conversation: ConversationId,
        seconds: u64,
    ) -> Result<String, ClientError> {
        let id = fresh_id();
        let (done, stored) = oneshot::channel();
        self.command(Command::Send(
            Send::timer(id.clone(), conversation, seconds),
            done,
        ))?;
        stored.await.map_err(|_| ClientError::Stopped)??;
        Ok(id)
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
        let (to_user, conversation) = match to {
            To::User(user) => (Some(user), None),
            To::Conversation(conversation) => (None, Some(conversation)),
        };
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

/// A fresh client id for a frame: a random UUID (36 characters of `[0-9a-f-]`).
fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
