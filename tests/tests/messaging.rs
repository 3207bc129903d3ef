//! The messaging core (issue 3), end to end through the local stack, from
//! shared/protocol-v1.md: direct chats, multi-device delivery, idempotent and ordered
//! durable sends, sync by cursor and by pages, stale connections, receipts, typing,
//! non-members, lookup and bad input. Every test makes its own users, so the tests run in
//! parallel on the one stack of this binary.

use futures_util::future::join_all;
use parley_protocol::AckStatus;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::tables::{
    await_connection_count, await_connection_gone, connections_of, put_connection,
};
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

fn conversation_of(sent: &Value) -> String {
    sent["conversation"]
        .as_str()
        .unwrap_or_else(|| panic!("`sent` names no conversation: {sent}"))
        .to_owned()
}

/// Asserts that a live or synced `message` is the one `sent` describes.
fn assert_message_matches(message: &Value, sent: &Value, from: &TestUser, body: &str) {
    assert_eq!(message["type"], "message", "{message}");
    assert_eq!(message["conversation"], sent["conversation"], "{message}");
    assert_eq!(message["seq"], sent["seq"], "{message}");
    assert_eq!(message["messageId"], sent["messageId"], "{message}");
    assert_eq!(message["id"], sent["id"], "{message}");
    assert_eq!(message["ts"], sent["ts"], "{message}");
    assert_eq!(message["from"], from.user_id.as_str(), "{message}");
    assert_eq!(message["body"], body, "{message}");
    assert!(
        !message["cursor"].is_null(),
        "a message without a cursor: {message}"
    );
}

/// Asserts that the seqs of `conversation` in `messages` increase strictly (sync returns
/// messages in order).
fn assert_in_order(messages: &[Value], conversation: &str, what: &str) {
    let seqs = seqs_in(messages, conversation);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{what}: not in seq order: {seqs:?}"
    );
}

fn is_message_from(user: &TestUser) -> impl Fn(&Value) -> bool + '_ {
    move |f| f["type"] == "message" && f["from"] == user.user_id.as_str()
}

// ------------------------------------------------------------------ 1. direct chat

