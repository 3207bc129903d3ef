//! Benchmark clients: one WebSocket per device (the client library's low-level socket: the
//! benchmark measures the server, so no outbox or sync of the library's own comes between),
//! read by a task of its own that timestamps every frame on arrival, so that latency is
//! measured where the frame lands and no socket backs up while the benchmark waits on
//! another.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_client::socket::{FrameSink, FrameSocket, Incoming};
use parley_protocol::ClientFrame;
use parley_tests::stack::StackInfo;
use parley_tests::users::TestUser;
use serde_json::Value;
use tokio::sync::mpsc;

/// API Gateway bills WebSocket messages in 32 KiB units.
const BILLING_UNIT_BYTES: u64 = 32 * 1024;

/// What every device has received, shared by all devices of a run.
#[derive(Default)]
pub struct Inbox {
    /// Client message id (`id` of a `message` frame) → when each device got it.
    arrivals: Mutex<HashMap<String, Vec<Instant>>>,
    /// Frames received by all devices, in API Gateway's 32 KiB billing units.
    pub billed_frames_out: AtomicU64,
}

impl Inbox {
    /// When `id` arrived, at every device that has it so far.
    pub fn arrivals(&self, id: &str) -> Vec<Instant> {
        self.arrivals
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `id` reached `devices` devices (or `within` passed); returns the arrivals.
    pub async fn await_arrivals(&self, id: &str, devices: usize, within: Duration) -> Vec<Instant> {
        let deadline = Instant::now() + within;
        loop {
            let arrivals = self.arrivals(id);
            if arrivals.len() >= devices || Instant::now() > deadline {
                return arrivals;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn billed_frames_out(&self) -> u64 {
        self.billed_frames_out.load(Ordering::Relaxed)
    }
}

/// One connected device of a user.
pub struct Device {
    sink: FrameSink,
    /// Frames other than `message` (replies: `sent`, `group`, `error`, …), with the time
    /// each was read off the socket.
    replies: mpsc::UnboundedReceiver<(Instant, Value)>,
}

impl Device {
    /// Opens `websocketUrl?token=…`; returns once `$connect` has stored the connection (API
    /// Gateway completes the handshake only after it).
    pub async fn connect(stack: &StackInfo, user: &TestUser, inbox: Arc<Inbox>) -> Self {
        let socket = FrameSocket::connect(&stack.websocket_url, Some(&user.id_token))
            .await
            .unwrap_or_else(|e| panic!("{} connects: {e}", user.email));
        let (sink, mut stream) = socket.split();
        let (replies_tx, replies) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let text = match stream.next().await {
                    Incoming::Text(text) => text,
                    Incoming::Binary(_) => continue,
                    Incoming::Closed(_) | Incoming::Failed(_) => break,
                };
                let at = Instant::now();
                let units = (text.len() as u64).div_ceil(BILLING_UNIT_BYTES).max(1);
                inbox.billed_frames_out.fetch_add(units, Ordering::Relaxed);
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if frame["type"] == "message" {
                    if let Some(id) = frame["id"].as_str() {
                        inbox
                            .arrivals
                            .lock()
                            .unwrap()
                            .entry(id.to_owned())
                            .or_default()
                            .push(at);
                    }
                } else if replies_tx.send((at, frame)).is_err() {
                    break;
                }
            }
        });
        Self { sink, replies }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.sink.send(frame).await.expect("send a frame");
    }

    /// Sends JSON the protocol has no frame for (an unknown action, answered by `$default`).
    pub async fn send_json(&mut self, frame: &Value) {
        self.sink
            .send_text(frame.to_string())
            .await
            .expect("send a frame");
    }

    /// The next reply whose `id` is `id` (others are dropped), or `None` after `within`.
    pub async fn reply_to(&mut self, id: &str, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (_, frame) = tokio::time::timeout_at(deadline, self.replies.recv())
                .await
                .ok()??;
            if frame["id"] == id {
                return Some(frame);
            }
        }
    }

    /// The replies to `ids` (others are dropped) with the time each arrived, as they come,
    /// until each id has one or `within` has passed.
    pub async fn replies_to(
        &mut self,
        ids: &[String],
        within: Duration,
    ) -> HashMap<String, (Instant, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        let mut replies = HashMap::new();
        while replies.len() < ids.len() {
            let Ok(Some((at, frame))) =
                tokio::time::timeout_at(deadline, self.replies.recv()).await
            else {
                break;
            };
            if let Some(id) = frame["id"]
                .as_str()
                .filter(|id| ids.iter().any(|i| i == id))
            {
                replies.entry(id.to_owned()).or_insert((at, frame));
            }
        }
        replies
    }

    /// The replies received so far and not yet read (`sent` and `error` of a load run).
    pub fn drain_replies(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.replies.try_recv().ok())
            .map(|(_, frame)| frame)
            .collect()
    }

    pub async fn close(mut self) {
        let _ = self.sink.close().await;
    }
}
