//! Messaging helpers written from shared/protocol-v1.md: devices of a user, `send` frames,
//! and `sync` run to the end, page by page.

use parley_protocol::client::{
    Ack, CreateGroup, DownloadUrl, LeaveGroup, Lookup, Members, Platform, Prefs, RegisterPush,
    Send, Sync, Typing, UploadUrl,
};
use parley_protocol::{AckStatus, Attachment, ChangeKind, ClientFrame, ConversationId};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::client::{connect, connect_as_device, Client};
use crate::stack::StackInfo;
use crate::tables::{await_connection_count, await_new_connection, connections_of};
use crate::users::TestUser;

/// How long the connection records may take to appear or go.
pub const SETTLE: Duration = Duration::from_secs(10);

/// How long a test listens to show that something does *not* arrive.
pub const QUIET: Duration = Duration::from_millis(1500);

/// More pages than any test's sync may need: a sync that does not end within this many
/// pages is not making progress.
pub const MAX_PAGES: usize = 60;

/// A fresh client message id (valid: `[A-Za-z0-9_-]`, at most 64 characters).
pub fn fresh_id(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Connects one more device of `user` and waits until its record is stored, so that live
/// deliveries reach it. Connect a user's devices one after another, not at once.
pub async fn device(stack: &StackInfo, user: &TestUser) -> Client {
    settled(stack, user, connect(stack, Some(&user.id_token))).await
}

/// [`device`], connected as the key directory's device `device_id` (`?device=`).
pub async fn keyed_device(stack: &StackInfo, user: &TestUser, device_id: &str) -> Client {
    settled(
        stack,
        user,
        connect_as_device(stack, &user.id_token, device_id),
    )
    .await
}

/// The connection `connecting` opens (it runs only when awaited), once its record is stored.
async fn settled(
    stack: &StackInfo,
    user: &TestUser,
    connecting: impl std::future::Future<Output = Result<Client, crate::client::Refused>>,
) -> Client {
    let before = connections_of(stack, &user.user_id).await;
    let client = connecting
        .await
        .unwrap_or_else(|e| panic!("{} connects: {e:?}", user.email));
    await_new_connection(stack, &user.user_id, &before, SETTLE).await;
    client
}

/// `n` devices of `user`, connected one after another.
pub async fn devices(stack: &StackInfo, user: &TestUser, n: usize) -> Vec<Client> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(device(stack, user).await);
    }
    all
}

/// Closes a device and waits until the user has `left` connection records.
pub async fn close_device(stack: &StackInfo, user: &TestUser, client: Client, left: usize) {
    client.close().await;
    await_connection_count(stack, &user.user_id, left, SETTLE).await;
}

/// A `send` frame to a direct chat.
pub fn send_to_user(id: &str, to: &TestUser, body: &str) -> ClientFrame {
    ClientFrame::Send(Send::to_user(id, &to.user_id, body))
}

/// A `send` frame to a conversation by id (as the server wrote it in a reply).
pub fn send_to_conversation(id: &str, conversation: &str, body: &str) -> ClientFrame {
    ClientFrame::Send(Send::to_conversation(
        id,
        conversation_id(conversation),
        body,
    ))
}

/// A `send` of an attachment (no body).
pub fn send_attachment(id: &str, to: To, attachment: Attachment) -> ClientFrame {
    let (to_user, conversation) = to.fields();
    ClientFrame::Send(Send {
        id: id.to_owned(),
        to_user,
        conversation,
        body: None,
        attachment: Some(attachment),
        ..Send::default()
    })
}

/// A `sync` from `cursor` (the start of retention without one).
pub fn sync_frame(cursor: Option<&str>, limit: Option<u64>) -> ClientFrame {
    ClientFrame::Sync(Sync {
        cursor: cursor.map(str::to_owned),
        limit,
    })
}

/// An `ack` of `conversation` up to `seq`.
pub fn ack(conversation: &str, seq: u64, status: AckStatus) -> ClientFrame {
    ClientFrame::Ack(Ack {
        conversation: conversation_id(conversation),
        seq,
        status,
    })
}

