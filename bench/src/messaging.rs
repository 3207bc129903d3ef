//! The measurements that send messages: requests and cost per direct message, their
//! flatness as idle users connect, send-to-receipt latency at fixed rates, and group fan-out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use parley_protocol::client::{CreateGroup, KeysQuery, Platform, RegisterPush, Send, UploadUrl};
use parley_protocol::{ClientFrame, ConversationId};
use parley_tests::stack::StackInfo;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};

use crate::control::{Control, Counters};
use crate::cost::{self, PerMessage};
use crate::devices::{Device, Inbox};
use crate::stats::{round, summarize};
use crate::Sizes;

const ARRIVAL_WAIT: Duration = Duration::from_secs(15);
/// Sign-ups and connections made at once.
const SETUP_CONCURRENCY: usize = 8;
/// Sends per sender in a load run: under the `send` limit's burst of 60 per user.
const SENDS_PER_SENDER: usize = 40;
/// The latency bound the highest sustainable rate must keep at p99.
const P99_BOUND_MS: f64 = 250.0;
/// The messages function's logical id: the caller its AWS requests are counted under.
const MESSAGES_FUNCTION: &str = "MessagesFunction";
/// The push function's logical id (its stream mapping's name starts with it).
const PUSH_FUNCTION: &str = "PushFunction";
/// The longest wait for the stack to drain what an earlier run left (the push function's
/// stream backlog above all) before a timed run starts.
const QUIESCE_AT_MOST: Duration = Duration::from_secs(120);

pub struct Measured {
    pub requests_per_dm: Value,
    pub cost: Value,
    pub scaling: Value,
    pub e2e: Value,
    pub fanout: Value,
}

struct Pair {
    sender: Device,
    recipient: TestUser,
}

struct Run<'a> {
    stack: &'a StackInfo,
    control: &'a Control,
    inbox: Arc<Inbox>,
    pairs: Vec<Pair>,
    idle: Vec<(TestUser, Device)>,
    counter: u64,
}

pub async fn measure(stack: &StackInfo, control: &Control, sizes: &Sizes) -> Measured {
    let mut run = Run::new(stack, control, sizes).await;
    // The first message of a chat creates it; the steady state is what is measured.
    for pair in 0..run.pairs.len() {
        run.dm(pair).await;
    }

    let (usage, requests_per_dm) = run.per_dm(sizes.dms).await;
    let mut scaling = serde_json::Map::new();
    let mut totals = Vec::new();
    for &users in &sizes.scaling {
        run.connect_idle(users).await;
        let (usage, requests) = run.per_dm(sizes.dms).await;
        let cost = cost::per_million(&usage);
        totals.push((requests["total"].as_f64().unwrap_or(0.0), cost.total));
        scaling.insert(
            users.to_string(),
            json!({"requestsPerDm": requests["total"], "costPerMillionUsd": cost.total, "usage": usage}),
        );
    }
    let spread = |pick: fn(&(f64, f64)) -> f64| {
        let first = totals.first().map(pick).unwrap_or(0.0);
        let worst = totals
            .iter()
            .map(|t| (pick(t) - first).abs())
            .fold(0.0, f64::max);
        round(if first > 0.0 {
            worst / first * 100.0
        } else {
            0.0
        })
    };
    scaling.insert(
        "maxDeviationPercent".into(),
        json!({"requests": spread(|t| t.0), "cost": spread(|t| t.1)}),
    );

    // Fan-out before the latency search: the search pushes the local stack (one moto behind
    // a lock) past saturation, and its backlog would otherwise be measured as fan-out time.
    let fanout = run.fanout(sizes).await;
    let e2e = run.latency(sizes).await;
    run.other_routes(sizes.warm_invokes).await;
    let cost = price(&usage, &requests_per_dm);
    Measured {
        requests_per_dm,
        cost,
        scaling: Value::Object(scaling),
        e2e,
        fanout,
    }
}

impl<'a> Run<'a> {
    /// `sizes.pairs` senders, each with an online recipient, and no idle users yet.
    async fn new(stack: &'a StackInfo, control: &'a Control, sizes: &Sizes) -> Run<'a> {
        let inbox = Arc::new(Inbox::default());
        let pairs = new_pairs(stack, &inbox, sizes.pairs).await;
        Run {
            stack,
            control,
            inbox,
            pairs,
            idle: Vec::new(),
            counter: 0,
        }
    }
}

