//! Blocking (issue 16), end to end through the local stack: once Alice blocks Bob, nothing
//! of Bob reaches her (his messages and changes, his typing, his receipts) and nothing of it
//! is stored for her: her copy of each of his entries is a placeholder (`skip`: the
//! conversation, the seq, the time), so that her seqs stay dense. Bob is not told: his sends
//! still succeed, and Alice's presence is hidden from him as privacy would hide it. Unblocking
//! undoes it from then on. Lookups still find a blocked user.

use parley_protocol::client::{Block, Blocks, Presence};
use parley_protocol::{AckStatus, ClientFrame};
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::tables::{items_containing, message_item};
use parley_tests::users::{sign_up, TestUser};
use serde_json::Value;

fn block(user: &TestUser, blocked: bool) -> ClientFrame {
    ClientFrame::Block(Block {
        id: fresh_id("block"),
        user: user.user_id.clone(),
        blocked,
    })
}

fn presence(user: &TestUser) -> ClientFrame {
    ClientFrame::Presence(Presence {
        id: fresh_id("presence"),
        user: user.user_id.clone(),
        watch: true,
    })
}

/// The reply to a frame with an id (of whatever type).
async fn reply(client: &mut Client, frame: &ClientFrame) -> Value {
    let id = frame.id().expect("an id").to_owned();
    client.send(frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| f["id"] == id.as_str())
        .await
}

/// The `skip` for `seq` of `conversation`.
async fn skip_for(client: &mut Client, conversation: &str, seq: u64) -> Value {
    client
        .frame_where("a skip", |f| {
            f["type"] == "skip" && f["conversation"] == conversation && f["seq"] == seq
        })
        .await
}

fn position(sent: &Value) -> String {
    format!(
        "p#{:013}#{}#{:012}",
        sent["ts"].as_i64().unwrap(),
        sent["conversation"].as_str().unwrap(),
        sent["seq"].as_u64().unwrap()
    )
}

