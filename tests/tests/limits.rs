//! Abuse limits (issue 8), end to end: a burst of sends beyond the per-user token bucket
//! (60, then one a second) gets `rate_limited` while another user sends unhindered; a
//! refused send stored nothing and its retry later succeeds; `lookup` and `uploadUrl` have
//! their own buckets; a user may hold at most ten connections at once.

use futures_util::future::join_all;
use parley_tests::chat::*;
use parley_tests::client::{connect, Refused};
use parley_tests::stack;
use parley_tests::users::sign_up;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// The send bucket's burst (functions/core/src/rate_limit.rs).
const SEND_BURST: usize = 60;
/// The lookup bucket's burst.
const LOOKUP_BURST: usize = 20;
/// The uploadUrl bucket's burst (functions/files).
const UPLOAD_URL_BURST: usize = 30;
/// Connections one user may hold (functions/connect).
const MAX_DEVICES: usize = 10;

#[tokio::test]
async fn a_send_burst_beyond_the_limit_is_rate_limited_and_harms_no_one_else() {
    let stack = stack::shared();
    let alice = sign_up(stack, "burst-alice").await;
    let bob = sign_up(stack, "burst-bob").await;
    let carol = sign_up(stack, "burst-carol").await;
    let mut a = device(stack, &alice).await;
    let mut c = device(stack, &carol).await;

    // Alice fires 80 sends without waiting; Carol sends at the same time.
    let ids: Vec<String> = (0..SEND_BURST + 20).map(|_| fresh_id("burst")).collect();
    for id in &ids {
        a.send(&send_to_user(id, &bob, "spam")).await;
    }
    let carol_ids: Vec<String> = (0..5).map(|_| fresh_id("carol")).collect();
    for id in &carol_ids {
        let sent = send_and_wait(&mut c, &send_to_user(id, &bob, "hello")).await;
        assert_eq!(sent["type"], "sent", "another user is unaffected: {sent}");
    }

    let mut sent = Vec::new();
    let mut limited = Vec::new();
    for id in &ids {
        let reply = a
            .frame_where(&format!("the reply to {id}"), |f| {
                f["id"] == id.as_str() && (f["type"] == "sent" || f["type"] == "error")
            })
            .await;
        match reply["type"].as_str() {
            Some("sent") => sent.push(reply),
            _ => {
                assert_eq!(reply["code"], "rate_limited", "{reply}");
                assert_clean_error(&reply);
                limited.push(id.clone());
            }
        }
    }
    assert!(
        sent.len() >= SEND_BURST,
        "the whole burst of {SEND_BURST} is allowed: {} sent",
        sent.len()
    );
    assert!(
        !limited.is_empty(),
        "{} sends at once must exceed the burst",
        ids.len()
    );

    // With the bucket empty, retries of ids already stored are answered, not refused: a
    // retry spends no token (a client resending after a lost reply is never punished).
    let retried: Vec<&Value> = sent.iter().take(5).collect();
    for earlier in &retried {
        let id = earlier["id"].as_str().unwrap();
        a.send(&send_to_user(id, &bob, "spam")).await;
    }
    for earlier in &retried {
        let id = earlier["id"].as_str().unwrap();
        let again = a
            .frame_where(&format!("the retry of {id}"), |f| {
                f["id"] == id && (f["type"] == "sent" || f["type"] == "error")
            })
            .await;
        assert_eq!(again["type"], "sent", "a stored id's retry: {again}");
        assert_eq!(again["seq"], earlier["seq"], "{again}");
    }

    // A refused send took no seq: the stored ones are exactly 1..=n.
    let mut b = device(stack, &bob).await;
    let synced = sync_all(&mut b, None, None).await;
    let conversation = sent[0]["conversation"].as_str().unwrap().to_owned();
    let seqs = seqs_in(&synced.messages, &conversation);
    assert_exactly_one_to_n(&seqs, sent.len() as u64, "alice's allowed sends");
    let stored: HashSet<&str> = synced
        .messages
        .iter()
        .filter(|m| m["conversation"] == conversation.as_str())
        .filter_map(|m| m["id"].as_str())
        .collect();
    for id in &limited {
        assert!(
            !stored.contains(id.as_str()),
            "a refused send was stored: {id}"
        );
    }

    // The bucket refills: the refused send, retried with the same id, goes through.
    let retry = &limited[0];
    let mut outcome = Value::Null;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.send(&send_to_user(retry, &bob, "spam")).await;
        outcome = a
            .frame_where("the retry's reply", |f| {
                f["id"] == retry.as_str() && (f["type"] == "sent" || f["type"] == "error")
            })
            .await;
        if outcome["type"] == "sent" {
            break;
        }
    }
    assert_eq!(
        outcome["type"], "sent",
        "the retry after a refill: {outcome}"
    );
    assert_eq!(outcome["seq"], sent.len() as u64 + 1, "{outcome}");
}

