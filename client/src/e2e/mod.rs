//! End-to-end encryption wired into the client (issue 15; docs/client-library.md,
//! "Encryption"): this device's crypto engine ([`Crypto`]) opened beside the local store,
//! the to-device loop ([`driver`]) on the client's own connection ([`transport`]), and what
//! a send and an incoming message go through:
//!
//! - a send is encrypted for every device of every member (this user's other devices too)
//!   before it enters the outbox, so the outbox keeps and resends the very same ciphertext;
//!   the server never gets the text. A conversation with a member who has no device with
//!   keys (a client that does not encrypt yet) is sent in the clear, and the message says so.
//! - a message that came encrypted is decrypted before it is stored; one whose key has not
//!   arrived is stored as waiting, handed out as such, and decrypted when its key comes
//!   (the application then gets [`crate::Event::Decrypted`]). Nothing is dropped, nothing
//!   panics.
//! - edits and reactions are encrypted like messages (`{"body": …}`, the web client's
//!   content); a change entry is folded into its target only once it decrypted, and the
//!   encrypted edit and reactions of a synced `state` are decrypted before it is merged
//!   ([`open_state`]); one whose key has not arrived waits in the state, not shown.
//! - a file is encrypted before upload (crate::files) and its real name, type, size and key
//!   travel inside the ciphertext (`attachment` with `file`, the web client's format).

pub(crate) mod driver;
pub(crate) mod inbox;
pub(crate) mod transport;
pub(crate) mod verification;

use parley_protocol::{ConversationId, Kind};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

use crate::client::To;
use crate::crypto::{Crypto, CryptoError, NewDevice};
use crate::store::{Encryption, Message, SealedFile, Store};
use transport::SocketTransport;

/// A member's devices are asked for again before a send when the last answer is older.
const DEVICES_FRESH_FOR: Duration = Duration::from_secs(60);

/// The client's encryption: the engine, and the way to the server.
pub(crate) struct E2e {
    pub crypto: Arc<Crypto>,
    transport: SocketTransport,
    /// When each user's devices were last asked for.
    asked: Mutex<HashMap<String, Instant>>,
    /// The to-device loop.
    pub keys: tokio::sync::mpsc::UnboundedSender<driver::KeyEvent>,
    /// Device verifications.
    pub verifier: Arc<verification::Verifier>,
}

/// What a send becomes.
pub(crate) struct Sealed {
    /// The `encrypted` content; None: sent in the clear (a member cannot decrypt).
    pub encrypted: Option<String>,
    /// Devices of members that appeared since they were last asked for.
    pub new_devices: Vec<NewDevice>,
}

impl E2e {
    pub fn new(
        crypto: Arc<Crypto>,
        transport: SocketTransport,
        keys: tokio::sync::mpsc::UnboundedSender<driver::KeyEvent>,
        verifier: Arc<verification::Verifier>,
    ) -> Self {
        Self {
            crypto,
            transport,
            asked: Mutex::new(HashMap::new()),
            keys,
            verifier,
        }
    }

    /// Hands the connection worker a command; false once it stopped.
    pub fn command(&self, command: crate::connection::Command) -> bool {
        self.transport.command(command)
    }

    /// Encrypts a message's `content` (`{"body": …}`) for the conversation `to` names.
    pub async fn seal(
        &self,
        me: &str,
        conversation: &ConversationId,
        members: &[String],
        content: &Value,
    ) -> Result<Sealed, CryptoError> {
        let new_devices = self.refresh(members, me).await?;
        for member in members {
            if self.crypto.devices(member).await?.is_empty() {
                tracing::warn!(
                    %conversation,
                    "a member has no device with keys: this message goes in the clear"
                );
                return Ok(Sealed {
                    encrypted: None,
                    new_devices,
                });
            }
        }
        let mut transport = self.transport.clone();
        let encrypted = self
            .crypto
            .encrypt(&mut transport, conversation, members, content)
            .await?;
        Ok(Sealed {
            encrypted: Some(encrypted),
            new_devices,
        })
    }

