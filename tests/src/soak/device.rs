//! One soak device: a user's phone that sends messages one at a time and retries each until
//! it is acknowledged, with the same id, after whatever went wrong (an `error`, API
//! Gateway's "Internal server error", no answer in time, a lost socket), reconnecting when
//! the socket is gone, and sometimes reconnecting on its own, as apps do.
//!
//! One send in flight per socket keeps "which send did this failure hit" unambiguous: the
//! "Internal server error" frame carries no id.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::dice::Dice;
use crate::stack::StackInfo;
use crate::users::TestUser;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a send waits for its answer before it is retried.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// After the run's end, how long a device keeps retrying its last unacknowledged send.
pub const FINISH_GRACE: Duration = Duration::from_secs(60);

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
    /// How many times it was sent before the `sent`.
    pub attempts: u32,
}

/// What one device did.
#[derive(Debug, Default)]
pub struct DeviceRun {
    pub acked: Vec<Acked>,
    /// Messages (conversation, seq) that arrived live on any of this device's sockets.
    pub live: HashSet<(String, u64)>,
    /// Sends started (each counted once however often it was retried).
    pub sent: u64,
    /// Sends given up at the end still unacknowledged.
    pub unacked: Vec<String>,
    /// Why sends were retried: `error:<code>`, `internal_server_error`, `timeout`, `socket_lost`.
    pub retries: BTreeMap<String, u64>,
    pub connects: u64,
    pub refused_connects: u64,
    /// The socket still open at the end.
    pub socket: Option<Socket>,
}

pub struct DevicePlan {
    pub user: Arc<TestUser>,
    pub targets: Vec<Target>,
    /// Time between one acknowledged send and the next.
    pub interval: Duration,
    /// Chance of a voluntary reconnect after each acknowledged send.
    pub reconnect: f64,
    pub until: Instant,
    pub seed: u64,
}

enum Answer {
    Sent(Value),
    Retry(&'static str, String),
}

pub async fn run(stack: &StackInfo, plan: DevicePlan) -> DeviceRun {
    let mut dice = Dice::new(plan.seed);
    let mut out = DeviceRun::default();
    let mut socket: Option<Socket> = None;
    let hard_stop = plan.until + FINISH_GRACE;
    // Spread the devices' first sends over one interval.
    tokio::time::sleep(plan.interval.mul_f64(dice.unit())).await;
    let mut pending: Option<(Value, u32, Target)> = None;
    loop {
        if pending.is_none() {
            if Instant::now() >= plan.until {
                break;
            }
            let n = out.sent;
            let id = format!("soak-{}-{}-{n}", &plan.user.user_id[..8], plan.seed);
            let target = plan.targets[dice.below(plan.targets.len())].clone();
            let frame = match &target {
                Target::User(user) => {
                    json!({"action": "send", "id": id, "toUser": user, "body": format!("m{n}")})
                }
                Target::Conversation(c) => {
                    json!({"action": "send", "id": id, "conversation": c, "body": format!("m{n}")})
                }
            };
            out.sent += 1;
            pending = Some((frame, 0, target));
        }
        if Instant::now() >= hard_stop {
            if let Some((frame, _, _)) = pending.take() {
                out.unacked
                    .push(frame["id"].as_str().unwrap_or_default().to_owned());
            }
            break;
        }
        let Some(open) = socket.as_mut() else {
            socket = reconnect(stack, &plan.user, &mut out).await;
            continue;
        };
        let (frame, attempts, target) = pending.as_mut().expect("a send is pending");
        *attempts += 1;
        let answer = match open.send(Message::text(frame.to_string())).await {
            Ok(()) => {
                answer_for(
                    open,
                    frame["id"].as_str().unwrap_or_default(),
                    &mut out.live,
                )
                .await
            }
            Err(_) => Answer::Retry("socket_lost", String::new()),
        };
        match answer {
            Answer::Sent(sent) => {
                out.acked.push(Acked {
                    from: plan.user.user_id.clone(),
                    id: sent["id"].as_str().unwrap_or_default().to_owned(),
                    conversation: sent["conversation"].as_str().unwrap_or_default().to_owned(),
                    seq: sent["seq"].as_u64().unwrap_or_default(),
                    target: target.clone(),
                    attempts: *attempts,
                });
                pending = None;
                if dice.unit() < plan.reconnect {
                    if let Some(mut open) = socket.take() {
                        let _ = open.close(None).await;
                    }
                }
                tokio::time::sleep(plan.interval.mul_f64(0.5 + dice.unit())).await;
            }
            Answer::Retry(why, code) => {
                let key = if code.is_empty() {
                    why.to_owned()
                } else {
                    format!("{why}:{code}")
                };
                *out.retries.entry(key).or_default() += 1;
                if why == "socket_lost" {
                    socket = None;
                }
                // A refused send waits for the bucket; others back off a little.
                let pause = if code == "rate_limited" {
                    1_000
                } else {
                    100 + dice.below(300) as u64
                };
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }
    out.socket = socket;
    out
}

/// Reads frames until the answer to send `id`, recording live messages on the way.
async fn answer_for(socket: &mut Socket, id: &str, live: &mut HashSet<(String, u64)>) -> Answer {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match timeout(left, socket.next()).await {
            Err(_) => return Answer::Retry("timeout", String::new()),
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<Value>(&text) {
                Ok(frame) => frame,
                Err(_) => continue,
            },
            Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => {
                return Answer::Retry("socket_lost", String::new())
            }
            Ok(Some(Ok(_))) => continue,
        };
        match frame["type"].as_str() {
            Some("message") => {
                if let (Some(c), Some(seq)) =
                    (frame["conversation"].as_str(), frame["seq"].as_u64())
                {
                    live.insert((c.to_owned(), seq));
                }
            }
            Some("sent") if frame["id"] == id => return Answer::Sent(frame),
            Some("error") if frame["id"] == id => {
                let code = frame["code"].as_str().unwrap_or("none").to_owned();
                return Answer::Retry("error", code);
            }
            None if frame["message"] == "Internal server error" => {
                return Answer::Retry("internal_server_error", String::new())
            }
            _ => {}
        }
    }
}

/// Connects again, retrying refusals (a crashed `$connect` answers 500) until it works.
async fn reconnect(stack: &StackInfo, user: &TestUser, out: &mut DeviceRun) -> Option<Socket> {
    let url = format!("{}?token={}", stack.websocket_url, user.id_token);
    for attempt in 0..50u64 {
        match tokio_tungstenite::connect_async(&url).await {
            Ok((socket, _)) => {
                out.connects += 1;
                return Some(socket);
            }
            Err(_) => {
                out.refused_connects += 1;
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1).min(10))).await;
            }
        }
    }
    None
}