#[tokio::test]
async fn a_direct_message_reaches_the_online_recipient_and_both_sides_share_the_conversation() {
    let stack = stack::shared();
    let alice = sign_up(stack, "dm-alice").await;
    let bob = sign_up(stack, "dm-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("hello");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "hello bob")).await;
    assert_eq!(
        sent["seq"], 1,
        "the first message of a chat is seq 1: {sent}"
    );
    assert_eq!(sent["id"], id.as_str());
    let conversation = conversation_of(&sent);
    assert!(
        sent["messageId"].as_str().is_some_and(|m| !m.is_empty()),
        "`sent` without a messageId: {sent}"
    );
    assert!(!sent["ts"].is_null(), "`sent` without ts: {sent}");
    let got = message_with_id(&mut b, &id).await;
    assert_message_matches(&got, &sent, &alice, "hello bob");

    // Bob starts "his" chat with Alice: the same conversation, the next seq.
    let id = fresh_id("reply");
    let reply = send_and_wait(&mut b, &send_to_user(&id, &alice, "hi alice")).await;
    assert_eq!(
        conversation_of(&reply),
        conversation,
        "a direct chat has one id whichever member starts it"
    );
    assert_eq!(reply["seq"], 2);
    let got = message_with_id(&mut a, &id).await;
    assert_message_matches(&got, &reply, &bob, "hi alice");

    // By conversation id as well.
    let id = fresh_id("by-conversation");
    let third = send_and_wait(&mut a, &send_to_conversation(&id, &conversation, "third")).await;
    assert_eq!(conversation_of(&third), conversation);
    assert_eq!(third["seq"], 3);
    let got = message_with_id(&mut b, &id).await;
    assert_message_matches(&got, &third, &alice, "third");

    // A sending device gets `sent`, never a `message` copy of its own send.
    a.expect_none_where("a copy of its own send", QUIET, is_message_from(&alice))
        .await;
    b.expect_none_where("a copy of its own send", QUIET, is_message_from(&bob))
        .await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn the_sender_is_the_token_s_user_whatever_the_frame_claims() {
    let stack = stack::shared();
    let alice = sign_up(stack, "from-alice").await;
    let bob = sign_up(stack, "from-bob").await;
    let mallory = sign_up(stack, "from-mallory").await;
    let mut m = device(stack, &mallory).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("spoof");
    let mut frame = as_json(&send_to_user(&id, &bob, "it's alice, honest"));
    frame["from"] = json!(alice.user_id);
    frame["userId"] = json!(alice.user_id);
    m.send_json(&frame).await;
    let sent = sent_for(&mut m, &id).await;
    let got = message_with_id(&mut b, &id).await;
    assert_eq!(
        got["from"],
        mallory.user_id.as_str(),
        "identity comes from the token"
    );
    let mut direct_with_alice = device(stack, &alice).await;
    let synced = sync_all(&mut direct_with_alice, None, None).await;
    assert!(
        synced
            .messages
            .iter()
            .all(|m| m["conversation"] != sent["conversation"]),
        "Alice is not in the Mallory-Bob chat: {:?}",
        synced.messages
    );
}

// ------------------------------------------------------------------ 2. multi-device

#[tokio::test]
async fn every_other_device_of_both_members_gets_the_message_and_the_sending_device_only_sent() {
    let stack = stack::shared();
    let alice = sign_up(stack, "md-alice").await;
    let bob = sign_up(stack, "md-bob").await;
    let mut a = devices(stack, &alice, 2).await;
    let mut b = devices(stack, &bob, 2).await;

    let id = fresh_id("multi");
    let sent = send_and_wait(&mut a[0], &send_to_user(&id, &bob, "to all devices")).await;
    let conversation = conversation_of(&sent);
    for device in b.iter_mut() {
        let got = message_with_id(device, &id).await;
        assert_message_matches(&got, &sent, &alice, "to all devices");
    }
    let copy = message_with_id(&mut a[1], &id).await;
    assert_message_matches(&copy, &sent, &alice, "to all devices");

    // Bob answers from his second device, by conversation id.
    let id2 = fresh_id("multi-reply");
    let reply = send_and_wait(
        &mut b[1],
        &send_to_conversation(&id2, &conversation, "from bob's laptop"),
    )
    .await;
    assert_eq!(reply["seq"], 2);
    for device in a.iter_mut().chain(b.iter_mut().take(1)) {
        let got = message_with_id(device, &id2).await;
        assert_message_matches(&got, &reply, &bob, "from bob's laptop");
    }

    a[0].expect_none_where("a `message` copy on the sending device", QUIET, |f| {
        f["type"] == "message" && f["id"] == id.as_str()
    })
    .await;
    b[1].expect_none_where("a `message` copy on the sending device", QUIET, |f| {
        f["type"] == "message" && f["id"] == id2.as_str()
    })
    .await;
    for device in a.iter_mut().chain(b.iter_mut()) {
        device
            .expect_none_where("a second copy", Duration::ZERO, |f| f["type"] == "message")
            .await;
    }
}

// ------------------------------------------------------------------ 3. idempotency

#[tokio::test]
async fn a_retried_id_answers_the_same_sent_and_stores_nothing_new() {
    let stack = stack::shared();
    let alice = sign_up(stack, "retry-alice").await;
    let bob = sign_up(stack, "retry-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("retry");
    let frame = send_to_user(&id, &bob, "only once");
    let first = send_and_wait(&mut a, &frame).await;
    message_with_id(&mut b, &id).await;

    // The retry a client makes after a timeout: the same frame again.
    let again = send_and_wait(&mut a, &frame).await;
    for field in ["id", "conversation", "seq", "messageId", "ts"] {
        assert_eq!(
            again[field], first[field],
            "a retry must answer the same `sent` ({field}): {first} vs {again}"
        );
    }
    b.expect_none_where("a second delivery of a retried id", QUIET, |f| {
        f["type"] == "message" && f["id"] == id.as_str()
    })
    .await;

    // The retry used no seq.
    let next = fresh_id("after-retry");
    let after = send_and_wait(&mut a, &send_to_user(&next, &bob, "next")).await;
    assert_eq!(after["seq"], 2, "a retry must not take a seq: {after}");
    message_with_id(&mut b, &next).await;

    let synced = sync_all(&mut b, None, None).await;
    let stored: Vec<&Value> = synced
        .pages
        .iter()
        .flat_map(|p| p.messages.iter())
        .filter(|m| m["id"] == id.as_str())
        .collect();
    let distinct: HashSet<(String, u64)> = stored.iter().map(|m| key_of(m)).collect();
    assert_eq!(distinct.len(), 1, "one stored message per id: {stored:?}");
    assert_eq!(
        seqs_in(&synced.messages, &conversation_of(&first)),
        vec![1, 2]
    );
}

#[tokio::test]
async fn fifty_concurrent_sends_of_one_id_store_one_message() {
    let stack = stack::shared();
    let alice = sign_up(stack, "fifty-alice").await;
    let bob = sign_up(stack, "fifty-bob").await;
    let mut senders = devices(stack, &alice, 5).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("fifty");
    let frame = send_to_user(&id, &bob, "sent fifty times at once");
    // Ten pipelined sends on each of five connections, all at once.
    join_all(senders.iter_mut().map(|device| {
        let frame = &frame;
        async move {
            for _ in 0..10 {
                device.send(frame).await;
            }
        }
    }))
    .await;
    let answers: Vec<Vec<Value>> = join_all(senders.iter_mut().map(|device| {
        let id = &id;
        async move {
            let mut answers = Vec::new();
            for _ in 0..10 {
                answers.push(sent_for(device, id).await);
            }
            answers
        }
    }))
    .await;
    let answers: Vec<Value> = answers.into_iter().flatten().collect();
    assert_eq!(answers.len(), 50);
    let first = &answers[0];
    assert_eq!(first["seq"], 1, "{first}");
    for answer in &answers {
        for field in ["id", "conversation", "seq", "messageId", "ts"] {
            assert_eq!(
                answer[field], first[field],
                "every answer to one id must be the same `sent` ({field}): {first} vs {answer}"
            );
        }
    }

    message_with_id(&mut b, &id).await;
    b.expect_none_where("a second delivery of the same id", QUIET, |f| {
        f["type"] == "message" && f["id"] == id.as_str()
    })
    .await;
    let synced = sync_all(&mut b, None, None).await;
    let stored: HashSet<(String, u64)> = synced
        .pages
        .iter()
        .flat_map(|p| p.messages.iter())
        .filter(|m| m["id"] == id.as_str())
        .map(key_of)
        .collect();
    assert_eq!(stored.len(), 1, "exactly one message stored: {stored:?}");
    assert_eq!(synced.messages.len(), 1, "{:?}", synced.messages);

    let next = fresh_id("after-fifty");
    let after = send_and_wait(&mut senders[0], &send_to_user(&next, &bob, "next")).await;
    assert_eq!(after["seq"], 2, "the retries took no seq: {after}");
}

#[tokio::test]
async fn the_same_client_id_from_another_user_is_another_message() {
    let stack = stack::shared();
    let alice = sign_up(stack, "sameid-alice").await;
    let bob = sign_up(stack, "sameid-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("shared");
    let alices = send_and_wait(&mut a, &send_to_user(&id, &bob, "from alice")).await;
    message_with_id(&mut b, &id).await;
    let bobs = send_and_wait(&mut b, &send_to_user(&id, &alice, "from bob")).await;
    assert_eq!(bobs["seq"], 2, "Bob's message is not Alice's retry: {bobs}");
    assert_ne!(bobs["messageId"], alices["messageId"]);
    let got = message_with_id(&mut a, &id).await;
    assert_message_matches(&got, &bobs, &bob, "from bob");
}

// ------------------------------------------------------------------ 4. order

#[tokio::test]
async fn concurrent_sends_from_several_devices_of_both_members_get_seqs_one_to_n() {
    const DEVICES: usize = 3;
    const EACH: usize = 10;
    let stack = stack::shared();
    let alice = sign_up(stack, "order-alice").await;
    let bob = sign_up(stack, "order-bob").await;
    let mut all: Vec<(usize, Client)> = Vec::new();
    for (who, user) in [(0, &alice), (1, &bob)] {
        for client in devices(stack, user, DEVICES).await {
            all.push((who, client));
        }
    }
    let users = [&alice, &bob];

    // Every device sends EACH messages without waiting, all devices at once; the first sends
    // also race to create the conversation.
    let ids: Vec<Vec<String>> = (0..all.len())
        .map(|d| {
            (0..EACH)
                .map(|n| fresh_id(&format!("order-d{d}-n{n}")))
                .collect()
        })
        .collect();
    join_all(all.iter_mut().zip(&ids).map(|((who, device), ids)| {
        let to = users[1 - *who];
        async move {
            for id in ids {
                device.send(&send_to_user(id, to, id)).await;
            }
        }
    }))
    .await;
    let sents: Vec<Vec<Value>> = join_all(all.iter_mut().zip(&ids).map(
        |((_, device), ids)| async move {
            let mut sents = Vec::new();
            for id in ids {
                sents.push(sent_for(device, id).await);
            }
            sents
        },
    ))
    .await;
    let sents: Vec<&Value> = sents.iter().flatten().collect();
    let total = (DEVICES * 2 * EACH) as u64;
    let conversation = conversation_of(sents[0]);
    assert!(
        sents
            .iter()
            .all(|s| s["conversation"] == conversation.as_str()),
        "one conversation for all: {sents:?}"
    );
    let seqs: Vec<u64> = sents.iter().map(|s| key_of(s).1).collect();
    assert_exactly_one_to_n(&seqs, total, "concurrent sends");

    // Live: every device gets every message it did not send, once.
    let seq_of: HashMap<String, u64> = sents
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_owned(), key_of(s).1))
        .collect();
    join_all(all.iter_mut().enumerate().map(|(d, (_, device))| {
        let own: HashSet<&String> = ids[d].iter().collect();
        let others: BTreeSet<String> = ids
            .iter()
            .flatten()
            .filter(|id| !own.contains(id))
            .cloned()
            .collect();
        let seq_of = &seq_of;
        async move {
            let mut got = BTreeSet::new();
            while got.len() < others.len() {
                let message = device.frame_of_type("message").await;
                let id = message["id"].as_str().unwrap().to_owned();
                assert!(others.contains(&id), "device {d} got {message}");
                assert_eq!(message["seq"], seq_of[&id], "{message}");
                assert!(got.insert(id), "device {d} got a message twice: {message}");
            }
            device
                .expect_none_where("any further message", QUIET, |f| f["type"] == "message")
                .await;
        }
    }))
    .await;

    // A fresh device syncs the same set, once each, in order.
    let mut fresh = device(stack, &alice).await;
    let synced = sync_all(&mut fresh, None, None).await;
    let synced_seqs = seqs_in(&synced.messages, &conversation);
    assert_exactly_one_to_n(&synced_seqs, total, "sync after concurrent sends");
    assert_in_order(
        &synced.messages,
        &conversation,
        "sync after concurrent sends",
    );
    for message in &synced.messages {
        let id = message["id"].as_str().unwrap();
        assert_eq!(message["seq"], seq_of[id], "{message}");
        assert_eq!(message["body"], id, "{message}");
    }
}

#[tokio::test]
async fn a_burst_of_twenty_pipelined_sends_from_one_connection_gets_seqs_one_to_twenty() {
    const BURST: usize = 20;
    let stack = stack::shared();
    let alice = sign_up(stack, "burst-alice").await;
    let bob = sign_up(stack, "burst-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let ids: Vec<String> = (0..BURST).map(|n| fresh_id(&format!("burst{n}"))).collect();
    for id in &ids {
        a.send(&send_to_user(id, &bob, &format!("body of {id}")))
            .await;
    }
    let mut sents = Vec::new();
    for id in &ids {
        sents.push(sent_for(&mut a, id).await);
    }
    let conversation = conversation_of(&sents[0]);
    let seqs: Vec<u64> = sents.iter().map(|s| key_of(s).1).collect();
    assert_exactly_one_to_n(&seqs, BURST as u64, "a pipelined burst");
    let seq_of: HashMap<&str, u64> = sents
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), key_of(s).1))
        .collect();

    let mut live = HashSet::new();
    while live.len() < BURST {
        let message = b.frame_of_type("message").await;
        assert!(live.insert(key_of(&message)), "delivered twice: {message}");
    }

    let mut fresh = device(stack, &bob).await;
    let synced = sync_all(&mut fresh, None, None).await;
    assert_exactly_one_to_n(
        &seqs_in(&synced.messages, &conversation),
        BURST as u64,
        "sync after a burst",
    );
    assert_in_order(&synced.messages, &conversation, "sync after a burst");
    for message in &synced.messages {
        let id = message["id"].as_str().unwrap();
        assert_eq!(message["seq"], seq_of[id], "{message}");
        assert_eq!(message["body"], format!("body of {id}"), "{message}");
    }
}

