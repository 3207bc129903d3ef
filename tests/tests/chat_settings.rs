//! Chat settings (issue 16): `chat` changes the caller's mute, archive, pin and unread of a
//! conversation, the caller's other devices get the change live, `chats` lists them on any
//! device later, a fourth pin is refused, and the push function holds back the offline
//! copies of a muted conversation unless they mention the owner. Also the keepalive: `ping`
//! is answered by `pong`.

use aws_sdk_dynamodb::types::AttributeValue;
use parley_protocol::client::{Chat, Chats, Mute, Ping, Platform};
use parley_protocol::ClientFrame;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::sns::published_to;
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::dynamodb;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long a push may take: the stream poller's batching window plus a retry or two.
const PUSH_WITHIN: Duration = Duration::from_secs(20);
const HOUR_MS: i64 = 3_600_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn direct(a: &str, b: &str) -> String {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    format!("d:{low}:{high}")
}

/// A `chat` frame changing what `edit` sets.
fn chat(id: &str, conversation: &str, edit: impl FnOnce(&mut Chat)) -> ClientFrame {
    let mut frame = Chat::of(id, conversation_id(conversation));
    edit(&mut frame);
    ClientFrame::Chat(frame)
}

/// Sends `frame` and returns the reply to its id.
async fn ask(client: &mut Client, frame: &ClientFrame) -> Value {
    client.send(frame).await;
    let id = frame.id().unwrap().to_owned();
    client
        .frame_where(&format!("the reply to {id}"), |f| f["id"] == id.as_str())
        .await
}