    /// Whether a message to the conversation with `members` would be encrypted (every member
    /// has a device with keys): a file is encrypted before upload only then, so that one
    /// sent in the clear (the documented downgrade) stays readable.
    pub async fn encrypts(&self, me: &str, members: &[String]) -> Result<bool, CryptoError> {
        self.refresh(members, me).await?;
        for member in members {
            if self.crypto.devices(member).await?.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Asks the server for the devices of `members` (and this user's own) unless it answered
    /// within [`DEVICES_FRESH_FOR`].
    async fn refresh(&self, members: &[String], me: &str) -> Result<Vec<NewDevice>, CryptoError> {
        let now = Instant::now();
        let mut users: BTreeSet<String> = members.iter().cloned().collect();
        users.insert(me.to_owned());
        let stale: Vec<String> = {
            let asked = self.asked.lock().await;
            users
                .into_iter()
                .filter(|u| {
                    asked
                        .get(u)
                        .is_none_or(|at| now.duration_since(*at) > DEVICES_FRESH_FOR)
                })
                .collect()
        };
        if stale.is_empty() {
            return Ok(Vec::new());
        }
        let mut transport = self.transport.clone();
        let new = self.crypto.refresh_devices(&mut transport, &stale).await?;
        let mut asked = self.asked.lock().await;
        for user in stale {
            asked.insert(user, now);
        }
        Ok(new)
    }
}

/// The conversation a send goes to, and its members other than `me`.
pub(crate) fn members_of(
    store: &Store,
    me: &str,
    to: &To,
) -> Result<(ConversationId, Vec<String>), CryptoError> {
    match to {
        To::User(user) => Ok((ConversationId::direct(me, user), vec![user.clone()])),
        To::Conversation(conversation) => {
            let members: Vec<String> = match conversation.kind() {
                Kind::Direct => conversation.direct_other(me).into_iter().collect(),
                Kind::Group => store
                    .group(conversation)
                    .map_err(|e| CryptoError::Store(e.to_string()))?
                    .ok_or(CryptoError::UnknownMembers)?
                    .members
                    .into_iter()
                    .filter(|m| m != me)
                    .collect(),
            };
            Ok((conversation.clone(), members))
        }
    }
}

/// The plaintext content of a message: what goes inside the encryption (its text, or an
/// edit's text or a reaction's emoji; a reply's quote preview, which the frame then leaves
/// out: the server would store it in the clear; an encrypted file's real attachment and
/// key, the frame carrying only the neutral one). The web client's format.
pub(crate) fn content(
    body: Option<&str>,
    reply_preview: Option<&str>,
    file: Option<&SealedFile>,
) -> Value {
    let mut content = json!({});
    if let Some(body) = body {
        content["body"] = json!(body);
    }
    if let Some(file) = file {
        content["attachment"] = json!({
            "key": file.attachment.key,
            "name": file.attachment.name,
            "contentType": file.attachment.content_type,
            "size": file.attachment.size,
            "file": file.file,
        });
    }
    if let Some(preview) = reply_preview {
        content["replyPreview"] = json!(preview);
    }
    content
}

/// The attachment inside a decrypted content, with its key; None when absent or malformed.
fn sealed_file(content: &Value) -> Option<SealedFile> {
    let a = content.get("attachment")?;
    let file = a.get("file").filter(|f| f.is_object())?.clone();
    Some(SealedFile {
        attachment: parley_protocol::Attachment {
            key: a.get("key")?.as_str()?.to_owned(),
            name: a.get("name")?.as_str()?.to_owned(),
            content_type: a.get("contentType")?.as_str()?.to_owned(),
            size: a.get("size")?.as_u64()?,
        },
        file,
    })
}

/// Decrypts `message` (which came with `encrypted`) in place: its body from the content,
/// and how it went in `encryption`.
pub(crate) async fn open(crypto: &Crypto, message: &mut Message, encrypted: String) {
    let result = crypto
        .decrypt(
            &message.conversation,
            &message.from,
            &message.message_id,
            message.ts.max(0) as u64,
            &encrypted,
        )
        .await;
    message.encryption = Some(match result {
        Ok(decrypted) => {
            message.body = decrypted.content["body"].as_str().map(str::to_owned);
            // Only the file the server holds under the key the frame names (memo §8).
            if let Some(inner) = sealed_file(&decrypted.content) {
                if message.attachment.as_ref().map(|a| &a.key) == Some(&inner.attachment.key) {
                    message.attachment = Some(inner.attachment);
                    message.file = Some(inner.file);
                }
            }
            if let (Some(reply), Some(preview)) = (
                message.reply_to.as_mut(),
                decrypted.content["replyPreview"].as_str(),
            ) {
                reply.preview = Some(preview.to_owned());
            }
            Encryption::Decrypted {
                sender_device: decrypted.sender_device,
                verified: decrypted.verified,
            }
        }
        Err(CryptoError::MissingKey { session_id }) => Encryption::WaitingForKey {
            encrypted,
            session_id,
        },
        Err(error) => {
            tracing::warn!(conversation = %message.conversation, seq = message.seq, %error, "a message that does not decrypt");
            Encryption::Undecryptable {
                encrypted,
                reason: error.to_string(),
            }
        }
    });
}

/// Decrypts the encrypted edit and reactions of a message's state (a `sync` snapshot
/// gives them as `body: ""` beside `encrypted`): an edit is its author's, a reaction its
/// user's; each opens under an id derived from the conversation and its seq (the entries'
/// own ids are not in the state). One whose key has not arrived stays encrypted (not
/// shown) and is tried again when keys come. Says whether anything decrypted.
pub(crate) async fn open_state(crypto: &Crypto, message: &mut Message) -> bool {
    let conversation = message.conversation.clone();
    let mut opened = false;
    let open = |from: String, seq: u64, ts: i64, encrypted: String| {
        let conversation = conversation.clone();
        async move {
            // Not the web client's `<conversation>:<seq>`: with its colons the engine
            // reads that as an event id with a server name, and refuses it.
            let id = format!("{}.{seq}", conversation.as_str().replace(':', "."));
            match crypto
                .decrypt(&conversation, &from, &id, ts.max(0) as u64, &encrypted)
                .await
            {
                Ok(decrypted) => decrypted.content["body"].as_str().map(str::to_owned),
                Err(CryptoError::MissingKey { .. }) => None,
                Err(error) => {
                    tracing::warn!(%conversation, seq, %error, "a change that does not decrypt");
                    None
                }
            }
        }
    };
    if let Some(edited) = message.state.edited.as_mut() {
        if let Some(encrypted) = edited.encrypted.clone() {
            if let Some(body) = open(message.from.clone(), edited.seq, edited.ts, encrypted).await {
                edited.body = body;
                edited.encrypted = None;
                opened = true;
            }
        }
    }
    let ts = message.ts;
    for (user, mark) in message.state.reactions.iter_mut() {
        if let Some(encrypted) = mark.encrypted.clone() {
            if let Some(emoji) = open(user.clone(), mark.seq, ts, encrypted).await {
                mark.emoji = Some(emoji);
                mark.encrypted = None;
                opened = true;
            }
        }
    }
    opened
}

/// Opens the client's encryption once, for whoever needs it first (the worker before it
/// connects, or a send); every later caller gets the same one, or the same failure.
#[derive(Clone)]
pub(crate) struct E2eHandle {
    cell: Arc<tokio::sync::OnceCell<Result<Arc<E2e>, String>>>,
    dir: std::path::PathBuf,
    pub user: String,
    pub device_id: String,
    /// Weak: see [`SocketTransport`].
    commands: tokio::sync::mpsc::WeakUnboundedSender<crate::connection::Command>,
    /// The application's events (verifications report there).
    events: tokio::sync::mpsc::UnboundedSender<crate::Event>,
}

impl E2eHandle {
    pub fn new(
        store: &Store,
        user: &str,
        commands: &tokio::sync::mpsc::UnboundedSender<crate::connection::Command>,
        events: &tokio::sync::mpsc::UnboundedSender<crate::Event>,
    ) -> Result<Self, crate::store::StoreError> {
        Ok(Self {
            cell: Arc::new(tokio::sync::OnceCell::new()),
            dir: store.crypto_dir(),
            user: user.to_owned(),
            device_id: store.device_id()?,
            commands: commands.downgrade(),
            events: events.clone(),
        })
    }

    /// The encryption, opened (and its to-device loop started) on first use.
    pub async fn get(&self) -> Result<Arc<E2e>, String> {
        self.cell
            .get_or_init(|| async {
                let crypto = Crypto::open_in(&self.dir, &self.user, &self.device_id)
                    .await
                    .map_err(|e| e.to_string())?;
                let crypto = Arc::new(crypto);
                let transport = SocketTransport {
                    commands: self.commands.clone(),
                };
                let (keys, key_events) = tokio::sync::mpsc::unbounded_channel();
                let verifier = Arc::new(verification::Verifier::new(
                    crypto.clone(),
                    transport.clone(),
                    self.events.clone(),
                ));
                tokio::spawn(driver::run(
                    crypto.clone(),
                    transport.clone(),
                    key_events,
                    verifier.clone(),
                ));
                Ok(Arc::new(E2e::new(crypto, transport, keys, verifier)))
            })
            .await
            .clone()
    }
}