/// Only the group fan-out ([`Run::fanout`]): `make bench`'s figure, without the rest.
pub async fn measure_fanout(stack: &StackInfo, control: &Control, sizes: &Sizes) -> Value {
    Run::new(stack, control, sizes).await.fanout(sizes).await
}

/// Only the send-rate sweep and the fixed-rate run ([`Run::latency`]): `make bench`'s
/// `e2e_ms`, without the rest.
pub async fn measure_rates(stack: &StackInfo, control: &Control, sizes: &Sizes) -> Value {
    Run::new(stack, control, sizes).await.latency(sizes).await
}

/// Senders each with one online recipient, in a direct chat of their own.
async fn new_pairs(stack: &StackInfo, inbox: &Arc<Inbox>, count: usize) -> Vec<Pair> {
    stream::iter(0..count)
        .map(|_| async move {
            let alice = sign_up(stack, "bench-from").await;
            let bob = sign_up(stack, "bench-to").await;
            let sender = Device::connect(stack, &alice, Arc::clone(inbox)).await;
            // The recipient's device lives on in its reader task, which records arrivals.
            std::mem::forget(Device::connect(stack, &bob, Arc::clone(inbox)).await);
            Pair {
                sender,
                recipient: bob,
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await
}

impl Run<'_> {
    fn fresh_id(&mut self) -> String {
        self.counter += 1;
        format!("bench-{}-{}", std::process::id(), self.counter)
    }

    /// One direct message of pair `pair`; returns milliseconds to the recipient's receipt.
    async fn dm(&mut self, pair: usize) -> Option<f64> {
        let id = self.fresh_id();
        let to = self.pairs[pair].recipient.user_id.clone();
        let sent_at = Instant::now();
        let frame = ClientFrame::Send(Send::to_user(&id, to, "benchmark"));
        self.pairs[pair].sender.send(&frame).await;
        let arrivals = self.inbox.await_arrivals(&id, 1, ARRIVAL_WAIT).await;
        self.pairs[pair].sender.reply_to(&id, ARRIVAL_WAIT).await;
        arrivals
            .first()
            .map(|at| at.duration_since(sent_at).as_secs_f64() * 1000.0)
    }

    /// Requests and usage per direct message, over `dms` messages one after another.
    async fn per_dm(&mut self, dms: usize) -> (PerMessage, Value) {
        // Nothing earlier (connections being made, stream work) may count.
        self.control.quiesce(QUIESCE_AT_MOST).await;
        self.control.reset().await;
        let frames_before = self.inbox.billed_frames_out();
        for _ in 0..dms {
            self.dm(0).await;
        }
        // What follows the reply still belongs to the messages: posts, deletes, and any
        // stream work of the push function (its batching window is a second).
        self.control.quiesce(QUIESCE_AT_MOST).await;
        let counters = self.control.reset().await;
        let frames_out = self.inbox.billed_frames_out() - frames_before;
        usage_per_operation(&counters, dms as f64, 1.0, frames_out as f64)
    }

    /// Warm invocations of the functions a direct message between online users does not
    /// use, for their timings: `$default` (an unknown action), files (`uploadUrl`, within its
    /// bucket's burst), push (`registerPush`), keys (`keysQuery`) and `$disconnect` (idle
    /// devices closing).
    async fn other_routes(&mut self, invocations: usize) {
        let to = self.pairs[0].recipient.user_id.clone();
        for _ in 0..invocations {
            let id = self.fresh_id();
            let unknown = json!({"action": "benchUnknown", "id": id});
            self.pairs[0].sender.send_json(&unknown).await;
            self.pairs[0].sender.reply_to(&id, ARRIVAL_WAIT).await;
            let id = self.fresh_id();
            let upload = ClientFrame::UploadUrl(UploadUrl {
                id: id.clone(),
                conversation: None,
                to_user: Some(to.clone()),
                name: "bench.jpg".into(),
                content_type: "image/jpeg".into(),
                size: 1024,
            });
            self.pairs[0].sender.send(&upload).await;
            self.pairs[0].sender.reply_to(&id, ARRIVAL_WAIT).await;
            let id = self.fresh_id();
            let register = ClientFrame::RegisterPush(RegisterPush {
                id: id.clone(),
                platform: Platform::Fcm,
                token: format!("bench-token-{id}"),
            });
            self.pairs[0].sender.send(&register).await;
            self.pairs[0].sender.reply_to(&id, ARRIVAL_WAIT).await;
            let id = self.fresh_id();
            let query = ClientFrame::KeysQuery(KeysQuery {
                id: id.clone(),
                users: vec![to.clone()],
            });
            self.pairs[0].sender.send(&query).await;
            self.pairs[0].sender.reply_to(&id, ARRIVAL_WAIT).await;
        }
        let closing: Vec<Device> = self
            .idle
            .drain(..invocations.min(self.idle.len()))
            .map(|(_, device)| device)
            .collect();
        for device in closing {
            device.close().await;
        }
        // `$disconnect` runs after the close: let it finish before the counters are read.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    /// Signs up and connects idle users until there are `users` of them.
    async fn connect_idle(&mut self, users: usize) {
        let missing = users.saturating_sub(self.idle.len());
        let stack = self.stack;
        let inbox = Arc::clone(&self.inbox);
        let added: Vec<(TestUser, Device)> = stream::iter(0..missing)
            .map(|_| {
                let inbox = Arc::clone(&inbox);
                async move {
                    let user = sign_up(stack, "bench-idle").await;
                    let device = Device::connect(stack, &user, inbox).await;
                    (user, device)
                }
            })
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
        self.idle.extend(added);
    }

    /// Latencies of `messages` sends at `rate` per second, spread over fresh senders: enough
    /// of them that none exceeds the `send` rate limit's burst (so what is measured is
    /// delivery, not refusals), and the number of sends the stack refused.
    async fn at_rate(&mut self, messages: usize, rate: f64) -> (Vec<f64>, usize) {
        let mut pairs =
            new_pairs(self.stack, &self.inbox, messages.div_ceil(SENDS_PER_SENDER)).await;
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sent = Vec::with_capacity(messages);
        for n in 0..messages {
            ticker.tick().await;
            let pair = n % pairs.len();
            let id = self.fresh_id();
            let to = pairs[pair].recipient.user_id.clone();
            let frame = ClientFrame::Send(Send::to_user(&id, to, "benchmark"));
            let at = Instant::now();
            pairs[pair].sender.send(&frame).await;
            sent.push((id, at));
        }
        // One deadline for the batch: a lost message must not hold up the others.
        let deadline = Instant::now() + ARRIVAL_WAIT;
        let mut latencies = Vec::with_capacity(messages);
        for (id, at) in &sent {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some(arrived) = self.inbox.await_arrivals(id, 1, left).await.first() {
                latencies.push(arrived.duration_since(*at).as_secs_f64() * 1000.0);
            }
        }
        let refused = pairs
            .iter_mut()
            .flat_map(|pair| pair.sender.drain_replies())
            .filter(|reply| reply["type"] == "error")
            .count();
        (latencies, refused)
    }

    async fn latency(&mut self, sizes: &Sizes) -> Value {
        let mut tried = Vec::new();
        let mut highest = None;
        for &rate in &sizes.rates {
            let waited = self.control.quiesce(QUIESCE_AT_MOST).await;
            let (sample, refused) = self.at_rate(sizes.rate_messages, rate).await;
            let summary = summarize(&sample);
            let lost = sizes.rate_messages - sample.len();
            tried.push(
                json!({"ratePerSecond": rate, "latency": summary, "lost": lost,
                "refused": refused, "quietAfterMs": waited}),
            );
            match summary {
                Some(s) if s.p99 < P99_BOUND_MS && lost == 0 => highest = Some(rate),
                _ => break,
            }
        }
        let waited = self.control.quiesce(QUIESCE_AT_MOST).await;
        let (sample, refused) = self
            .at_rate(sizes.e2e_messages, sizes.e2e_rate_per_second)
            .await;
        json!({
            "quietAfterMs": waited,
            "measured": !sample.is_empty(),
            "messages": sizes.e2e_messages,
            "received": sample.len(),
            "refused": refused,
            "ratePerSecond": sizes.e2e_rate_per_second,
            "senders": sizes.e2e_messages.div_ceil(SENDS_PER_SENDER),
            "latency": summarize(&sample),
            "highestRateWithP99Under250Ms": highest,
            "ratesTried": tried,
        })
    }

    /// A group of `group_members` users, all online, created by the first pair's sender.
    async fn fanout(&mut self, sizes: &Sizes) -> Value {
        let others = sizes.group_members - 1;
        self.connect_idle(others).await;
        let members: Vec<String> = self.idle[..others]
            .iter()
            .map(|(user, _)| user.user_id.clone())
            .collect();
        let id = self.fresh_id();
        let sender = &mut self.pairs[0].sender;
        sender
            .send(&ClientFrame::CreateGroup(CreateGroup {
                id: id.clone(),
                name: "bench".into(),
                members,
            }))
            .await;
        let reply = sender.reply_to(&id, ARRIVAL_WAIT).await;
        let Some(conversation) = reply
            .as_ref()
            .filter(|r| r["type"] == "group")
            .and_then(|r| r["conversation"].as_str())
            .and_then(|c| ConversationId::parse(c).ok())
        else {
            return json!({
                "measured": false,
                "reason": format!("createGroup did not answer with a group: {reply:?}"),
            });
        };
        let mut sample = Vec::new();
        let mut incomplete = 0;
        let mut quiet_after = Vec::new();
        // The group's creation (a message to every member) must not be counted as a send's.
        self.control.quiesce(QUIESCE_AT_MOST).await;
        self.control.reset().await;
        for _ in 0..sizes.group_messages {
            // Each message starts from an idle stack: locally the push function's work on the
            // previous message's 256 stream records queues on the same moto (in AWS it does
            // not touch the sender's path at all).
            quiet_after.push(self.control.quiesce(QUIESCE_AT_MOST).await);
            let id = self.fresh_id();
            let frame = ClientFrame::Send(Send::to_conversation(
                &id,
                conversation.clone(),
                "benchmark",
            ));
            let at = Instant::now();
            self.pairs[0].sender.send(&frame).await;
            let arrivals = self.inbox.await_arrivals(&id, others, ARRIVAL_WAIT).await;
            self.pairs[0].sender.reply_to(&id, ARRIVAL_WAIT).await;
            match arrivals.iter().max() {
                Some(last) if arrivals.len() >= others => {
                    sample.push(last.duration_since(at).as_secs_f64() * 1000.0)
                }
                _ => incomplete += 1,
            }
        }
        // What the sends asked of the emulators, to tell the functions' time from theirs, and
        // what followed them: the last message's stream records and push work run after its
        // arrivals, so the counters are read once the stack is quiet again.
        self.control.quiesce(QUIESCE_AT_MOST).await;
        let counters = self.control.reset().await;
        let sends = sizes.group_messages.max(1) as f64;
        let (requests, upstream_ms) = counters
            .by_functions()
            .filter(|call| call.caller == MESSAGES_FUNCTION)
            .fold((0.0, 0.0), |(n, ms), call| {
                (n + call.requests as f64, ms + call.upstream_ms)
            });
        let stream_records = counters
            .streams
            .iter()
            .filter(|(mapping, _)| mapping.starts_with(PUSH_FUNCTION))
            .fold((0.0, 0.0), |(read, admitted), (_, counts)| {
                (read + counts.read as f64, admitted + counts.admitted as f64)
            });
        let push_invocations = counters
            .functions
            .get(PUSH_FUNCTION)
            .map_or(0.0, |f| f.invocations as f64);
        json!({
            "measured": !sample.is_empty(),
            "messagesFunctionPerSend": {
                "awsRequests": round(requests / sends),
                "byOperation": per_operation(&counters, MESSAGES_FUNCTION, sends),
                "emulatorMs": round(upstream_ms / sends),
                "emulatorMsPerRequest": round(if requests > 0.0 { upstream_ms / requests } else { 0.0 }),
            },
            // Every record the messages table's stream carried, and those the push mapping's
            // filter let through (copies marked offline): what invokes the push function.
            "streamRecordsPerSend": {
                "read": round(stream_records.0 / sends),
                "toPushFunction": round(stream_records.1 / sends),
            },
            "pushFunctionPerSend": {
                "invocations": round(push_invocations / sends),
                "byOperation": per_operation(&counters, PUSH_FUNCTION, sends),
            },
            "members": sizes.group_members,
            "messages": sizes.group_messages,
            "incomplete": incomplete,
            "sendToLastMember": summarize(&sample),
            "quietBeforeEachMs": summarize(&quiet_after),
        })
    }
}

/// `caller`'s requests by service and operation, per `sends`.
fn per_operation(counters: &Counters, caller: &str, sends: f64) -> Value {
    let mut operations: BTreeMap<String, f64> = BTreeMap::new();
    for call in counters.by_functions().filter(|call| call.caller == caller) {
        *operations
            .entry(format!("{}:{}", call.service, call.operation))
            .or_default() += call.requests as f64;
    }
    operations
        .into_iter()
        .map(|(operation, requests)| (operation, json!(round(requests / sends))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Requests by service and operation, capacity, posts and usage, per message.
/// What `dms` operations caused, per operation: requests by service and operation, capacity,
/// posts, invocations; `frames_in` WebSocket messages came in per operation and `frames_out`
/// went out to devices in all. (A direct message is one operation of one frame in.)
pub(crate) fn usage_per_operation(
    counters: &Counters,
    dms: f64,
    frames_in: f64,
    frames_out: f64,
) -> (PerMessage, Value) {
    let mut operations: BTreeMap<String, Value> = BTreeMap::new();
    let (mut read_units, mut write_units, mut total, mut dynamodb, mut posts, mut other) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut moto_reported = 0.0;
    let mut post_ms = 0.0;
    let mut grouped: BTreeMap<(String, String), (f64, f64, f64)> = BTreeMap::new();
    for call in counters.by_functions() {
        let entry = grouped
            .entry((call.service.clone(), call.operation.clone()))
            .or_default();
        entry.0 += call.requests as f64;
        entry.1 += call.read_units;
        entry.2 += call.write_units;
        moto_reported += call.emulator_reported_units;
        if call.operation == "PostToConnection" {
            post_ms += call.upstream_ms;
        }
    }
    for ((service, operation), (requests, read, write)) in grouped {
        total += requests;
        read_units += read;
        write_units += write;
        match service.as_str() {
            "dynamodb" => dynamodb += requests,
            "execute-api" if operation == "PostToConnection" => posts += requests,
            _ => other += requests,
        }
        operations.insert(
            format!("{service}:{operation}"),
            json!({"requests": round(requests / dms), "readUnits": round(read / dms), "writeUnits": round(write / dms)}),
        );
    }
    let invocations: f64 = counters
        .functions
        .values()
        .map(|f| f.invocations as f64)
        .sum();
    let lambda_ms: f64 = counters.functions.values().flat_map(|f| &f.invoke_ms).sum();
    let usage = PerMessage {
        // The frames in, and every frame out to a device.
        websocket_messages: round(frames_in + frames_out / dms),
        read_units: round(read_units / dms),
        write_units: round(write_units / dms),
        lambda_invocations: round(invocations / dms),
        lambda_ms: round(lambda_ms / dms),
    };
    let report = json!({
        "measured": dms > 0.0,
        "messages": dms,
        "total": round(total / dms),
        "dynamodbRequests": round(dynamodb / dms),
        "readUnits": usage.read_units,
        "writeUnits": usage.write_units,
        "capacitySource": "computed from item sizes by DynamoDB's rules (moto reports placeholders)",
        "motoReportedUnits": round(moto_reported / dms),
        "apiGatewayPosts": round(posts / dms),
        "postMeanMs": (posts > 0.0).then(|| round(post_ms / posts)),
        "otherAwsRequests": round(other / dms),
        "byOperation": operations,
        "lambdaInvocations": usage.lambda_invocations,
        "websocketMessages": usage.websocket_messages,
    });
    (usage, report)
}

/// Parley's cost per million direct messages, and the sample's design beside it.
fn price(usage: &PerMessage, requests: &Value) -> Value {
    let parley = cost::per_million(usage);
    let base_ms = if usage.lambda_invocations > 0.0 {
        usage.lambda_ms / usage.lambda_invocations
    } else {
        0.0
    };
    let post_ms = requests["postMeanMs"].as_f64().unwrap_or(0.0);
    let sample: serde_json::Map<String, Value> = [10u64, 1_000, 100_000]
        .into_iter()
        .map(|users| {
            let design = cost::sample_design(users, base_ms, post_ms);
            (
                users.to_string(),
                json!({"costPerMillionUsd": cost::per_million(&design), "usage": design}),
            )
        })
        .collect();
    json!({
        // Priced from what was counted: measured only if requests and invocations were.
        "measured": requests["measured"] == true && usage.lambda_invocations > 0.0,
        "parley": parley,
        "usage": usage,
        "scanAndBroadcastSample": sample,
        "pricesAsOf": cost::prices::AS_OF,
        "sampleModel": "per message: 1 message in, 1 Scan of all connection items, 1 post and 1 message out per connected user, 1 invocation lasting Parley's measured mean invocation plus the measured mean post time per post (posts made one after another, as the sample does)",
    })
}