async fn chats(client: &mut Client) -> Vec<Value> {
    let id = fresh_id("chats");
    let reply = ask(client, &ClientFrame::Chats(Chats { id: id.clone() })).await;
    assert_eq!(reply["type"], "chats", "{reply}");
    reply["chats"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_ping_is_answered_by_a_pong() {
    let stack = stack::shared();
    let alice = sign_up(stack, "ping-alice").await;
    let mut a = device(stack, &alice).await;
    let reply = ask(
        &mut a,
        &ClientFrame::Ping(Ping {
            id: Some("k-1".into()),
        }),
    )
    .await;
    assert_eq!(reply, json!({"type": "pong", "id": "k-1"}));
    a.send_json(&json!({"action": "ping"})).await;
    assert_eq!(a.frame().await, json!({"type": "pong"}));
}

#[tokio::test]
async fn settings_reach_the_other_device_live_and_a_later_device_by_chats() {
    let stack = stack::shared();
    let alice = sign_up(stack, "chats-alice").await;
    let bob = sign_up(stack, "chats-bob").await;
    let conversation = direct(&alice.user_id, &bob.user_id);
    let mut phone = device(stack, &alice).await;
    let mut laptop = device(stack, &alice).await;

    let before = now_ms();
    let reply = ask(
        &mut phone,
        &chat("c-1", &conversation, |c| {
            c.mute = Some(Mute::EightHours);
            c.pinned = Some(true);
        }),
    )
    .await;
    let after = now_ms();
    assert_eq!(reply["type"], "chat", "{reply}");
    assert_eq!(reply["conversation"], conversation.as_str());
    assert_eq!(
        (
            reply["pinned"].clone(),
            reply["archived"].clone(),
            reply["unread"].clone()
        ),
        (json!(true), json!(false), json!(false))
    );
    let until = reply["mutedUntil"].as_i64().unwrap();
    assert!(
        (before + 8 * HOUR_MS..=after + 8 * HOUR_MS).contains(&until),
        "muted until {until}, sent at {before}..{after}"
    );
    // The other device: the same settings, without the id.
    let live = laptop.frame_of_type("chat").await;
    let mut expected = reply.clone();
    expected.as_object_mut().unwrap().remove("id");
    assert_eq!(live, expected);
    // Bob is not told anything.
    let mut b = device(stack, &bob).await;

    // The laptop is away while the phone changes more.
    close_device(stack, &alice, laptop, 1).await;
    let reply = ask(
        &mut phone,
        &chat("c-2", &conversation, |c| {
            c.mute = Some(Mute::Off);
            c.archived = Some(true);
            c.unread = Some(true);
        }),
    )
    .await;
    assert_eq!(reply.get("mutedUntil"), None, "unmuted: {reply}");
    let mut laptop = device(stack, &alice).await;
    assert_eq!(
        chats(&mut laptop).await,
        vec![
            json!({"conversation": conversation, "archived": true, "pinned": true, "unread": true})
        ]
    );
    // Back to the defaults: no longer listed.
    ask(
        &mut laptop,
        &chat("c-3", &conversation, |c| {
            c.archived = Some(false);
            c.pinned = Some(false);
            c.unread = Some(false);
        }),
    )
    .await;
    assert_eq!(phone.frame_of_type("chat").await["pinned"], false);
    assert_eq!(chats(&mut phone).await, Vec::<Value>::new());
    b.expect_none_where("chat frames to the other member", QUIET, |f| {
        f["type"] == "chat"
    })
    .await;
}

#[tokio::test]
async fn at_most_three_chats_are_pinned() {
    let stack = stack::shared();
    let alice = sign_up(stack, "pins-alice").await;
    let peers: Vec<String> = (0..4)
        .map(|i| format!("{}-peer{i}", fresh_id("p")))
        .collect();
    let conversations: Vec<String> = peers.iter().map(|p| direct(&alice.user_id, p)).collect();
    let mut a = device(stack, &alice).await;
    let pin = |i: usize, on: bool| {
        chat(&fresh_id("pin"), &conversations[i], move |c| {
            c.pinned = Some(on)
        })
    };
    for i in 0..3 {
        assert_eq!(ask(&mut a, &pin(i, true)).await["pinned"], true);
    }
    let refused = ask(&mut a, &pin(3, true)).await;
    assert_eq!(refused["code"], "too_large", "{refused}");
    assert_eq!(
        refused["message"],
        "at most 3 chats are pinned: unpin one first"
    );
    assert_clean_error(&refused);
    // The refusal changed nothing, and pinning a pinned chat again is no fourth pin.
    assert_eq!(ask(&mut a, &pin(2, true)).await["pinned"], true);
    let listed: Vec<Value> = chats(&mut a).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(listed
        .iter()
        .all(|c| c["pinned"] == true && c["conversation"] != conversations[3].as_str()));
    // Unpinning makes room.
    assert_eq!(ask(&mut a, &pin(0, false)).await["pinned"], false);
    assert_eq!(ask(&mut a, &pin(3, true)).await["pinned"], true);
}

#[tokio::test]
async fn bad_changes_and_other_peoples_conversations_are_refused() {
    let stack = stack::shared();
    let alice = sign_up(stack, "chats-bad-alice").await;
    let bob = sign_up(stack, "chats-bad-bob").await;
    let carol = sign_up(stack, "chats-bad-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let group = ask(
        &mut b,
        &create_group(&fresh_id("g"), "no alice", &[&carol.user_id]),
    )
    .await;
    let group = group["conversation"].as_str().unwrap().to_owned();
    for conversation in [group, direct(&bob.user_id, &carol.user_id)] {
        let refused = ask(
            &mut a,
            &chat(&fresh_id("c"), &conversation, |c| c.archived = Some(true)),
        )
        .await;
        assert_eq!(refused["code"], "forbidden", "{refused}");
    }
    let conversation = direct(&alice.user_id, &bob.user_id);
    for (frame, says) in [
        (
            json!({"action": "chat", "id": "x-1", "conversation": conversation, "mute": "1y"}),
            "mute must be",
        ),
        (
            json!({"action": "chat", "id": "x-2", "conversation": conversation}),
            "give mute",
        ),
        (
            json!({"action": "chat", "id": "x-3", "conversation": conversation, "unread": 1}),
            "unread must be true or false",
        ),
    ] {
        a.send_json(&frame).await;
        let refused = error_for(&mut a, frame["id"].as_str().unwrap()).await;
        assert_eq!(refused["code"], "bad_request");
        assert!(
            refused["message"].as_str().unwrap().contains(says),
            "{refused}"
        );
    }
    assert_eq!(chats(&mut a).await, Vec::<Value>::new());
}

/// Waits until `token` was pushed a notification naming `message_id`.
async fn await_push(stack: &StackInfo, token: &str, message_id: &str) {
    let started = Instant::now();
    while !published_to(stack, token)
        .await
        .iter()
        .any(|p| p.to_string().contains(message_id))
    {
        assert!(
            started.elapsed() < PUSH_WITHIN,
            "{token}: no notification for {message_id} within {PUSH_WITHIN:?}\n{}",
            stack::tail(&stack.log_file)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pushed(stack: &StackInfo, token: &str, message_id: &str) -> bool {
    published_to(stack, token)
        .await
        .iter()
        .any(|p| p.to_string().contains(message_id))
}

/// Bob, from a device he then closes, changes his mute of `conversation`.
async fn set_mute_offline(
    stack: &StackInfo,
    bob: &TestUser,
    conversation: &str,
    mute: Mute,
    token: Option<&str>,
) {
    let mut phone = device(stack, bob).await;
    if let Some(token) = token {
        let id = fresh_id("reg");
        let reply = ask(&mut phone, &register_push(&id, Platform::Fcm, token)).await;
        assert_eq!(reply["type"], "pushRegistered");
    }
    let reply = ask(
        &mut phone,
        &chat(&fresh_id("mute"), conversation, |c| c.mute = Some(mute)),
    )
    .await;
    assert_eq!(reply["type"], "chat", "{reply}");
    close_device(stack, bob, phone, 0).await;
}

/// A copy in `owner`'s mailbox that mentions them, marked for push as the send path marks
/// an offline member's copy (the send path's `mentions` write the same flag).
async fn put_mentioning_copy(
    stack: &StackInfo,
    owner: &str,
    from: &str,
    conversation: &str,
    message_id: &str,
) {
    let ts = now_ms();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    dynamodb(stack)
        .put_item()
        .table_name(stack.table("MessagesTable"))
        .item("userId", s(owner))
        .item("sk", s(&format!("p#{ts:013}#{conversation}#000000000099")))
        .item("conversation", s(conversation))
        .item("seq", AttributeValue::N("99".into()))
        .item("messageId", s(message_id))
        .item("clientId", s(&fresh_id("m")))
        .item("from", s(from))
        .item("ts", AttributeValue::N(ts.to_string()))
        .item("body", s("@bob look"))
        .item("offline", AttributeValue::Bool(true))
        .item("mention", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_muted_conversation_is_not_pushed_unless_it_mentions_the_owner() {
    let stack = stack::shared();
    let alice = sign_up(stack, "mute-alice").await;
    let bob = sign_up(stack, "mute-bob").await;
    let conversation = direct(&alice.user_id, &bob.user_id);
    let token = fresh_id("fcm-mute");
    set_mute_offline(stack, &bob, &conversation, Mute::EightHours, Some(&token)).await;

    let mut a = device(stack, &alice).await;
    let muted = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "while muted")).await;
    let muted_id = muted["messageId"].as_str().unwrap();
    // A later copy that mentions Bob goes through the mute; the stream is handled in
    // order, so once it is pushed the muted one has been handled too.
    let mention_id = fresh_id("mention");
    put_mentioning_copy(
        stack,
        &bob.user_id,
        &alice.user_id,
        &conversation,
        &mention_id,
    )
    .await;
    await_push(stack, &token, &mention_id).await;
    assert!(
        !pushed(stack, &token, muted_id).await,
        "a muted message was pushed"
    );

    // Unmuted: pushed again.
    set_mute_offline(stack, &bob, &conversation, Mute::Off, None).await;
    let after = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "unmuted")).await;
    await_push(stack, &token, after["messageId"].as_str().unwrap()).await;
    assert!(
        !pushed(stack, &token, muted_id).await,
        "a muted message was pushed later"
    );
}