/// A `typing` into `conversation`.
pub fn typing(conversation: &str) -> ClientFrame {
    ClientFrame::Typing(Typing {
        conversation: conversation_id(conversation),
    })
}

/// A `lookup` of email addresses and phone numbers.
pub fn lookup(id: &str, emails: &[&str], phones: &[&str]) -> ClientFrame {
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    ClientFrame::Lookup(Lookup {
        id: id.to_owned(),
        emails: owned(emails),
        phones: owned(phones),
    })
}

/// A `createGroup` of the caller and `members`.
pub fn create_group(id: &str, name: &str, members: &[&str]) -> ClientFrame {
    ClientFrame::CreateGroup(CreateGroup {
        id: id.to_owned(),
        name: name.to_owned(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    })
}

fn members(id: &str, conversation: &str, members: &[&str]) -> Members {
    Members {
        id: id.to_owned(),
        conversation: conversation_id(conversation),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    }
}

/// An `addMembers` to a group.
pub fn add_members(id: &str, conversation: &str, added: &[&str]) -> ClientFrame {
    ClientFrame::AddMembers(members(id, conversation, added))
}

/// A `removeMembers` from a group.
pub fn remove_members(id: &str, conversation: &str, removed: &[&str]) -> ClientFrame {
    ClientFrame::RemoveMembers(members(id, conversation, removed))
}

/// A `leaveGroup`.
pub fn leave_group(id: &str, conversation: &str) -> ClientFrame {
    ClientFrame::LeaveGroup(LeaveGroup {
        id: id.to_owned(),
        conversation: conversation_id(conversation),
    })
}

/// Where a frame goes: a user's direct chat (`toUser`) or a conversation (by the id the
/// server wrote).
#[derive(Debug, Clone, Copy)]
pub enum To<'a> {
    User(&'a str),
    Conversation(&'a str),
}

impl To<'_> {
    /// The frame's `toUser` and `conversation`.
    fn fields(self) -> (Option<String>, Option<ConversationId>) {
        match self {
            To::User(user) => (Some(user.to_owned()), None),
            To::Conversation(conversation) => (None, Some(conversation_id(conversation))),
        }
    }
}

/// An `uploadUrl` for a file.
pub fn upload_url(id: &str, to: To, name: &str, content_type: &str, size: u64) -> ClientFrame {
    let (to_user, conversation) = to.fields();
    ClientFrame::UploadUrl(UploadUrl {
        id: id.to_owned(),
        conversation,
        to_user,
        name: name.to_owned(),
        content_type: content_type.to_owned(),
        size,
    })
}

/// A `downloadUrl` for an attachment's key.
pub fn download(id: &str, key: &str) -> ClientFrame {
    ClientFrame::DownloadUrl(DownloadUrl {
        id: id.to_owned(),
        key: key.to_owned(),
    })
}

/// A `registerPush` of a device token.
pub fn register_push(id: &str, platform: Platform, token: &str) -> ClientFrame {
    ClientFrame::RegisterPush(RegisterPush {
        id: id.to_owned(),
        platform,
        token: token.to_owned(),
    })
}

/// A valid frame as JSON, for a test to add what the protocol has no field for (unknown or
/// spoofing fields the server must ignore).
pub fn as_json(frame: &ClientFrame) -> Value {
    serde_json::to_value(frame).expect("a protocol frame serializes")
}

/// A conversation id the server handed out.
pub fn conversation_id(text: &str) -> ConversationId {
    ConversationId::parse(text).unwrap_or_else(|e| panic!("conversation id {text:?}: {e}"))
}

/// Sends `frame` and waits for the `sent` answering its `id` (panics on an `error` for it).
pub async fn send_and_wait(client: &mut Client, frame: &ClientFrame) -> Value {
    client.send(frame).await;
    sent_for(client, frame.id().expect("a send frame has an id")).await
}

/// The `sent` (or, as a failure, the `error`) answering client id `id`.
pub async fn sent_for(client: &mut Client, id: &str) -> Value {
    let reply = client
        .frame_where(&format!("the `sent` for {id}"), |f| {
            f["id"] == id && (f["type"] == "sent" || f["type"] == "error")
        })
        .await;
    assert_eq!(reply["type"], "sent", "send {id} failed: {reply}");
    reply
}

/// The `message` frame with client id `id`.
pub async fn message_with_id(client: &mut Client, id: &str) -> Value {
    client
        .frame_where(&format!("the `message` for {id}"), |f| {
            f["type"] == "message" && f["id"] == id
        })
        .await
}

/// The `error` answering client id `id`.
pub async fn error_for(client: &mut Client, id: &str) -> Value {
    client
        .frame_where(&format!("an `error` for {id}"), |f| {
            f["type"] == "error" && f["id"] == id
        })
        .await
}

/// The next `error` frame (for frames without a usable id).
pub async fn next_error(client: &mut Client) -> Value {
    client.frame_of_type("error").await
}

/// `(conversation, seq)` of a `message` or `sent` frame.
pub fn key_of(frame: &Value) -> (String, u64) {
    (
        frame["conversation"]
            .as_str()
            .unwrap_or_else(|| panic!("no conversation in {frame}"))
            .to_owned(),
        frame["seq"]
            .as_u64()
            .unwrap_or_else(|| panic!("no integer seq in {frame}")),
    )
}

/// One answer to `sync`: its `message` frames in the order they came, then the `synced`.
#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<Value>,
    pub cursor: Value,
    pub more: bool,
}

