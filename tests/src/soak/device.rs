//! One soak device: a user's phone running the client library (`parley_client::Client` on a
//! store of its own), as an app does. It writes a message now and then; the library's
//! outbox stores it and sends it, retrying with the same id after whatever went wrong (an
//! `error`, API Gateway's "Internal server error", no answer in time, a lost socket),
//! reconnecting and syncing when the socket is gone. Sometimes the app is restarted (the
//! client stopped and started again on the same store), as phones do to apps: the outbox
//! and the cursor must survive that.
//!
//! What the device records comes from the library's events: a `Sent` tick acknowledges a
//! send (its conversation and seq), every `Message` the library hands over is one this
//! device got while running (live, or by the library's own catch-up sync).

use parley_client::account::Account;
use parley_client::events::{ConnectionState, Event};
use parley_client::store::Tick;
use parley_client::{Client, Options, Store, To};
use parley_protocol::ConversationId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{sleep_until, Instant};

use super::dice::Dice;
use crate::stack::{workspace_root, StackInfo};
use crate::users::TestUser;

/// After the run's end, how long a device keeps running for its outbox to empty.
pub const FINISH_GRACE: Duration = Duration::from_secs(60);
/// How long a stopped client may take to let go of its store.
const STOP_WITHIN: Duration = Duration::from_secs(30);

/// Where a device may send.
#[derive(Debug, Clone)]
pub enum Target {
    User(String),
    Conversation(String),
}

/// An acknowledged send.
#[derive(Debug, Clone)]
pub struct Acked {
    pub from: String,
    pub id: String,
    pub conversation: String,
    pub seq: u64,
    pub target: Target,
}

/// What one device did.
#[derive(Default)]
pub struct DeviceRun {
    pub acked: Vec<Acked>,
    /// Messages (conversation, seq) the library handed to this device while it ran (live,
    /// or by its catch-up sync after a reconnect or restart).
    pub live: HashSet<(String, u64)>,
    /// Sends written (each counted once however often the library retried it).
    pub sent: u64,
    /// Sends still unacknowledged at the end, or refused for good.
    pub unacked: Vec<String>,
    /// Sends the server refused for good, by error code (the library's `SendFailed`).
    pub refused: BTreeMap<String, u64>,
    /// Connections opened, and attempts that ended without one (a crashed `$connect`).
    pub connects: u64,
    pub refused_connects: u64,
    /// Connections lost (closed, dropped or dead) while the app ran.
    pub disconnects: u64,
    /// Times the app was stopped and started again on its store.
    pub restarts: u64,
    /// The client still running at the end: its connection stays open until the stale
    /// record check is done.
    pub running: Option<Running>,
}

pub struct DevicePlan {
    pub user: Arc<TestUser>,
    pub targets: Vec<Target>,
    /// Time between one message and the next.
    pub interval: Duration,
    /// Chance of an app restart after each message.
    pub restart: f64,
    pub until: Instant,
    pub seed: u64,
}

/// A started client and its events.
pub struct Running {
    client: Client,
    events: UnboundedReceiver<Event>,
}

impl Running {
    fn start(stack: &StackInfo, store: Arc<Store>, account: Account) -> Self {
        // Encryption off: the soak measures the outbox, sync and reconnects under faults.
        // With it on, 16 of a run's sends were still being encrypted (their key exchange
        // retried through the faults) when the grace ran out: to be looked at on its own.
        let plain = Options { encryption: false };
        let (client, events) = Client::start_with(&stack.websocket_url, store, account, plain)
            .expect("start the client");
        Self { client, events }
    }

    /// Stops the client and waits until its worker let go of the store, handing every
    /// event it still emitted to `on_event`.
    pub async fn stop(self, mut on_event: impl FnMut(Event)) {
        let Running { client, mut events } = self;
        drop(client);
        let deadline = Instant::now() + STOP_WITHIN;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
            on_event(event);
        }
    }
}

/// Where this run's devices keep their stores.
fn stores_dir() -> PathBuf {
    workspace_root()
        .join("target/soak/stores")
        .join(std::process::id().to_string())
}

/// Removes this run's stores, once every client has stopped.
pub fn remove_stores() {
    let _ = std::fs::remove_dir_all(stores_dir());
}

