//! A device running the client library (parley-client) on its own store, as the library's
//! end-to-end tests drive it: started with the test user's tokens, its events awaited with a
//! timeout, stopped so that another client may open the same store.

use parley_client::events::{ConnectionState, Event};
use parley_client::store::{Message, Tick};
use parley_client::{Client, KeepTokens, Options, Store};
use parley_protocol::ConversationId;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::stack::StackInfo;
use crate::users::TestUser;

/// The store at `path`, holding `user`'s tokens (saved there when new).
pub fn open_store(path: &Path, user: &TestUser) -> Arc<Store> {
    let store = Store::open(path).expect("open the store");
    if store.tokens().unwrap().is_none() {
        store.save_tokens(&user.tokens).unwrap();
    }
    Arc::new(store)
}

/// How long any one expected event may take.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Device {
    pub client: Client,
    pub events: UnboundedReceiver<Event>,
}

impl Device {
    /// Starts a client of `user` on the store at `path` (made, with the user's tokens, when
    /// new).
    pub fn start(stack: &StackInfo, path: &Path, user: &TestUser, options: Options) -> Self {
        Self::on_store(stack, open_store(path, user), options)
    }

    /// Starts a client on an open store.
    pub fn on_store(stack: &StackInfo, store: Arc<Store>, options: Options) -> Self {
        let (client, events) = Client::start_with(&stack.websocket_url, store, KeepTokens, options)
            .expect("start the client");
        Self { client, events }
    }

    /// The first event `wanted` maps to something, skipping others; panics after [`WAIT`].
    pub async fn until<T>(&mut self, what: &str, mut wanted: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    if let Some(found) = wanted(&event) {
                        return found;
                    }
                }
                Ok(None) => panic!("the client stopped while waiting for {what}"),
                Err(_) => panic!("{what} did not come within {WAIT:?}"),
            }
        }
    }

    pub async fn synced(&mut self) {
        self.until("the catch-up sync", |e| {
            matches!(e, Event::Connection(ConnectionState::Synced)).then_some(())
        })
        .await;
    }

    /// The message with client id `id` as this device can read it: decrypted on arrival,
    /// or once its key came.
    pub async fn readable(&mut self, id: &str) -> Message {
        self.until(&format!("message {id}, readable"), |e| match e {
            Event::Message(m) | Event::Decrypted(m) if m.id == id && !m.is_waiting_for_key() => {
                Some(m.clone())
            }
            _ => None,
        })
        .await
    }

    /// The tick `tick` of the send `id`: its conversation and seq.
    pub async fn tick(&mut self, id: &str, tick: Tick) -> (ConversationId, u64) {
        self.until(&format!("{tick:?} for {id}"), |e| match e {
            Event::Tick {
                id: got,
                conversation,
                seq,
                tick: t,
            } if got == id && *t == tick => Some((conversation.clone(), *seq)),
            _ => None,
        })
        .await
    }

    /// Messages of `conversation` from others, as they come, until `count` of them came.
    pub async fn messages_from_others(&mut self, me: &str, count: usize) -> Vec<Message> {
        let mut got = Vec::new();
        while got.len() < count {
            let message = self
                .until(
                    &format!("message {} of {count}", got.len() + 1),
                    |e| match e {
                        Event::Message(m) if m.from != me => Some(m.clone()),
                        _ => None,
                    },
                )
                .await;
            got.push(message);
        }
        got
    }

    /// The message at `seq` once this device shows it changed as `wanted`.
    pub async fn changed(
        &mut self,
        what: &str,
        seq: u64,
        wanted: impl Fn(&Message) -> bool,
    ) -> Message {
        self.until(what, |e| {
            let message = match e {
                Event::Changed { message, .. } => message.as_ref(),
                Event::Decrypted(message) => message,
                _ => return None,
            };
            (message.seq == seq && wanted(message)).then(|| message.clone())
        })
        .await
    }

    /// Stops the client and waits until its worker let go of the store.
    pub async fn stop(self) {
        let Device { client, mut events } = self;
        drop(client);
        while tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("the worker stops")
            .is_some()
        {}
    }
}