/// Sends one `sync` and reads its `message` frames up to the `synced`. `message` frames
/// still buffered from live deliveries are dropped first: they are not sync output. Call it
/// only while nothing is being sent to this user, or live frames would mix in. Asserts that
/// no message appears twice within the page (the contract: each message once per sync).
pub async fn sync_page(client: &mut Client, cursor: Option<&Value>, limit: Option<u64>) -> Page {
    client.pending.retain(|f| f["type"] != "message");
    let cursor = cursor.map(|c| c.as_str().expect("a cursor is a string"));
    client.send(&sync_frame(cursor, limit)).await;
    let mut messages = Vec::new();
    loop {
        let next = client
            .frame_where("sync output (`message` or `synced`)", |f| {
                f["type"] == "message" || f["type"] == "synced" || f["type"] == "error"
            })
            .await;
        match next["type"].as_str() {
            Some("message") => messages.push(next),
            Some("synced") => {
                let more = next["more"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("`synced` without a boolean `more`: {next}"));
                assert!(
                    !next["cursor"].is_null(),
                    "`synced` without a cursor: {next}"
                );
                let mut seen = HashSet::new();
                for message in &messages {
                    assert!(
                        seen.insert(key_of(message)),
                        "a message appeared twice within one sync page: {message}; page: {messages:?}"
                    );
                }
                if let Some(limit) = limit {
                    assert!(
                        messages.len() as u64 <= limit,
                        "a page of limit {limit} held {} messages",
                        messages.len()
                    );
                }
                return Page {
                    messages,
                    cursor: next["cursor"].clone(),
                    more,
                };
            }
            _ => panic!("sync failed: {next}"),
        }
    }
}

/// Everything a sync from `cursor` returns, following `more` to the end.
#[derive(Debug, Clone)]
pub struct Synced {
    pub pages: Vec<Page>,
    /// Every message once, by (conversation, seq), in the order first seen. Pages may repeat
    /// messages from the settle window just before their cursor (documented); those repeats
    /// are dropped here.
    pub messages: Vec<Value>,
    /// The last `synced` cursor.
    pub cursor: Value,
}