// ------------------------------------------------------------------ 5. offline, then sync

#[tokio::test]
async fn an_offline_recipient_gets_everything_by_sync_from_no_cursor_then_from_its_cursor() {
    let stack = stack::shared();
    let alice = sign_up(stack, "offline-alice").await;
    let bob = sign_up(stack, "offline-bob").await;
    let mut a = device(stack, &alice).await;

    let mut sent = Vec::new();
    for n in 1..=5 {
        let id = fresh_id(&format!("offline{n}"));
        sent.push(send_and_wait(&mut a, &send_to_user(&id, &bob, &format!("m{n}"))).await);
    }
    let conversation = conversation_of(&sent[0]);

    let mut b = device(stack, &bob).await;
    let first = sync_all(&mut b, None, None).await;
    assert_eq!(
        seqs_in(&first.messages, &conversation),
        vec![1, 2, 3, 4, 5],
        "sync from no cursor: the five, in order"
    );
    assert_eq!(first.messages.len(), 5, "{:?}", first.messages);
    for (message, (n, sent)) in first.messages.iter().zip(sent.iter().enumerate()) {
        assert_message_matches(message, sent, &alice, &format!("m{}", n + 1));
    }
    let cursor = first.cursor.clone();
    close_device(stack, &bob, b, 0).await;

    for n in 6..=8 {
        let id = fresh_id(&format!("offline{n}"));
        sent.push(send_and_wait(&mut a, &send_to_user(&id, &bob, &format!("m{n}"))).await);
    }
    let mut b = device(stack, &bob).await;
    let second = sync_all(&mut b, Some(&cursor), None).await;
    let seqs = seqs_in(&second.messages, &conversation);
    let got: BTreeSet<u64> = seqs.iter().copied().collect();
    assert!(
        [6, 7, 8].iter().all(|s| got.contains(s)),
        "sync from the cursor misses messages: got {seqs:?}"
    );
    assert!(
        got.iter().all(|s| (1..=8).contains(s)),
        "sync returned unknown seqs: {seqs:?}"
    );
    assert_in_order(&second.messages, &conversation, "sync from a cursor");
    for message in &second.messages {
        let seq = key_of(message).1 as usize;
        assert_message_matches(message, &sent[seq - 1], &alice, &format!("m{seq}"));
    }

    // A cursor from a live `message` frame works as well.
    let id = fresh_id("offline9");
    sent.push(send_and_wait(&mut a, &send_to_user(&id, &bob, "m9")).await);
    let live = message_with_id(&mut b, &id).await;
    close_device(stack, &bob, b, 0).await;
    let id = fresh_id("offline10");
    sent.push(send_and_wait(&mut a, &send_to_user(&id, &bob, "m10")).await);
    let mut b = device(stack, &bob).await;
    let third = sync_all(&mut b, Some(&live["cursor"]), None).await;
    let seqs = seqs_in(&third.messages, &conversation);
    assert!(
        seqs.contains(&10),
        "sync from a message's cursor misses the next: {seqs:?}"
    );
    assert!(
        seqs.iter().all(|s| (1..=10).contains(s)),
        "unknown seqs: {seqs:?}"
    );
}