#[tokio::test]
async fn a_blocked_user_s_messages_typing_and_receipts_never_reach_the_blocker() {
    let stack = stack::shared();
    let alice = sign_up(stack, "block-alice").await;
    let bob = sign_up(stack, "block-bob").await;
    let mut a = device(stack, &alice).await;
    let mut a2 = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let first = send_and_wait(&mut a, &send_to_user(&fresh_id("hi"), &bob, "hi bob")).await;
    let conversation = conversation_of(&first);
    message_with_id(&mut b, first["id"].as_str().unwrap()).await;

    let blocked = reply(&mut a, &block(&bob, true)).await;
    assert_eq!(blocked["type"], "blocked", "{blocked}");
    assert_eq!(blocked["user"], bob.user_id.as_str());
    assert_eq!(blocked["blocked"], true);
    let told = a2.frame_of_type("blocked").await;
    assert!(told.get("id").is_none(), "{told}");
    assert_eq!(told["user"], bob.user_id.as_str());
    let listed = reply(&mut a2, &ClientFrame::Blocks(Blocks { id: fresh_id("l") })).await;
    assert_eq!(listed["type"], "blocks", "{listed}");
    assert_eq!(listed["users"], serde_json::json!([bob.user_id]));

    // Bob's message succeeds for him; Alice's devices get a placeholder for its seq.
    let secret = format!("[{}]", fresh_id("blocked-text"));
    let sent = send_and_wait(&mut b, &send_to_user(&fresh_id("m"), &alice, &secret)).await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let seq = sent["seq"].as_u64().unwrap();
    for device in [&mut a, &mut a2] {
        let skip = skip_for(device, &conversation, seq).await;
        assert!(
            skip.get("from").is_none() && skip.get("body").is_none(),
            "{skip}"
        );
    }
    let hers = message_item(stack, &alice.user_id, &position(&sent))
        .await
        .expect("Alice's placeholder");
    assert_eq!(hers["skip"].as_bool().ok(), Some(&true), "{hers:?}");
    for attribute in ["body", "from", "messageId", "offline"] {
        assert!(!hers.contains_key(attribute), "{attribute}: {hers:?}");
    }
    let in_her_mailbox = format!("\"userId\": S(\"{}\")", alice.user_id);
    let stored = items_containing(stack, &secret).await;
    assert_eq!(stored.len(), 2, "Bob's copy and the log: {stored:?}");
    for item in stored {
        assert!(!item.contains(&in_her_mailbox), "stored for Alice: {item}");
    }
    // A fresh device of Alice's syncs the placeholder, not the message.
    let mut fresh = device(stack, &alice).await;
    let synced = sync_all(&mut fresh, None, None).await;
    assert!(
        synced
            .messages
            .iter()
            .all(|m| !(m["type"] == "message" && m["from"] == bob.user_id.as_str())),
        "{:?}",
        synced.messages
    );

    // Bob's typing and his receipt of Alice's message do not reach her; hers reach him.
    b.send(&typing(&conversation)).await;
    b.send(&ack(
        &conversation,
        first["seq"].as_u64().unwrap(),
        AckStatus::Read,
    ))
    .await;
    a.expect_none_where("bob's typing or receipt", QUIET, |f| {
        f["type"] == "typing" || f["type"] == "receipt"
    })
    .await;
    a.send(&typing(&conversation)).await;
    let typing = b.frame_of_type("typing").await;
    assert_eq!(typing["from"], alice.user_id.as_str());

    // Bob sees no presence of Alice's; Alice may not write to him until she unblocks.
    let hidden = reply(&mut b, &presence(&alice)).await;
    assert_eq!(hidden["type"], "presence", "{hidden}");
    assert!(hidden.get("online").is_none(), "{hidden}");
    let refused = reply(&mut a, &send_to_user(&fresh_id("to-bob"), &bob, "hey")).await;
    assert_eq!(
        (refused["code"].as_str(), refused["message"].as_str()),
        (Some("forbidden"), Some("unblock this user to message them"))
    );

    // Lookups still work.
    let found = reply(&mut a, &lookup(&fresh_id("look"), &[&bob.email], &[])).await;
    assert_eq!(found["users"][0]["userId"], bob.user_id.as_str(), "{found}");

    // Unblocked, Bob's next message reaches Alice.
    let unblocked = reply(&mut a, &block(&bob, false)).await;
    assert_eq!(unblocked["blocked"], false, "{unblocked}");
    let again = fresh_id("again");
    send_and_wait(&mut b, &send_to_user(&again, &alice, "back")).await;
    let got = message_with_id(&mut a, &again).await;
    assert_eq!(got["body"], "back");
    let listed = reply(&mut a, &ClientFrame::Blocks(Blocks { id: fresh_id("l") })).await;
    assert_eq!(listed["users"], serde_json::json!([]));
    for client in [a, a2, b, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn in_a_group_the_blocker_alone_gets_placeholders() {
    let stack = stack::shared();
    let alice = sign_up(stack, "gblock-alice").await;
    let bob = sign_up(stack, "gblock-bob").await;
    let carol = sign_up(stack, "gblock-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    a.send(&create_group(
        &fresh_id("g"),
        "blocks",
        &[bob.user_id.as_str(), carol.user_id.as_str()],
    ))
    .await;
    let group = a.frame_of_type("group").await;
    let conversation = group["conversation"].as_str().unwrap().to_owned();
    assert_eq!(reply(&mut a, &block(&bob, true)).await["type"], "blocked");

    let id = fresh_id("gm");
    let sent = send_and_wait(&mut b, &send_to_conversation(&id, &conversation, "all")).await;
    let seq = sent["seq"].as_u64().unwrap();
    assert_eq!(message_with_id(&mut c, &id).await["body"], "all");
    skip_for(&mut a, &conversation, seq).await;
    let hers = message_item(stack, &alice.user_id, &position(&sent))
        .await
        .expect("Alice's placeholder");
    assert!(!hers.contains_key("body"), "{hers:?}");
    // Alice's own messages still reach Bob.
    let hers_id = fresh_id("from-alice");
    send_and_wait(
        &mut a,
        &send_to_conversation(&hers_id, &conversation, "hello"),
    )
    .await;
    message_with_id(&mut b, &hers_id).await;
    for client in [a, b, c] {
        client.close().await;
    }
}
