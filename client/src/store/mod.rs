//! The local store: one embedded database file (redb) holding everything a client must not
//! lose across a restart: the tokens, the sync cursor, the messages by (conversation, seq),
//! the outbox, this device's own messages' ticks, the other members' receipt marks, the
//! groups, and changes that came before the message they change. Each message carries its
//! [`MessageState`] (edits, delete, reactions), merged in place as changes arrive. The file is created readable by its owner only: it holds tokens and messages.
//!
//! Each value is JSON (see [`records`]); each call is one transaction, so a crash leaves
//! every record whole. Callers order their writes so that a crash between two of them is
//! repaired by a retry (the server answers a retried send with the same `sent`).

mod records;
mod state;

pub use records::{
    ConversationState, Encryption, Group, Marks, Message, OutboxEntry, OwnMessage, Refusal,
    SealedFile, Tick,
};
pub use state::{MessageState, ReactionMark};

use parley_protocol::ConversationId;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::Tokens;

/// Single values: the tokens, the cursor, the outbox's next position.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// (conversation, seq) → [`Message`].
const MESSAGES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("messages");
/// Position (the order sends were made in) → [`OutboxEntry`].
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// (conversation, seq) → [`OwnMessage`]: this device's stored sends.
const OWN: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("own");
/// (conversation, member) → [`Marks`].
const MARKS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("marks");
/// conversation → [`ConversationState`].
const CONVERSATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("conversations");
/// conversation → [`Group`].
const GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("groups");
/// (conversation, target seq) → [`MessageState`]: changes to a message this device does not
/// hold yet, merged into it when it arrives.
const PENDING_CHANGES: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("pending_changes");
/// (conversation, seq) → the Megolm session id (JSON, maybe null) of a stored message
/// waiting for its key.
const WAITING: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("waiting");
/// An encrypted file's object key → [`SealedFile`] (its real name and type, and its key).
const SEALED_FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("sealed_files");