// ------------------------------------------------------------------ 6. paging

#[tokio::test]
async fn a_fresh_device_syncs_everything_by_small_pages() {
    let stack = stack::shared();
    let alice = sign_up(stack, "pages-alice").await;
    let bob = sign_up(stack, "pages-bob").await;
    let carol = sign_up(stack, "pages-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;

    // Alice and Bob: 7 messages, both ways; Alice and Carol: 2.
    let mut expected: HashMap<(String, u64), (String, String)> = HashMap::new();
    for n in 1..=7 {
        let (sender, to, user) = if n % 2 == 1 {
            (&mut a, &bob, &alice)
        } else {
            (&mut b, &alice, &bob)
        };
        let id = fresh_id(&format!("page{n}"));
        let body = format!("ab{n}");
        let sent = send_and_wait(sender, &send_to_user(&id, to, &body)).await;
        expected.insert(key_of(&sent), (user.user_id.clone(), body));
    }
    for n in 1..=2 {
        let id = fresh_id(&format!("pagec{n}"));
        let body = format!("ac{n}");
        let sent = send_and_wait(&mut a, &send_to_user(&id, &carol, &body)).await;
        expected.insert(key_of(&sent), (alice.user_id.clone(), body));
    }
    let conversations: BTreeSet<String> = expected.keys().map(|k| k.0.clone()).collect();
    assert_eq!(conversations.len(), 2);
    drop(c.collect_for(Duration::ZERO).await);

    let mut fresh = device(stack, &alice).await;
    for limit in [2, 3] {
        let synced = sync_all(&mut fresh, None, Some(limit)).await;
        assert!(
            synced.pages.len() as u64 >= 9_u64.div_ceil(limit),
            "limit {limit}: too few pages for 9 messages: {:?}",
            synced.pages
        );
        let got: HashMap<(String, u64), (String, String)> = synced
            .messages
            .iter()
            .map(|m| {
                (
                    key_of(m),
                    (
                        m["from"].as_str().unwrap_or_default().to_owned(),
                        m["body"].as_str().unwrap_or_default().to_owned(),
                    ),
                )
            })
            .collect();
        assert_eq!(
            got, expected,
            "limit {limit}: all pages together are every message, own ones included"
        );
        for conversation in &conversations {
            assert_in_order(&synced.messages, conversation, &format!("limit {limit}"));
        }
    }

    // Bob's fresh device: only his chat.
    let mut bobs = device(stack, &bob).await;
    let synced = sync_all(&mut bobs, None, Some(2)).await;
    let keys: BTreeSet<(String, u64)> = synced.messages.iter().map(key_of).collect();
    let expected_bob: BTreeSet<(String, u64)> = expected
        .iter()
        .filter(|(_, (_, body))| body.starts_with("ab"))
        .map(|(key, _)| key.clone())
        .collect();
    assert_eq!(keys, expected_bob);
    c.close().await;
}

// ------------------------------------------------------------------ 7. stale connections

#[tokio::test]
async fn a_gone_connection_s_record_is_deleted_and_the_message_waits_in_sync() {
    let stack = stack::shared();
    let alice = sign_up(stack, "stale-alice").await;
    let bob = sign_up(stack, "stale-bob").await;
    let mut a = device(stack, &alice).await;
    let alice_records = connections_of(stack, &alice.user_id).await;
    assert_eq!(alice_records.len(), 1);

    // Bob's phone loses signal: no close frame. Its record is gone with $disconnect, so put
    // it back, as if $disconnect had never run, with one more made-up id.
    let phone = device(stack, &bob).await;
    let dead = connections_of(stack, &bob.user_id).await.remove(0);
    drop(phone);
    await_connection_count(stack, &bob.user_id, 0, SETTLE).await;
    let made_up = format!("Stale{}xYzAbC=", std::process::id());
    put_connection(stack, &bob.user_id, &dead).await;
    put_connection(stack, &bob.user_id, &made_up).await;
    await_connection_count(stack, &bob.user_id, 2, SETTLE).await;

    let id = fresh_id("to-stale");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "are you there?")).await;
    // The posts to both answer 410; each deletes that connection's record.
    await_connection_gone(stack, &bob.user_id, &dead, SETTLE).await;
    await_connection_gone(stack, &bob.user_id, &made_up, SETTLE).await;
    assert_eq!(
        connections_of(stack, &alice.user_id).await,
        alice_records,
        "the sender's own record must be untouched"
    );

    // Bob comes back: the message is there.
    let mut b = device(stack, &bob).await;
    let live_id = connections_of(stack, &bob.user_id).await;
    let synced = sync_all(&mut b, None, None).await;
    assert_eq!(synced.messages.len(), 1, "{:?}", synced.messages);
    assert_message_matches(&synced.messages[0], &sent, &alice, "are you there?");

    // A live device beside a stale record: the live one gets the message, the stale record goes.
    put_connection(stack, &bob.user_id, &made_up).await;
    await_connection_count(stack, &bob.user_id, 2, SETTLE).await;
    let id = fresh_id("live-and-stale");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "again")).await;
    let got = message_with_id(&mut b, &id).await;
    assert_message_matches(&got, &sent, &alice, "again");
    await_connection_gone(stack, &bob.user_id, &made_up, SETTLE).await;
    assert_eq!(connections_of(stack, &bob.user_id).await, live_id);
    assert_eq!(connections_of(stack, &alice.user_id).await, alice_records);
}