pub async fn sync_all(client: &mut Client, cursor: Option<&Value>, limit: Option<u64>) -> Synced {
    let mut pages = Vec::new();
    let mut cursor = cursor.cloned();
    loop {
        assert!(
            pages.len() < MAX_PAGES,
            "sync did not end within {MAX_PAGES} pages (limit {limit:?}): {pages:?}"
        );
        let page = sync_page(client, cursor.as_ref(), limit).await;
        cursor = Some(page.cursor.clone());
        let more = page.more;
        pages.push(page);
        if !more {
            break;
        }
    }
    let mut seen = HashSet::new();
    let messages = pages
        .iter()
        .flat_map(|p| p.messages.iter())
        .filter(|m| seen.insert(key_of(m)))
        .cloned()
        .collect();
    Synced {
        pages,
        messages,
        cursor: cursor.expect("at least one page"),
    }
}

/// The synced message at `seq` of `conversation` (panics when the sync has none).
pub fn synced_at<'a>(synced: &'a Synced, conversation: &str, seq: u64) -> &'a Value {
    synced
        .messages
        .iter()
        .find(|m| m["conversation"] == conversation && m["seq"] == seq)
        .unwrap_or_else(|| panic!("no seq {seq} in the sync: {:?}", synced.messages))
}

/// The seqs of `conversation` among `messages`, in the order given.
pub fn seqs_in(messages: &[Value], conversation: &str) -> Vec<u64> {
    messages
        .iter()
        .filter(|m| m["conversation"] == conversation)
        .map(|m| key_of(m).1)
        .collect()
}

/// Asserts that `seqs` are exactly 1..=n, each once (in any order).
pub fn assert_exactly_one_to_n(seqs: &[u64], n: u64, what: &str) {
    let set: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(set.len(), seqs.len(), "{what}: a seq repeats: {seqs:?}");
    let expected: BTreeSet<u64> = (1..=n).collect();
    assert_eq!(set, expected, "{what}: seqs are not exactly 1..={n}");
}

/// Asserts that an error frame shows nothing internal (SDK or service error text).
pub fn assert_clean_error(error: &Value) {
    let message = error["message"].as_str().unwrap_or_default().to_lowercase();
    for leak in [
        "dynamodb",
        "serviceerror",
        "dispatch failure",
        "exception",
        "cognito",
        "panicked",
        "aws_sdk",
    ] {
        assert!(
            !message.contains(leak),
            "an error frame leaks internal text ({leak}): {error}"
        );
    }
}

/// A change of `kind` to the message at `target` of `conversation` (issue 16).
pub fn change(
    id: &str,
    conversation: &str,
    kind: ChangeKind,
    target: u64,
    body: Option<&str>,
) -> ClientFrame {
    ClientFrame::Send(Send::change(
        id,
        conversation_id(conversation),
        kind,
        target,
        body.map(str::to_owned),
    ))
}

/// A `prefs` frame: sets `reactionPush` when given, else only reads.
pub fn prefs(id: &str, reaction_push: Option<bool>) -> ClientFrame {
    ClientFrame::Prefs(Prefs {
        id: id.to_owned(),
        reaction_push,
    })
}

/// The conversation a `sent` names.
pub fn conversation_of(sent: &Value) -> String {
    sent["conversation"]
        .as_str()
        .expect("a conversation")
        .to_owned()
}

/// Sends `frame` and returns the `error` answering it (panics on a `sent`).
pub async fn refused(client: &mut Client, frame: &ClientFrame) -> Value {
    let id = frame.id().expect("a send has an id").to_owned();
    client.send(frame).await;
    let reply = client
        .frame_where(&format!("the answer to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == "sent" || f["type"] == "error")
        })
        .await;
    assert_eq!(reply["type"], "error", "{id} was accepted: {reply}");
    assert_clean_error(&reply);
    reply
}

/// Sends a frame with an `id` and returns the reply of `kind` (or the `error`) for it.
pub async fn request(client: &mut Client, frame: ClientFrame, kind: &str) -> Value {
    let id = frame.id().expect("an id").to_owned();
    client.send(&frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == kind || f["type"] == "error")
        })
        .await
}

/// A `send` setting `conversation`'s disappearing-messages timer to `seconds` (0: off).
pub fn timer(id: &str, conversation: &str, seconds: u64) -> ClientFrame {
    ClientFrame::Send(Send::timer(id, conversation_id(conversation), seconds))
}