#[tokio::test]
async fn lookups_have_their_own_bucket() {
    let stack = stack::shared();
    let dave = sign_up(stack, "lookup-dave").await;
    let erin = sign_up(stack, "lookup-erin").await;
    let mut d = device(stack, &dave).await;
    let ids: Vec<String> = (0..LOOKUP_BURST + 5).map(|_| fresh_id("lk")).collect();
    for id in &ids {
        d.send(&lookup(id, &[&erin.email], &[])).await;
    }
    let mut answered = 0;
    let mut limited = 0;
    for id in &ids {
        let reply = d
            .frame_where("the lookup's reply", |f| f["id"] == id.as_str())
            .await;
        match reply["type"].as_str() {
            Some("users") => answered += 1,
            _ => {
                assert_eq!(reply["code"], "rate_limited", "{reply}");
                limited += 1;
            }
        }
    }
    assert_eq!(answered, LOOKUP_BURST, "the lookup burst");
    assert_eq!(limited, 5);
    // Sends are counted apart: Dave may still send.
    let id = fresh_id("after-lookups");
    send_and_wait(&mut d, &send_to_user(&id, &erin, "hi")).await;
}

#[tokio::test]
async fn upload_urls_have_their_own_bucket() {
    let stack = stack::shared();
    let heidi = sign_up(stack, "upload-heidi").await;
    let ivan = sign_up(stack, "upload-ivan").await;
    let mut h = device(stack, &heidi).await;
    let ids: Vec<String> = (0..UPLOAD_URL_BURST + 5).map(|_| fresh_id("upl")).collect();
    for id in &ids {
        h.send(&upload_url(
            id,
            To::User(&ivan.user_id),
            "photo.jpg",
            "image/jpeg",
            1000,
        ))
        .await;
    }
    let mut presigned = 0;
    let mut limited = 0;
    for id in &ids {
        let reply = h
            .frame_where("the uploadUrl's reply", |f| f["id"] == id.as_str())
            .await;
        match reply["type"].as_str() {
            Some("uploadUrl") => presigned += 1,
            _ => {
                assert_eq!(reply["code"], "rate_limited", "{reply}");
                assert_clean_error(&reply);
                limited += 1;
            }
        }
    }
    assert_eq!(presigned, UPLOAD_URL_BURST, "the uploadUrl burst");
    assert_eq!(limited, 5);
    // Sends are counted apart: Heidi may still send.
    let id = fresh_id("after-uploads");
    send_and_wait(&mut h, &send_to_user(&id, &ivan, "hi")).await;
}

#[tokio::test]
async fn a_user_holds_at_most_ten_devices() {
    let stack = stack::shared();
    let frank = sign_up(stack, "devices-frank").await;
    let grace = sign_up(stack, "devices-grace").await;
    let mut held = devices(stack, &frank, MAX_DEVICES).await;
    match connect(stack, Some(&frank.id_token)).await {
        Err(Refused::Status(status)) => assert_eq!(status, 429, "the eleventh device"),
        Err(other) => panic!("the eleventh device: {other:?}"),
        Ok(_) => panic!("an eleventh device was let in"),
    }
    // Another user is unaffected, and a freed slot can be taken again.
    let _g = device(stack, &grace).await;
    let last = held.pop().expect("ten devices");
    close_device(stack, &frank, last, MAX_DEVICES - 1).await;
    held.push(device(stack, &frank).await);
    join_all(held.into_iter().map(|c| c.close())).await;
}