// ------------------------------------------------------------------ 8. receipts

#[tokio::test]
async fn acks_reach_the_sender_s_devices_as_receipts_and_only_when_they_advance() {
    let stack = stack::shared();
    let alice = sign_up(stack, "ack-alice").await;
    let bob = sign_up(stack, "ack-bob").await;
    let mut a = devices(stack, &alice, 2).await;
    let mut b = device(stack, &bob).await;

    let mut conversation = String::new();
    for n in 1..=3 {
        let id = fresh_id(&format!("ack{n}"));
        let sent = send_and_wait(&mut a[0], &send_to_user(&id, &bob, &format!("m{n}"))).await;
        conversation = conversation_of(&sent);
        message_with_id(&mut b, &id).await;
    }
    let ack_up_to = |seq: u64, status: AckStatus| ack(&conversation, seq, status);

    b.send(&ack_up_to(2, AckStatus::Delivered)).await;
    for device in a.iter_mut() {
        let receipt = device.frame_of_type("receipt").await;
        assert_eq!(receipt["conversation"], conversation.as_str(), "{receipt}");
        assert_eq!(receipt["seq"], 2, "{receipt}");
        assert_eq!(receipt["by"], bob.user_id.as_str(), "{receipt}");
        assert_eq!(receipt["status"], "delivered", "{receipt}");
    }
    b.send(&ack_up_to(3, AckStatus::Read)).await;
    for device in a.iter_mut() {
        let receipt = device.frame_of_type("receipt").await;
        assert_eq!(receipt["seq"], 3, "{receipt}");
        assert_eq!(receipt["by"], bob.user_id.as_str(), "{receipt}");
        assert_eq!(receipt["status"], "read", "{receipt}");
    }

    // Lower marks: nothing.
    b.send(&ack_up_to(1, AckStatus::Delivered)).await;
    b.send(&ack_up_to(2, AckStatus::Read)).await;
    for device in a.iter_mut() {
        device
            .expect_none_where("a receipt for an ack that does not advance", QUIET, |f| {
                f["type"] == "receipt"
            })
            .await;
    }
    // `ack` has no reply.
    b.expect_none_where("a reply to ack", Duration::ZERO, |f| {
        f["type"] == "error" || f["type"] == "receipt"
    })
    .await;
}