const TOKENS: &str = "tokens";
const CURSOR: &str = "cursor";
const NEXT_POSITION: &str = "outbox_next";
const DEVICE_ID: &str = "device_id";
/// Length of a device id this client makes: 16 characters of `[A-Z0-9]`.
const DEVICE_ID_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the store database: {0}")]
    Database(#[from] redb::Error),
    #[error("a stored record does not read back: {0}")]
    Record(#[from] serde_json::Error),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                Self::Database(error.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The open store. Share it behind an `Arc`: the connection worker and the application's
/// handle read and write it from their own tasks.
pub struct Store {
    db: Database,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `path`, creating it (mode 0600) if it does not exist. One process
    /// holds it at a time: opening it again while open fails.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        owner_only(path)?;
        let db = Database::create(path)?;
        let store = Self {
            db,
            path: path.to_owned(),
        };
        // Every table exists from the start, so reads never meet a missing table.
        let txn = store.db.begin_write()?;
        txn.open_table(META)?;
        txn.open_table(MESSAGES)?;
        txn.open_table(OUTBOX)?;
        txn.open_table(OWN)?;
        txn.open_table(MARKS)?;
        txn.open_table(CONVERSATIONS)?;
        txn.open_table(GROUPS)?;
        txn.open_table(PENDING_CHANGES)?;
        txn.open_table(WAITING)?;
        txn.open_table(SEALED_FILES)?;
        txn.commit()?;
        Ok(store)
    }

    /// The folder of this store's end-to-end encryption keys: beside the file, named after
    /// it (`parley.redb` → `parley.crypto`), so stores sharing a folder keep theirs apart.
    pub fn crypto_dir(&self) -> std::path::PathBuf {
        self.path.with_extension("crypto")
    }

    // --- this device ---------------------------------------------------------------------

    /// This install's device id, made on first use (16 characters of `[A-Z0-9]`) and kept:
    /// the server knows the device's keys by it.
    pub fn device_id(&self) -> Result<String> {
        if let Some(id) = self.get::<_, String>(META, DEVICE_ID)? {
            return Ok(id);
        }
        let id: String = (0..DEVICE_ID_LEN)
            .map(|_| {
                let n = fastrand::u8(0..36);
                char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
            })
            .collect();
        self.put(META, DEVICE_ID, &id)?;
        Ok(id)
    }

    // --- tokens and cursor -------------------------------------------------------------

    pub fn tokens(&self) -> Result<Option<Tokens>> {
        self.get(META, TOKENS)
    }

    pub fn save_tokens(&self, tokens: &Tokens) -> Result<()> {
        self.put(META, TOKENS, tokens)
    }

    pub fn clear_tokens(&self) -> Result<()> {
        self.delete(META, TOKENS)
    }

    /// Where the next `sync` starts (from the last `synced`); none before the first.
    pub fn cursor(&self) -> Result<Option<String>> {
        self.get(META, CURSOR)
    }

    pub fn save_cursor(&self, cursor: &str) -> Result<()> {
        self.put(META, CURSOR, &cursor)
    }

    // --- messages ------------------------------------------------------------------------

    pub fn message(&self, conversation: &ConversationId, seq: u64) -> Result<Option<Message>> {
        self.get(MESSAGES, (conversation.as_str(), seq))
    }

    /// Stores a message unless one is already stored at its (conversation, seq), with the
    /// changes that came before it merged in; says whether it was new.
    pub fn add_message(&self, message: &Message) -> Result<bool> {
        let key = (message.conversation.as_str(), message.seq);
        let txn = self.db.begin_write()?;
        let added = {
            let mut table = txn.open_table(MESSAGES)?;
            let stored: Option<Message> = match table.get(key)? {
                Some(bytes) => Some(serde_json::from_slice(bytes.value())?),
                None => None,
            };
            if let Some(stored) = stored {
                // This device's own send was stored from its `sent`, which does not say when
                // a disappearing message expires: the server's copy (sync) does.
                if stored.expires_at.is_none() && message.expires_at.is_some() {
                    let known = Message {
                        expires_at: message.expires_at,
                        ..stored
                    };
                    table.insert(key, serde_json::to_vec(&known)?.as_slice())?;
                }
                false
            } else {
                // Changes that came before it.
                let mut pending = txn.open_table(PENDING_CHANGES)?;
                let early: Option<MessageState> = match pending.remove(key)? {
                    Some(bytes) => Some(serde_json::from_slice(bytes.value())?),
                    None => None,
                };
                let bytes = match early {
                    Some(early) => {
                        let mut message = message.clone();
                        message.state.merge(&early);
                        serde_json::to_vec(&message)?
                    }
                    None => serde_json::to_vec(message)?,
                };
                table.insert(key, bytes.as_slice())?;
                true
            }
        };
        if added {
            if message.awaits_key() {
                let session_id = match &message.encryption {
                    Some(Encryption::WaitingForKey { session_id, .. }) => session_id.clone(),
                    _ => None,
                };
                txn.open_table(WAITING)?
                    .insert(key, serde_json::to_vec(&session_id)?.as_slice())?;
            }
            index_file(&txn, message)?;
        }
        txn.commit()?;
        Ok(added)
    }

    /// Replaces a stored message (its state changed).
    pub fn save_message(&self, message: &Message) -> Result<()> {
        self.put(
            MESSAGES,
            (message.conversation.as_str(), message.seq),
            message,
        )
    }

    /// Folds a change into the message at (conversation, target) if it is stored: the
    /// message as it now stands, and whether it changed. When it is not stored yet, the
    /// change is kept for it ([`Store::add_message`] merges it in) and `None` answered.
    pub fn apply_change(
        &self,
        conversation: &ConversationId,
        target: u64,
        change: &MessageState,
    ) -> Result<Option<(Message, bool)>> {
        let key = (conversation.as_str(), target);
        let txn = self.db.begin_write()?;
        let outcome = {
            let mut messages = txn.open_table(MESSAGES)?;
            let stored: Option<Message> = match messages.get(key)? {
                Some(bytes) => Some(serde_json::from_slice(bytes.value())?),
                None => None,
            };
            match stored {
                Some(mut message) => {
                    let changed = message.state.merge(change);
                    if changed {
                        messages.insert(key, serde_json::to_vec(&message)?.as_slice())?;
                        if message.has_sealed_changes() {
                            // An edit or reaction waiting for its key: retried when keys come.
                            let mut waiting = txn.open_table(WAITING)?;
                            if waiting.get(key)?.is_none() {
                                waiting.insert(key, b"null".as_slice())?;
                            }
                        }
                    }
                    Some((message, changed))
                }
                None => {
                    let mut pending = txn.open_table(PENDING_CHANGES)?;
                    let mut state: MessageState = match pending.get(key)? {
                        Some(bytes) => serde_json::from_slice(bytes.value())?,
                        None => MessageState::default(),
                    };
                    state.merge(change);
                    pending.insert(key, serde_json::to_vec(&state)?.as_slice())?;
                    None
                }
            }
        };
        txn.commit()?;
        Ok(outcome)
    }

    /// Replaces a stored message (one that waited for its key, now decrypted), and takes
    /// it off the waiting list unless it still waits.
    pub fn replace_message(&self, message: &Message) -> Result<()> {
        let key = (message.conversation.as_str(), message.seq);
        let txn = self.db.begin_write()?;
        txn.open_table(MESSAGES)?
            .insert(key, serde_json::to_vec(message)?.as_slice())?;
        if !message.awaits_key() {
            txn.open_table(WAITING)?.remove(key)?;
        } else if !message.is_waiting_for_key() {
            // Only its state waits now: any room key may be the one.
            txn.open_table(WAITING)?.insert(key, b"null".as_slice())?;
        }
        index_file(&txn, message)?;
        txn.commit()?;
        Ok(())
    }

    /// The encrypted file stored under the object key `key`, if this device can read it.
    pub fn sealed_file(&self, key: &str) -> Result<Option<SealedFile>> {
        self.get(SEALED_FILES, key)
    }

    /// Keeps an encrypted file's real attachment and key (after an upload).
    pub fn save_sealed_file(&self, file: &SealedFile) -> Result<()> {
        self.put(SEALED_FILES, file.attachment.key.as_str(), file)
    }

    /// The stored messages waiting for their key: (conversation, seq, Megolm session id).
    pub fn waiting_for_keys(&self) -> Result<Vec<(ConversationId, u64, Option<String>)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WAITING)?;
        let mut found = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            let (conversation, seq) = key.value();
            let Ok(conversation) = ConversationId::parse(conversation) else {
                continue;
            };
            found.push((conversation, seq, serde_json::from_slice(value.value())?));
        }
        Ok(found)
    }

    /// A conversation's stored messages after `seq`, in order, at most `limit`.
    pub fn messages_after(
        &self,
        conversation: &ConversationId,
        seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MESSAGES)?;
        let id = conversation.as_str();
        let mut found = Vec::new();
        for entry in table.range((id, seq.saturating_add(1))..=(id, u64::MAX))? {
            if found.len() == limit {
                break;
            }
            found.push(serde_json::from_slice(entry?.1.value())?);
        }
        Ok(found)
    }

    /// Deletes the messages whose disappearing-messages timer ran out by `now_ms`; answers
    /// how many.
    pub fn purge_expired(&self, now_ms: i64) -> Result<usize> {
        let txn = self.db.begin_write()?;
        let purged = {
            let mut table = txn.open_table(MESSAGES)?;
            let mut expired = Vec::new();
            for entry in table.iter()? {
                let (key, value) = entry?;
                let message: Message = serde_json::from_slice(value.value())?;
                if message.expired(now_ms) {
                    let (conversation, seq) = key.value();
                    expired.push((conversation.to_owned(), seq));
                }
            }
            // One that still waited for its key waits no longer.
            let mut waiting = txn.open_table(WAITING)?;
            for (conversation, seq) in &expired {
                table.remove((conversation.as_str(), *seq))?;
                waiting.remove((conversation.as_str(), *seq))?;
            }
            expired.len()
        };
        txn.commit()?;
        Ok(purged)
    }

    // --- conversations and groups ------------------------------------------------------

    pub fn conversation(&self, conversation: &ConversationId) -> Result<ConversationState> {
        Ok(self
            .get(CONVERSATIONS, conversation.as_str())?
            .unwrap_or_default())
    }

    pub fn save_conversation(
        &self,
        conversation: &ConversationId,
        state: &ConversationState,
    ) -> Result<()> {
        self.put(CONVERSATIONS, conversation.as_str(), state)
    }

    pub fn group(&self, conversation: &ConversationId) -> Result<Option<Group>> {
        self.get(GROUPS, conversation.as_str())
    }

    pub fn save_group(&self, conversation: &ConversationId, group: &Group) -> Result<()> {
        self.put(GROUPS, conversation.as_str(), group)
    }

    // --- outbox --------------------------------------------------------------------------

    /// Adds a send at the end of the outbox.
    pub fn push_outbox(&self, entry: &OutboxEntry) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let position: u64 = match meta.get(NEXT_POSITION)? {
                Some(bytes) => serde_json::from_slice(bytes.value())?,
                None => 0,
            };
            meta.insert(
                NEXT_POSITION,
                serde_json::to_vec(&(position + 1))?.as_slice(),
            )?;
            txn.open_table(OUTBOX)?
                .insert(position, serde_json::to_vec(entry)?.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The outbox in the order sends were made.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX)?;
        let mut entries = Vec::new();
        for entry in table.iter()? {
            entries.push(serde_json::from_slice(entry?.1.value())?);
        }
        Ok(entries)
    }

    /// Replaces the entry with the same client id (no-op if it is gone).
    pub fn update_outbox(&self, entry: &OutboxEntry) -> Result<()> {
        self.edit_outbox(&entry.frame.id, Some(entry))
    }

    /// Removes the entry with this client id (no-op if it is gone).
    pub fn remove_outbox(&self, id: &str) -> Result<()> {
        self.edit_outbox(id, None)
    }

    fn edit_outbox(&self, id: &str, replacement: Option<&OutboxEntry>) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(OUTBOX)?;
            let mut position = None;
            for entry in table.iter()? {
                let (key, value) = entry?;
                let stored: OutboxEntry = serde_json::from_slice(value.value())?;
                if stored.frame.id == id {
                    position = Some(key.value());
                    break;
                }
            }
            match (position, replacement) {
                (Some(at), Some(entry)) => {
                    table.insert(at, serde_json::to_vec(entry)?.as_slice())?;
                }
                (Some(at), None) => {
                    table.remove(at)?;
                }
                (None, _) => {}
            }
        }
        txn.commit()?;
        Ok(())
    }

    // --- own messages and receipts -----------------------------------------------------

    pub fn own(&self, conversation: &ConversationId, seq: u64) -> Result<Option<OwnMessage>> {
        self.get(OWN, (conversation.as_str(), seq))
    }

    pub fn save_own(
        &self,
        conversation: &ConversationId,
        seq: u64,
        own: &OwnMessage,
    ) -> Result<()> {
        self.put(OWN, (conversation.as_str(), seq), own)
    }

    /// This device's own messages in a conversation up to `seq` whose tick is below `below`.
    pub fn own_up_to(
        &self,
        conversation: &ConversationId,
        seq: u64,
        below: Tick,
    ) -> Result<Vec<(u64, OwnMessage)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OWN)?;
        let id = conversation.as_str();
        let mut found = Vec::new();
        for entry in table.range((id, 0)..=(id, seq))? {
            let (key, value) = entry?;
            let own: OwnMessage = serde_json::from_slice(value.value())?;
            if own.tick < below {
                found.push((key.value().1, own));
            }
        }
        Ok(found)
    }

    /// Every other member's receipt marks in a conversation.
    pub fn marks(&self, conversation: &ConversationId) -> Result<BTreeMap<String, Marks>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MARKS)?;
        let id = conversation.as_str();
        let mut marks = BTreeMap::new();
        // Member ids are `[A-Za-z0-9_-]`, all below '\u{7f}'.
        for entry in table.range((id, "")..(id, "\u{7f}"))? {
            let (key, value) = entry?;
            marks.insert(
                key.value().1.to_owned(),
                serde_json::from_slice(value.value())?,
            );
        }
        Ok(marks)
    }

    pub fn save_marks(
        &self,
        conversation: &ConversationId,
        member: &str,
        marks: &Marks,
    ) -> Result<()> {
        self.put(MARKS, (conversation.as_str(), member), marks)
    }

    // --- plumbing ------------------------------------------------------------------------

    fn get<K, T>(&self, table: TableDefinition<K, &[u8]>, key: K::SelfType<'_>) -> Result<Option<T>>
    where
        K: redb::Key + 'static,
        T: DeserializeOwned,
    {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let value = table.get(key)?;
        Ok(match value {
            Some(bytes) => Some(serde_json::from_slice(bytes.value())?),
            None => None,
        })
    }

    fn put<K, T>(
        &self,
        table: TableDefinition<K, &[u8]>,
        key: K::SelfType<'_>,
        value: &T,
    ) -> Result<()>
    where
        K: redb::Key + 'static,
        T: Serialize + ?Sized,
    {
        let bytes = serde_json::to_vec(value)?;
        let txn = self.db.begin_write()?;
        txn.open_table(table)?.insert(key, bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    fn delete<K>(&self, table: TableDefinition<K, &[u8]>, key: K::SelfType<'_>) -> Result<()>
    where
        K: redb::Key + 'static,
    {
        let txn = self.db.begin_write()?;
        txn.open_table(table)?.remove(key)?;
        txn.commit()?;
        Ok(())
    }
}

/// Keeps the key of a message's encrypted file by its object key.
fn index_file(txn: &redb::WriteTransaction, message: &Message) -> Result<()> {
    if let (Some(attachment), Some(file)) = (&message.attachment, &message.file) {
        let sealed = SealedFile {
            attachment: attachment.clone(),
            file: file.clone(),
        };
        txn.open_table(SEALED_FILES)?.insert(
            attachment.key.as_str(),
            serde_json::to_vec(&sealed)?.as_slice(),
        )?;
    }
    Ok(())
}

/// Creates the file readable and writable by its owner only, and narrows an existing one.
fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// The wall clock, ms since the Unix epoch (what `expiresAt` counts in).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
