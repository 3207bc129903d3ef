//! A command's connection: the client library's `Client` for the signed-in user, and its
//! events, with the connection's failures turned into the CLI's exit codes. The library
//! reconnects forever (right for an app); a command gives up after [`GIVE_UP_AFTER`]
//! attempts in a row fail: exit 3 (or the refresh's own refusal, exit 2).

use parley_client::account::Account;
use parley_client::{Client, ClientError, ConnectionState, Event};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::args::Cli;
use crate::commands::stack;
use crate::failure::Failure;
use crate::refresh::Refresh;
use crate::store;

/// Failed connection attempts in a row after which a command stops waiting (with the
/// library's backoff, a few seconds for a stack that refuses connections).
pub const GIVE_UP_AFTER: u32 = 4;

pub struct Online {
    pub client: Client,
    events: UnboundedReceiver<Event>,
    /// Events that came while a call was awaited, handed out next.
    held: VecDeque<Event>,
    failures: u32,
    websocket_url: String,
    refresh_failure: Arc<Mutex<Option<Failure>>>,
}

impl Online {
    /// Starts the client; "not logged in" (exit 1) before anything goes on the network.
    pub fn start(cli: &Cli) -> Result<Self, Failure> {
        let stack = stack(cli)?;
        let store = store::open()?;
        store::signed_in(&store)?;
        let (refresh, refresh_failure) = Refresh::new(Account::new(&stack));
        let (client, events) = Client::start(&stack.websocket_url, store, refresh)?;
        Ok(Self {
            client,
            events,
            held: VecDeque::new(),
            failures: 0,
            websocket_url: stack.websocket_url,
            refresh_failure,
        })
    }

    /// The next event (connection states included), or why the stack is out of reach.
    pub async fn next(&mut self) -> Result<Event, Failure> {
        if let Some(event) = self.held.pop_front() {
            return Ok(event);
        }
        self.receive().await
    }

    /// Waits until the connect's catch-up sync is done, so the store holds every message
    /// so far (the messages it hands out meanwhile are not printed).
    pub async fn until_synced(&mut self) -> Result<(), Failure> {
        loop {
            if let Event::Connection(ConnectionState::Synced) = self.next().await? {
                return Ok(());
            }
        }
    }

    /// Awaits one of the client's calls (a lookup, a group action, a send being stored),
    /// keeping the events that come meanwhile, and failing if the stack is out of reach.
    pub async fn call<T, F, Fut>(&mut self, make: F) -> Result<T, Failure>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let call = make(self.client.clone());
        tokio::pin!(call);
        loop {
            tokio::select! {
                result = &mut call => return result.map_err(Failure::from),
                event = self.receive() => self.held.push_back(event?),
            }
        }
    }

    /// The events that came while calls were awaited, not yet handed out.
    pub fn drain_held(&mut self) -> Vec<Event> {
        self.held.drain(..).collect()
    }

    async fn receive(&mut self) -> Result<Event, Failure> {
        let event = self
            .events
            .recv()
            .await
            .ok_or_else(|| Failure::other("the client library stopped"))?;
        match &event {
            Event::Connection(ConnectionState::Connected) => self.failures = 0,
            Event::Connection(ConnectionState::Disconnected { .. }) => {
                self.failures += 1;
                if self.failures >= GIVE_UP_AFTER {
                    return Err(self.unreachable());
                }
            }
            _ => {}
        }
        Ok(event)
    }

    fn unreachable(&self) -> Failure {
        let refused = self.refresh_failure.lock().expect("not poisoned").clone();
        refused.unwrap_or_else(|| {
            Failure::unreachable(format!(
                "cannot reach the stack at {} ({} attempts)",
                self.websocket_url, GIVE_UP_AFTER
            ))
        })
    }
}