// ------------------------------------------------------------------ 9. typing

#[tokio::test]
async fn typing_reaches_the_other_member_s_devices_and_is_never_stored() {
    let stack = stack::shared();
    let alice = sign_up(stack, "typing-alice").await;
    let bob = sign_up(stack, "typing-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = devices(stack, &bob, 2).await;

    let id = fresh_id("before-typing");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "hi")).await;
    let conversation = conversation_of(&sent);
    for device in b.iter_mut() {
        message_with_id(device, &id).await;
    }

    a.send(&typing(&conversation)).await;
    for device in b.iter_mut() {
        let typing = device.frame_of_type("typing").await;
        assert_eq!(typing["conversation"], conversation.as_str(), "{typing}");
        assert_eq!(typing["from"], alice.user_id.as_str(), "{typing}");
    }
    a.expect_none_where("typing echoed to its sender, or an error", QUIET, |f| {
        f["type"] == "typing" || f["type"] == "error"
    })
    .await;

    // Never stored: not in a fresh device's sync, and no seq taken.
    let mut fresh = device(stack, &bob).await;
    let synced = sync_all(&mut fresh, None, None).await;
    assert_eq!(synced.messages.len(), 1, "{:?}", synced.messages);
    assert!(
        fresh.pending.iter().all(|f| f["type"] != "typing"),
        "typing came out of sync: {:?}",
        fresh.pending
    );
    let id = fresh_id("after-typing");
    let after = send_and_wait(&mut a, &send_to_conversation(&id, &conversation, "x")).await;
    assert_eq!(after["seq"], 2, "typing took a seq: {after}");
}

// ------------------------------------------------------------------ 10. non-members