/// This device's store: under target/soak, fresh for each run.
fn store_path(plan: &DevicePlan) -> PathBuf {
    let dir = stores_dir();
    std::fs::create_dir_all(&dir).expect("create the soak's store folder");
    let path = dir.join(format!("device-{}.redb", plan.seed));
    let _ = std::fs::remove_file(&path);
    path
}

pub async fn run(stack: &StackInfo, plan: DevicePlan) -> DeviceRun {
    let mut dice = Dice::new(plan.seed);
    let mut out = DeviceRun::default();
    let store = Arc::new(Store::open(store_path(&plan)).expect("open the device's store"));
    store
        .save_tokens(&plan.user.tokens)
        .expect("store the tokens");
    let account = Account::new(&stack.client_stack());
    let mut outstanding: HashMap<String, Target> = HashMap::new();
    let mut record = Recorder {
        user_id: &plan.user.user_id,
        out: &mut out,
        outstanding: &mut outstanding,
        connected: false,
    };
    let mut running = Running::start(stack, store.clone(), account.clone());
    let hard_stop = plan.until + FINISH_GRACE;
    // Spread the devices' first messages over one interval.
    let mut next_send = Instant::now() + plan.interval.mul_f64(dice.unit());
    loop {
        let now = Instant::now();
        if now >= hard_stop || (now >= plan.until && record.outstanding.is_empty()) {
            break;
        }
        // Wake at the run's end too: a device with nothing outstanding then stops at once.
        let wake = if now < plan.until {
            next_send.min(plan.until)
        } else {
            hard_stop
        };
        tokio::select! {
            event = running.events.recv() => match event {
                Some(event) => record.event(event),
                None => panic!("the client of {} stopped by itself", plan.user.user_id),
            },
            _ = sleep_until(wake) => {
                if Instant::now() < plan.until && Instant::now() >= next_send {
                    let n = record.out.sent;
                    let target = plan.targets[dice.below(plan.targets.len())].clone();
                    let to = match &target {
                        Target::User(user) => To::User(user.clone()),
                        Target::Conversation(c) => To::Conversation(
                            ConversationId::parse(c).expect("a conversation id the server made"),
                        ),
                    };
                    let id = running
                        .client
                        .send_text(to, format!("m{n}"))
                        .await
                        .expect("the outbox stores the send");
                    record.out.sent += 1;
                    record.outstanding.insert(id, target);
                    next_send = Instant::now() + plan.interval.mul_f64(0.5 + dice.unit());
                    if dice.unit() < plan.restart {
                        running.stop(|event| record.event(event)).await;
                        record.out.restarts += 1;
                        running = Running::start(stack, store.clone(), account.clone());
                    }
                }
            }
        }
    }
    let mut unacked: Vec<String> = outstanding.into_keys().collect();
    unacked.sort();
    out.unacked.extend(unacked);
    out.running = Some(running);
    out
}

/// Turns the library's events into the device's record.
struct Recorder<'a> {
    user_id: &'a str,
    out: &'a mut DeviceRun,
    /// Sends written and not yet acknowledged (or refused), by id.
    outstanding: &'a mut HashMap<String, Target>,
    /// Whether the current connection attempt got as far as connecting.
    connected: bool,
}

impl Recorder<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Tick {
                id,
                conversation,
                seq,
                tick: Tick::Sent,
            } => {
                if let Some(target) = self.outstanding.remove(&id) {
                    self.out.acked.push(Acked {
                        from: self.user_id.to_owned(),
                        id,
                        conversation: conversation.to_string(),
                        seq,
                        target,
                    });
                }
            }
            Event::Message(message) => {
                self.out
                    .live
                    .insert((message.conversation.to_string(), message.seq));
            }
            Event::SendFailed { id, code, .. } if self.outstanding.remove(&id).is_some() => {
                *self
                    .out
                    .refused
                    .entry(code.as_str().to_owned())
                    .or_default() += 1;
                self.out.unacked.push(id);
            }
            Event::Connection(ConnectionState::Connecting) => self.connected = false,
            Event::Connection(ConnectionState::Connected) => {
                self.connected = true;
                self.out.connects += 1;
            }
            Event::Connection(ConnectionState::Disconnected { .. }) => {
                if self.connected {
                    self.out.disconnects += 1;
                } else {
                    self.out.refused_connects += 1;
                }
                self.connected = false;
            }
            _ => {}
        }
    }
}
