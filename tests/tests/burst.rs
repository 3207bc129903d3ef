//! Many sends at once into one conversation (issue 12): every one is stored (none gets
//! `internal`), the seqs stay dense, and the work grows linearly: a send that loses the race
//! for a seq queues for its turn (functions/core/src/store/turns.rs) instead of racing again,
//! so the transactions per stored message stay a small constant. Racing again would cost
//! about N/2 transactions per message. This binary runs alone on its stack, so the stack's
//! request counters hold only this burst.

use parley_tests::chat::*;
use parley_tests::stack;
use parley_tests::users::sign_up;
use serde_json::Value;

/// Sends in the burst: half from each member, each within the send limit's burst of 60.
const SENDS: usize = 60;
/// Transactions one stored message may take: its commit, a lost first race, and a retry
/// for a cancellation that told something new.
const TRANSACTIONS_PER_MESSAGE: f64 = 3.0;

async fn reset_counters(stack: &stack::StackInfo) {
    let reset = reqwest::Client::new()
        .post(format!("{}/_devstack/counters/reset", stack.aws_endpoint))
        .send()
        .await
        .expect("reset the counters");
    assert!(reset.status().is_success(), "{reset:?}");
}

async fn counters(stack: &stack::StackInfo) -> Value {
    reqwest::get(format!("{}/_devstack/counters", stack.aws_endpoint))
        .await
        .expect("the counters")
        .json()
        .await
        .expect("counters are JSON")
}

/// Requests the messages function made to DynamoDB, by operation.
fn messages_requests(counters: &Value, operation: Option<&str>) -> u64 {
    counters["aws"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["caller"] == "MessagesFunction" && c["service"] == "dynamodb")
        .filter(|c| operation.is_none_or(|op| c["operation"] == op))
        .filter_map(|c| c["requests"].as_u64())
        .sum()
}

#[tokio::test]
async fn a_burst_into_one_conversation_is_stored_whole_with_linear_work() {
    let stack = stack::shared();
    let alice = sign_up(stack, "burst-alice").await;
    let bob = sign_up(stack, "burst-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let first = send_and_wait(&mut a, &send_to_user(&fresh_id("first"), &bob, "hi")).await;
    let conversation = first["conversation"].as_str().unwrap().to_owned();

    reset_counters(stack).await;
    let mut ids = (Vec::new(), Vec::new());
    for n in 0..SENDS {
        let id = fresh_id("burst");
        if n % 2 == 0 {
            a.send(&send_to_user(&id, &bob, "burst")).await;
            ids.0.push(id);
        } else {
            b.send(&send_to_user(&id, &alice, "burst")).await;
            ids.1.push(id);
        }
    }
    let mut seqs = Vec::new();
    for id in &ids.0 {
        seqs.push(sent_for(&mut a, id).await["seq"].as_u64().unwrap());
    }
    for id in &ids.1 {
        seqs.push(sent_for(&mut b, id).await["seq"].as_u64().unwrap());
    }
    seqs.sort_unstable();
    let expected: Vec<u64> = (2..=SENDS as u64 + 1).collect();
    assert_eq!(
        seqs, expected,
        "every send stored, seqs dense after the first"
    );

    let counted = counters(stack).await;
    let transactions = messages_requests(&counted, Some("TransactWriteItems"));
    let all = messages_requests(&counted, None);
    println!(
        "{SENDS} sends into {conversation}: {transactions} TransactWriteItems, {all} DynamoDB requests by the messages function"
    );
    assert!(
        transactions as f64 <= TRANSACTIONS_PER_MESSAGE * SENDS as f64,
        "{transactions} transactions for {SENDS} messages: the work is not linear"
    );
}
