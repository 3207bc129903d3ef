//! What end-to-end encryption costs, measured with the client library (the code people's
//! devices run) rather than raw frames, since the keys it exchanges are part of the cost:
//!
//! - **first contact**: two users who just signed in (keys uploaded), the first message from
//!   one to the other, timed from the send call until the recipient's library hands it out
//!   decrypted: device query, one-time key claim, the Olm session and the room key sent
//!   to-device, the Megolm message, its delivery and decryption;
//! - **per message**, in a chat already set up, each message sent only after the previous one
//!   was read: the send-to-readable time, the stored size of the content, and the AWS requests,
//!   capacity and dollars per million, all with encryption on and, as the control, off. Both
//!   clients' own frames (acks, to-device traffic) are counted, so the two rows compare like
//!   with like (and differ from `requests_per_dm`, which counts one raw send).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use parley_client::store::Message;
use parley_client::{Options, To};
use parley_tests::library::Device;
use parley_tests::stack::StackInfo;
use parley_tests::tables::dynamodb;
use parley_tests::users::sign_up;
use serde_json::{json, Value};

use crate::control::{Control, Counters};
use crate::cost;
use crate::messaging::usage_per_operation;
use crate::stats::{round, summarize};

const QUIESCE_AT_MOST: Duration = Duration::from_secs(120);
/// A short chat message, as most are.
const TEXT: &str = "see you at the station at 7, I'll bring the tickets";

/// Two users' devices in a direct chat.
struct Pair {
    sender: Device,
    recipient: Device,
    to: String,
    _dir: tempfile::TempDir,
}

impl Pair {
    async fn new(stack: &StackInfo, encryption: bool) -> Pair {
        let dir = tempfile::tempdir().expect("a folder for the stores");
        let a = sign_up(stack, "bench-e2e-a").await;
        let b = sign_up(stack, "bench-e2e-b").await;
        let options = Options { encryption };
        let mut sender = Device::start(stack, &dir.path().join("a.redb"), &a, options);
        let mut recipient = Device::start(stack, &dir.path().join("b.redb"), &b, options);
        sender.synced().await;
        recipient.synced().await;
        Pair {
            sender,
            recipient,
            to: b.user_id,
            _dir: dir,
        }
    }

    /// Sends one message and waits until the recipient reads it: its readable copy, and the
    /// milliseconds from the send call.
    async fn one(&mut self) -> (Message, f64) {
        let started = Instant::now();
        let id = self
            .sender
            .client
            .send_text(To::User(self.to.clone()), TEXT)
            .await
            .expect("send");
        let message = self.recipient.readable(&id).await;
        assert_eq!(message.body.as_deref(), Some(TEXT), "{message:?}");
        (message, started.elapsed().as_secs_f64() * 1000.0)
    }
}

/// Measures first contact over `pairs` new pairs and `count` messages each way of steady state.
pub async fn measure(stack: &StackInfo, control: &Control, pairs: usize, count: usize) -> Value {
    let mut first_contact = Vec::new();
    let mut first_contact_requests = Value::Null;
    for i in 0..pairs {
        let mut pair = Pair::new(stack, true).await;
        // The first pair's requests are counted (timing every pair alike).
        if i == 0 {
            control.quiesce(QUIESCE_AT_MOST).await;
            control.reset().await;
        }
        let (message, ms) = pair.one().await;
        assert!(message.encryption.is_some(), "sent encrypted: {message:?}");
        first_contact.push(ms);
        if i == 0 {
            control.quiesce(QUIESCE_AT_MOST).await;
            let counters = control.reset().await;
            first_contact_requests = counted(&counters, 1.0);
        }
    }
    let encrypted = per_message(stack, control, true, count).await;
    let plain = per_message(stack, control, false, count).await;
    let added = json!({
        "bytes": round(encrypted["storedContentBytes"].as_f64().unwrap_or(0.0)
            - plain["storedContentBytes"].as_f64().unwrap_or(0.0)),
        "msP50": round(encrypted["sendToReadableMs"]["p50"].as_f64().unwrap_or(0.0)
            - plain["sendToReadableMs"]["p50"].as_f64().unwrap_or(0.0)),
    });
    json!({
        "measured": true,
        "firstContactToDecryptedMs": summarize(&first_contact),
        "firstContactRequests": first_contact_requests,
        "encryptedDm": encrypted,
        "plainDm": plain,
        "addedPerMessage": added,
        "note": format!("the client library on both sides; a {}-byte text; each message sent after the previous one was read; requests include both clients' acks and key traffic", TEXT.len()),
    })
}

/// `count` messages in one chat (after one that sets it up), counted.
async fn per_message(
    stack: &StackInfo,
    control: &Control,
    encryption: bool,
    count: usize,
) -> Value {
    let mut pair = Pair::new(stack, encryption).await;
    // The first message opens the chat (and, encrypted, shares the room key): not counted.
    pair.one().await;
    control.quiesce(QUIESCE_AT_MOST).await;
    control.reset().await;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..count {
        let (message, ms) = pair.one().await;
        assert_eq!(message.encryption.is_some(), encryption, "{message:?}");
        times.push(ms);
        last = Some(message);
    }
    control.quiesce(QUIESCE_AT_MOST).await;
    let counters = control.reset().await;
    let mut figures = counted(&counters, count as f64);
    figures["sendToReadableMs"] = json!(summarize(&times));
    let last = last.expect("at least one message");
    figures["storedContentBytes"] = json!(stored_content_bytes(stack, &last.message_id).await);
    figures
}

/// What the functions asked of AWS for `count` messages, per message, priced.
fn counted(counters: &Counters, count: f64) -> Value {
    let invocations: f64 = counters
        .functions
        .values()
        .map(|f| f.invocations as f64)
        .sum();
    let posts: f64 = counters
        .by_functions()
        .filter(|c| c.operation == "PostToConnection")
        .map(|c| c.requests as f64)
        .sum();
    // Every frame in invokes a function; every frame out is a post.
    let (usage, mut figures) = usage_per_operation(counters, count, invocations / count, posts);
    figures["costPerMillionUsd"] = json!(cost::per_million(&usage));
    figures
}

/// The length of the stored `encrypted` content, or of the `body` when in the clear, of the
/// conversation log's copy of message `message_id` (a raw Scan: this runs once).
async fn stored_content_bytes(stack: &StackInfo, message_id: &str) -> usize {
    let db = dynamodb(stack);
    let mut start = None;
    loop {
        let page = db
            .scan()
            .table_name(stack.table("MessagesTable"))
            .filter_expression("messageId = :m")
            .expression_attribute_values(":m", AttributeValue::S(message_id.to_owned()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the messages table");
        for item in page.items() {
            for attribute in ["encrypted", "body"] {
                if let Some(AttributeValue::S(content)) = item.get(attribute) {
                    return content.len();
                }
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            panic!("message {message_id} is not stored");
        }
    }
}