#[tokio::test]
async fn a_non_member_is_forbidden_and_causes_nothing() {
    let stack = stack::shared();
    let alice = sign_up(stack, "member-alice").await;
    let bob = sign_up(stack, "member-bob").await;
    let mallory = sign_up(stack, "outsider-mallory").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut m = device(stack, &mallory).await;

    let id = fresh_id("private");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "just us")).await;
    let conversation = conversation_of(&sent);
    message_with_id(&mut b, &id).await;

    let id = fresh_id("intrude");
    m.send(&send_to_conversation(&id, &conversation, "intrusion"))
        .await;
    let error = error_for(&mut m, &id).await;
    assert_eq!(error["code"], "forbidden", "{error}");
    assert_clean_error(&error);

    m.send(&ack(&conversation, 1, AckStatus::Read)).await;
    let error = next_error(&mut m).await;
    assert_eq!(error["code"], "forbidden", "ack by a non-member: {error}");

    m.send(&typing(&conversation)).await;
    let error = next_error(&mut m).await;
    assert_eq!(
        error["code"], "forbidden",
        "typing by a non-member: {error}"
    );

    for (name, device) in [("Alice", &mut a), ("Bob", &mut b)] {
        device
            .expect_none_where(
                &format!("anything reaching {name} from a non-member"),
                QUIET,
                |f| ["message", "receipt", "typing"].contains(&f["type"].as_str().unwrap_or("")),
            )
            .await;
    }

    let outsider = sync_all(&mut m, None, None).await;
    assert!(
        outsider.messages.is_empty(),
        "a non-member synced {:?}",
        outsider.messages
    );
    let id = fresh_id("after-intrusion");
    let next = send_and_wait(
        &mut a,
        &send_to_conversation(&id, &conversation, "still us"),
    )
    .await;
    assert_eq!(next["seq"], 2, "a refused send took a seq: {next}");
    message_with_id(&mut b, &id).await;
    let synced = sync_all(&mut b, None, None).await;
    assert_eq!(seqs_in(&synced.messages, &conversation), vec![1, 2]);
    assert!(synced.messages.iter().all(|m| m["body"] != "intrusion"));
}

// ------------------------------------------------------------------ 11. lookup

#[tokio::test]
async fn lookup_finds_registered_users_by_email_and_refuses_more_than_100() {
    let stack = stack::shared();
    let alice = sign_up(stack, "lookup-alice").await;
    let bob = sign_up(stack, "lookup-bob").await;
    let carol = sign_up(stack, "lookup-carol").await;
    let mut a = device(stack, &alice).await;
    let unknown = format!("nobody-{}@example.test", std::process::id());

    let reply_to = |id: &str| {
        let id = id.to_owned();
        move |f: &Value| f["id"] == id.as_str() && (f["type"] == "users" || f["type"] == "error")
    };

    let id = fresh_id("lookup");
    a.send(&lookup(&id, &[&bob.email, &carol.email, &unknown], &[]))
        .await;
    let users = a.frame_where("the `users` reply", reply_to(&id)).await;
    assert_eq!(users["type"], "users", "{users}");
    let found = users["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users list: {users}"));
    let by_id: HashMap<&str, &Value> = found
        .iter()
        .map(|u| (u["userId"].as_str().unwrap_or_default(), u))
        .collect();
    assert_eq!(found.len(), 2, "registered users only: {users}");
    for user in [&bob, &carol] {
        let entry = by_id
            .get(user.user_id.as_str())
            .unwrap_or_else(|| panic!("{} not found: {users}", user.email));
        if let Some(email) = entry.get("email") {
            assert_eq!(email, user.email.as_str(), "{users}");
        }
    }

    // Phones only (no one here has one): an empty list.
    let id = fresh_id("lookup-phone");
    a.send(&lookup(&id, &[], &["+15550100999"])).await;
    let users = a.frame_where("the `users` reply", reply_to(&id)).await;
    assert_eq!(users["type"], "users", "{users}");
    assert_eq!(users["users"], json!([]), "{users}");

    // Exactly 100 in all is allowed.
    let id = fresh_id("lookup-100");
    let mut emails: Vec<String> = (0..99)
        .map(|n| format!("nobody{n}-{}@example.test", std::process::id()))
        .collect();
    emails.push(bob.email.clone());
    a.send(&lookup(&id, &strs(&emails), &[])).await;
    let users = a.frame_where("the `users` reply", reply_to(&id)).await;
    assert_eq!(users["type"], "users", "100 in all is allowed: {users}");
    assert_eq!(users["users"].as_array().map(Vec::len), Some(1), "{users}");
    assert_eq!(users["users"][0]["userId"], bob.user_id.as_str());

    // 101 emails, or 101 emails and phones together: refused.
    let id = fresh_id("lookup-101");
    let emails: Vec<String> = (0..101).map(|n| format!("many{n}@example.test")).collect();
    a.send(&lookup(&id, &strs(&emails), &[])).await;
    let error = a.frame_where("the reply", reply_to(&id)).await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], "bad_request", "{error}");

    let id = fresh_id("lookup-mixed");
    let phones: Vec<String> = (0..51).map(|n| format!("+1555010{n:04}")).collect();
    a.send(&lookup(&id, &strs(&emails[..50]), &strs(&phones)))
        .await;
    let error = a.frame_where("the reply", reply_to(&id)).await;
    assert_eq!(error["type"], "error", "101 in all: {error}");
    assert_eq!(error["code"], "bad_request", "{error}");
}

