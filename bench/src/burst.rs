//! Concurrent sends into one conversation: for each burst size, both members of a fresh
//! direct chat fire their share of the sends at once, and the report gives the DynamoDB
//! requests the messages function made per stored message and the time until the last
//! `sent`. Sends that lose the race for a seq queue for their turn
//! (functions/core/src/store/turns.rs), so the requests per message should stay flat as the
//! burst grows.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_protocol::client::Send;
use parley_protocol::ClientFrame;
use parley_tests::stack::StackInfo;
use parley_tests::users::sign_up;
use serde_json::{json, Value};

use crate::control::Control;
use crate::devices::{Device, Inbox};
use crate::stats::round;

/// The longest a burst's replies are waited for: past the send's own budget.
const REPLIES_WITHIN: Duration = Duration::from_secs(30);
const QUIESCE_AT_MOST: Duration = Duration::from_secs(120);
/// The messages function's logical id: the caller its AWS requests are counted under.
const MESSAGES_FUNCTION: &str = "MessagesFunction";

/// One entry per burst size: `{sends, stored, refused, dynamodbRequestsPerStored,
/// lastSentMs}`.
pub async fn measure(stack: &StackInfo, control: &Control, sizes: &[usize]) -> Value {
    let mut runs = serde_json::Map::new();
    for &size in sizes {
        runs.insert(size.to_string(), one_burst(stack, control, size).await);
    }
    Value::Object(runs)
}

async fn one_burst(stack: &StackInfo, control: &Control, size: usize) -> Value {
    let inbox = Arc::new(Inbox::default());
    // Two fresh users, each sending half: both stay within the send limit's burst of 60.
    let alice = sign_up(stack, "burst-a").await;
    let bob = sign_up(stack, "burst-b").await;
    let mut devices = [
        (
            Device::connect(stack, &alice, Arc::clone(&inbox)).await,
            bob.user_id.clone(),
        ),
        (
            Device::connect(stack, &bob, Arc::clone(&inbox)).await,
            alice.user_id.clone(),
        ),
    ];
    // The chat exists before the burst, as in a conversation under way.
    let first = format!("burst-{size}-first-{}", std::process::id());
    let (device, to) = &mut devices[0];
    device
        .send(&ClientFrame::Send(Send::to_user(
            &first,
            to.as_str(),
            "hello",
        )))
        .await;
    device.reply_to(&first, REPLIES_WITHIN).await;

    control.quiesce(QUIESCE_AT_MOST).await;
    control.reset().await;
    let started = Instant::now();
    let mut ids: [Vec<String>; 2] = Default::default();
    for n in 0..size {
        let side = n % 2;
        let id = format!("burst-{size}-{n}-{}", std::process::id());
        let (device, to) = &mut devices[side];
        device
            .send(&ClientFrame::Send(Send::to_user(&id, to.as_str(), "burst")))
            .await;
        ids[side].push(id);
    }
    let mut replies = HashMap::new();
    let mut last_sent = None;
    for (side, (device, _)) in devices.iter_mut().enumerate() {
        for (id, (at, reply)) in device.replies_to(&ids[side], REPLIES_WITHIN).await {
            if reply["type"] == "sent" {
                let after = at.duration_since(started);
                last_sent = last_sent.max(Some(after));
            }
            replies.insert(id, reply);
        }
    }
    control.quiesce(QUIESCE_AT_MOST).await;
    let counters = control.reset().await;
    let stored = replies.values().filter(|r| r["type"] == "sent").count();
    let mut codes: HashMap<String, usize> = HashMap::new();
    for reply in replies.values().filter(|r| r["type"] != "sent") {
        *codes
            .entry(reply["code"].as_str().unwrap_or("no reply").to_owned())
            .or_default() += 1;
    }
    let unanswered = size - replies.len();
    let dynamodb: u64 = counters
        .by_functions()
        .filter(|c| c.caller == MESSAGES_FUNCTION && c.service == "dynamodb")
        .map(|c| c.requests)
        .sum();
    let mut by_operation: HashMap<String, u64> = HashMap::new();
    for call in counters
        .by_functions()
        .filter(|c| c.caller == MESSAGES_FUNCTION && c.service == "dynamodb")
    {
        *by_operation.entry(call.operation.clone()).or_default() += call.requests;
    }
    let per_stored = |n: u64| (stored > 0).then(|| round(n as f64 / stored as f64));
    for (device, _) in devices {
        device.close().await;
    }
    json!({
        "measured": stored > 0,
        "sends": size,
        "stored": stored,
        "refused": codes,
        "unanswered": unanswered,
        "dynamodbRequestsPerStored": per_stored(dynamodb),
        "byOperationPerStored": by_operation
            .into_iter()
            .map(|(operation, n)| (operation, json!(per_stored(n))))
            .collect::<serde_json::Map<_, _>>(),
        "lastSentMs": last_sent.map(|d| round(d.as_secs_f64() * 1000.0)),
    })
}
