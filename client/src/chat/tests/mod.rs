//! The chat state driven by hand: frames in, frames and events out, time passed explicitly.

mod blocking;
mod changes;
mod inbox;
mod outbox;
mod presence;
mod requests;
mod settings;
mod ticks;

use parley_protocol::client::Send;
use parley_protocol::{ConversationId, ServerFrame};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Chat, Output};
use crate::events::Event;
use crate::store::Store;

pub const ME: &str = "alice";
pub const BOB: &str = "bob";
pub const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

pub fn dm() -> ConversationId {
    ConversationId::parse("d:alice:bob").unwrap()
}

pub fn group() -> ConversationId {
    ConversationId::parse(GROUP).unwrap()
}

pub struct Harness {
    pub chat: Chat,
    pub store: Arc<Store>,
    pub now: Instant,
    pub path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    /// A fresh store, not yet connected.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let mut harness = Self::open(path);
        harness._dir = Some(dir);
        harness
    }

    fn open(path: PathBuf) -> Self {
        let store = Arc::new(Store::open(&path).unwrap());
        let now = Instant::now();
        Self {
            chat: Chat::new(store.clone(), ME.into(), now).unwrap(),
            store,
            now,
            path,
            _dir: None,
        }
    }

    /// The same device after a restart: a new chat state from the same store file.
    pub fn restart(self) -> Self {
        let Self {
            chat,
            store,
            path,
            _dir,
            ..
        } = self;
        drop(chat);
        drop(store);
        let mut harness = Self::open(path);
        harness._dir = _dir;
        harness
    }

    /// Connected, with the connect-time sync answered as empty.
    pub fn online() -> Self {
        let mut harness = Self::new();
        harness.connect();
        harness.server(json!({"type": "synced", "cursor": "c0", "more": false}));
        harness.take();
        harness
    }

    pub fn connect(&mut self) {
        self.chat.connected(self.now).unwrap();
    }

    pub fn disconnect(&mut self) {
        self.chat.disconnected(self.now);
    }

    pub fn server(&mut self, frame: Value) {
        let frame: ServerFrame = serde_json::from_value(frame).unwrap();
        self.chat.frame(frame, self.now).unwrap();
    }

    pub fn pass(&mut self, time: Duration) {
        self.now += time;
        self.chat.poll(self.now).unwrap();
    }

    pub fn send_text(&mut self, id: &str, body: &str) {
        self.chat
            .send(Send::to_conversation(id, dm(), body), self.now)
            .unwrap();
    }

    /// Everything asked of the worker so far: frames as JSON, and events.
    pub fn take(&mut self) -> (Vec<Value>, Vec<Event>) {
        let mut frames = Vec::new();
        let mut events = Vec::new();
        for output in self.chat.take_outputs() {
            match output {
                Output::Frame(frame) => {
                    frames.push(serde_json::from_str(&frame.to_json()).unwrap())
                }
                Output::Event(event) => events.push(event),
                Output::Seal(frame) => panic!("nothing is encrypted here: {frame:?}"),
            }
        }
        (frames, events)
    }

    pub fn frames(&mut self) -> Vec<Value> {
        self.take().0
    }

    pub fn events(&mut self) -> Vec<Event> {
        self.take().1
    }
}

/// A `message` frame of the direct chat from Bob.
pub fn message(seq: u64, body: &str) -> Value {
    message_in(dm(), seq, BOB, body)
}

pub fn message_in(conversation: ConversationId, seq: u64, from: &str, body: &str) -> Value {
    json!({"type": "message", "conversation": conversation, "seq": seq, "messageId": format!("m{seq}"),
           "id": format!("{from}-{seq}"), "from": from, "ts": 1000 + seq, "cursor": format!("k{seq}"),
           "body": body})
}

pub fn sent(id: &str, seq: u64) -> Value {
    json!({"type": "sent", "id": id, "conversation": dm(), "seq": seq, "messageId": format!("m{seq}"), "ts": 1000 + seq})
}

/// The seqs of the messages among `events`.
pub fn delivered(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.seq),
            _ => None,
        })
        .collect()
}

pub fn actions(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["action"].as_str().unwrap().to_owned())
        .collect()
}
