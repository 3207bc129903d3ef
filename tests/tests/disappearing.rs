//! Disappearing messages (issue 16), end to end through the local stack: a conversation's
//! timer is set by a `send` of kind `timer` (any member of a direct chat, an admin of a
//! group), announced to every member as an entry of its own, and every message sent under it
//! is stored with the timer's `ttl` (copies, log, state) and framed with `expiresAt`. Past
//! it, sync and the rules of changes treat the message as gone. DynamoDB deletes expired
//! items hours late and the emulator never does, so expiry is reached by backdating the
//! stored `ttl` (`parley_tests::tables::backdate_expiry`), never by waiting.

use parley_protocol::ChangeKind;
use parley_tests::chat::*;
use parley_tests::stack;
use parley_tests::tables::{backdate_expiry, message_item};
use parley_tests::users::sign_up;

const DAY: u64 = 24 * 60 * 60;
/// The plain retention, seconds.
const RETENTION: i64 = 30 * 24 * 60 * 60;

fn ttl_of(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> i64 {
    item["ttl"]
        .as_n()
        .expect("a ttl")
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn a_direct_chat_timer_is_announced_and_the_messages_under_it_expire_for_everyone() {
    let stack = stack::shared();
    let alice = sign_up(stack, "timer-alice").await;
    let bob = sign_up(stack, "timer-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let before = fresh_id("before");
    let sent = send_and_wait(&mut a, &send_to_user(&before, &bob, "kept")).await;
    let conversation = sent["conversation"].as_str().unwrap().to_owned();
    let live = message_with_id(&mut b, &before).await;
    assert!(live.get("expiresAt").is_none(), "no timer yet: {live}");

    // Either member of a direct chat sets the timer; it is an entry of its own.
    let set = fresh_id("timer");
    let timer_sent = send_and_wait(&mut b, &timer(&set, &conversation, DAY)).await;
    assert_eq!(timer_sent["seq"], 2, "{timer_sent}");
    let announced = message_with_id(&mut a, &set).await;
    assert_eq!(announced["kind"], "timer", "{announced}");
    assert_eq!(announced["seconds"], DAY, "{announced}");
    assert_eq!(announced["from"], bob.user_id.as_str(), "{announced}");
    assert!(
        announced.get("expiresAt").is_none(),
        "the announcement stays: {announced}"
    );

    // A message sent under it expires a day after it was sent: its frame says when, and
    // every stored item of it carries that ttl.
    let doomed = fresh_id("doomed");
    let sent = send_and_wait(&mut a, &send_to_user(&doomed, &bob, "gone tomorrow")).await;
    assert_eq!(sent["seq"], 3);
    let ts = sent["ts"].as_i64().unwrap();
    let live = message_with_id(&mut b, &doomed).await;
    let expires_at = ts + (DAY as i64) * 1000;
    assert_eq!(live["expiresAt"], expires_at - expires_at % 1000, "{live}");
    let logged = message_item(stack, &conversation, "s#000000000003")
        .await
        .expect("the log entry");
    assert_eq!(ttl_of(&logged), ts / 1000 + DAY as i64);
    // A reaction to it: its state item expires with it.
    let react = fresh_id("react");
    send_and_wait(
        &mut b,
        &change(&react, &conversation, ChangeKind::React, 3, Some("👍")),
    )
    .await;
    message_with_id(&mut a, &react).await;
    let state = message_item(stack, &conversation, "x#000000000003")
        .await
        .expect("the state item");
    assert_eq!(ttl_of(&state), ts / 1000 + DAY as i64);

    // A day later (backdated): sync no longer gives it, to either member, and it can no
    // longer be changed or quoted. The timer's announcement and the earlier message stay.
    let owners = [alice.user_id.as_str(), bob.user_id.as_str()];
    backdate_expiry(stack, &conversation, 3, &owners, DAY as i64).await;
    backdate_expiry(stack, &conversation, 4, &owners, DAY as i64).await;
    for device in [&mut a, &mut b] {
        let synced = sync_all(device, None, None).await;
        assert_eq!(
            seqs_in(&synced.messages, &conversation),
            vec![1, 2],
            "{:?}",
            synced.messages
        );
        assert_eq!(synced_at(&synced, &conversation, 2)["kind"], "timer");
    }
    let late = refused(
        &mut b,
        &change(
            &fresh_id("late"),
            &conversation,
            ChangeKind::React,
            3,
            Some("❤️"),
        ),
    )
    .await;
    assert_eq!(late["code"], "not_found", "{late}");

    // Off again: what is sent next keeps the plain retention.
    let off = fresh_id("off");
    send_and_wait(&mut a, &timer(&off, &conversation, 0)).await;
    assert_eq!(message_with_id(&mut b, &off).await["seconds"], 0);
    let after = fresh_id("after");
    let sent = send_and_wait(&mut a, &send_to_user(&after, &bob, "kept again")).await;
    let live = message_with_id(&mut b, &after).await;
    assert!(live.get("expiresAt").is_none(), "{live}");
    let seq = sent["seq"].as_u64().unwrap();
    let logged = message_item(stack, &conversation, &format!("s#{seq:012}"))
        .await
        .expect("the log entry");
    assert_eq!(
        ttl_of(&logged),
        sent["ts"].as_i64().unwrap() / 1000 + RETENTION
    );
}

#[tokio::test]
async fn in_a_group_only_an_admin_sets_the_timer() {
    let stack = stack::shared();
    let alice = sign_up(stack, "gtimer-alice").await;
    let bob = sign_up(stack, "gtimer-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    a.send(&create_group(
        &fresh_id("g"),
        "timers",
        &[bob.user_id.as_str()],
    ))
    .await;
    let group = a.frame_of_type("group").await;
    let conversation = group["conversation"].as_str().unwrap().to_owned();

    let refusal = refused(&mut b, &timer(&fresh_id("nope"), &conversation, DAY)).await;
    assert_eq!(refusal["code"], "forbidden", "{refusal}");
    assert!(
        refusal["message"].as_str().unwrap().contains("admin"),
        "{refusal}"
    );

    let week = 7 * DAY;
    let set = fresh_id("gset");
    send_and_wait(&mut a, &timer(&set, &conversation, week)).await;
    let announced = message_with_id(&mut b, &set).await;
    assert_eq!(
        (announced["kind"].clone(), announced["seconds"].clone()),
        ("timer".into(), week.into())
    );

    let id = fresh_id("gmsg");
    let sent = send_and_wait(
        &mut b,
        &send_to_conversation(&id, &conversation, "for a week"),
    )
    .await;
    let ts = sent["ts"].as_i64().unwrap();
    let live = message_with_id(&mut a, &id).await;
    assert_eq!(
        live["expiresAt"],
        (ts / 1000 + week as i64) * 1000,
        "{live}"
    );
    for device in [&mut a, &mut b] {
        let synced = sync_all(device, None, None).await;
        let copy = synced_at(&synced, &conversation, sent["seq"].as_u64().unwrap());
        assert_eq!(copy["expiresAt"], live["expiresAt"], "{copy}");
    }

    // An attachment into the conversation is to expire with it: its upload signs the tag
    // the bucket's 7-day lifecycle rule expires.
    a.send(&upload_url(
        &fresh_id("up"),
        To::Conversation(&conversation),
        "a.png",
        "image/png",
        10,
    ))
    .await;
    let upload = a.frame_of_type("uploadUrl").await;
    assert_eq!(
        upload["headers"]["x-amz-tagging"], "parley-ttl=7",
        "{upload}"
    );
    assert!(
        upload["url"].as_str().unwrap().contains("x-amz-tagging"),
        "the tag is signed: {upload}"
    );
    // Sent with exactly the headers given, the upload is accepted.
    let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let put = put.body(vec![7u8; 10]).send().await.expect("PUT the file");
    assert!(put.status().is_success(), "upload: {}", put.status());
}

#[tokio::test]
async fn a_timer_of_another_duration_is_refused() {
    let stack = stack::shared();
    let alice = sign_up(stack, "btimer-alice").await;
    let bob = sign_up(stack, "btimer-bob").await;
    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "hi")).await;
    let conversation = sent["conversation"].as_str().unwrap().to_owned();
    let refusal = refused(&mut a, &timer(&fresh_id("hour"), &conversation, 3600)).await;
    assert_eq!(refusal["code"], "bad_request", "{refusal}");
    assert!(
        refusal["message"].as_str().unwrap().contains("86400"),
        "names the allowed values: {refusal}"
    );
}