// ------------------------------------------------------------------ 12. bad input

#[tokio::test]
async fn bad_input_gets_the_right_error_and_the_connection_stays_usable() {
    let stack = stack::shared();
    let alice = sign_up(stack, "bad-alice").await;
    let bob = sign_up(stack, "bad-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let mut next_seq = 1;
    // A valid send after each bad frame: it works, and the bad frame took no seq.
    macro_rules! still_usable {
        ($case:expr) => {{
            let id = fresh_id("valid");
            let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "fine")).await;
            assert_eq!(sent["seq"], next_seq, "after {}: {sent}", $case);
            message_with_id(&mut b, &id).await;
            next_seq += 1;
            conversation_of(&sent)
        }};
    }
    let conversation = still_usable!("nothing yet");
    let expect_error = |error: &Value, code: &str, case: &str| {
        assert_eq!(error["type"], "error", "{case}: {error}");
        assert_eq!(error["code"], code, "{case}: {error}");
        assert!(
            error["message"].is_string(),
            "{case}: an error has a message: {error}"
        );
        assert_clean_error(error);
    };

    a.send_text("{ this is not JSON").await;
    expect_error(&next_error(&mut a).await, "bad_request", "non-JSON");
    let _ = still_usable!("non-JSON");

    let cases: Vec<(&str, Value)> = vec![
        ("no body and no attachment", json!({"toUser": bob.user_id})),
        (
            "both toUser and conversation",
            json!({"toUser": bob.user_id, "conversation": conversation, "body": "x"}),
        ),
        ("neither toUser nor conversation", json!({"body": "x"})),
        (
            "a body that is not text",
            json!({"toUser": bob.user_id, "body": 42}),
        ),
    ];
    for (case, fields) in cases {
        let id = fresh_id("bad");
        let mut frame = json!({"action": "send", "id": id});
        frame
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        a.send_json(&frame).await;
        expect_error(&error_for(&mut a, &id).await, "bad_request", case);
        let _ = still_usable!(case);
    }

    for (case, bad_id) in [
        ("an id with invalid characters", json!("not valid!")),
        ("an id over 64 characters", json!("x".repeat(65))),
        ("an empty id", json!("")),
        ("a numeric id", json!(7)),
    ] {
        a.send_json(&json!({"action": "send", "id": bad_id, "toUser": bob.user_id, "body": "x"}))
            .await;
        let error = next_error(&mut a).await;
        expect_error(&error, "bad_request", case);
        assert!(
            error.get("id").is_none(),
            "{case}: an invalid id must not be echoed: {error}"
        );
        let _ = still_usable!(case);
    }

    // Over 32 KiB of UTF-8, sent as a fragmented WebSocket message (one frame over 32 KiB
    // would be closed by API Gateway with 1009).
    for (case, body) in [
        ("a body of 32 KiB + 1 byte", "x".repeat(32 * 1024 + 1)),
        (
            "a body of 16385 two-byte characters (32770 bytes)",
            "é".repeat(16385),
        ),
    ] {
        let id = fresh_id("large");
        let text = send_to_user(&id, &bob, &body).to_json();
        a.send_fragmented(&text, 16 * 1024).await;
        expect_error(&error_for(&mut a, &id).await, "too_large", case);
        let _ = still_usable!(case);
    }
    // Exactly 32 KiB is allowed.
    let id = fresh_id("max");
    let body = "y".repeat(32 * 1024);
    a.send_fragmented(&send_to_user(&id, &bob, &body).to_json(), 16 * 1024)
        .await;
    let sent = sent_for(&mut a, &id).await;
    assert_eq!(sent["seq"], next_seq, "a 32 KiB body is allowed: {sent}");
    next_seq += 1;
    let got = message_with_id(&mut b, &id).await;
    assert_eq!(got["body"].as_str().map(str::len), Some(32 * 1024));

    for (case, frame) in [
        (
            "a malformed cursor",
            json!({"action": "sync", "cursor": "not-a-cursor"}),
        ),
        (
            "an unknown ack status",
            json!({"action": "ack", "conversation": conversation, "seq": 1, "status": "seen"}),
        ),
        (
            "an ack without seq",
            json!({"action": "ack", "conversation": conversation, "status": "read"}),
        ),
        ("typing without conversation", json!({"action": "typing"})),
        (
            "a send without id",
            json!({"action": "send", "toUser": bob.user_id, "body": "x"}),
        ),
    ] {
        a.send_json(&frame).await;
        expect_error(&next_error(&mut a).await, "bad_request", case);
        let _ = still_usable!(case);
    }
    let id = fresh_id("bad-lookup");
    a.send_json(&json!({"action": "lookup", "id": id, "emails": "not-a-list"}))
        .await;
    expect_error(
        &error_for(&mut a, &id).await,
        "bad_request",
        "lookup emails not a list",
    );
    let _ = still_usable!("a bad lookup");
    assert!(next_seq > 10);
}

/// Borrowed views of owned strings, for the frame builders.
fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}
