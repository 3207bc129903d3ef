//! Encrypted send (issue 15, stage 4), end to end through the local stack: a `send` may carry
//! `encrypted` (the Megolm event's content as the crypto library made it) instead of `body`;
//! the server stores it and delivers it byte for byte, with the same seq, receipts, sync,
//! history and push as a plain message (tests/tests/push.rs shows no push carries it). Edits, reactions and
//! replies carry encrypted content too. The content here is a realistic stand-in: the
//! server never parses it, and the clients' own tests decrypt real ones.

use parley_protocol::client::Send;
use parley_protocol::limits::MAX_ENCRYPTED_BYTES;
use parley_protocol::{AckStatus, ChangeKind, ClientFrame};
use parley_tests::chat::*;
use parley_tests::stack;
use parley_tests::tables::message_item;
use parley_tests::users::{sign_up, TestUser};
use serde_json::Value;

/// A Megolm event's content as matrix-sdk-crypto writes it, made unique per call, with the
/// characters a careless copy would alter: escaped quotes, a backslash, non-ASCII, `/`, `+`.
fn megolm(tag: &str) -> String {
    format!(
        r#"{{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEoABz+/q{tag}é\"\\","device_id":"ALICEPHONE01","sender_key":"mZLN+1bS8vADJb0eHoXHHpR4u1c9uGeYGyBp5HIWi52H4gI","session_id":"aSuo/GjukaCtdXSGdj"}}"#
    )
}

fn encrypted_to_user(id: &str, to: &TestUser, content: &str) -> ClientFrame {
    ClientFrame::Send(Send::to_user(id, &to.user_id, "").with_encrypted(content))
}

fn encrypted_to_conversation(id: &str, conversation: &str, content: &str) -> ClientFrame {
    ClientFrame::Send(
        Send::to_conversation(id, conversation_id(conversation), "").with_encrypted(content),
    )
}

fn encrypted_change(
    id: &str,
    conversation: &str,
    kind: ChangeKind,
    target: u64,
    content: &str,
) -> ClientFrame {
    ClientFrame::Send(
        Send::change(id, conversation_id(conversation), kind, target, None).with_encrypted(content),
    )
}

/// Asserts `frame` is a `message` carrying exactly `content` and no body.
fn assert_carries(frame: &Value, content: &str) {
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["encrypted"].as_str(), Some(content), "{frame}");
    assert!(frame.get("body").is_none(), "no body beside it: {frame}");
}

#[tokio::test]
async fn an_encrypted_message_is_stored_and_delivered_byte_for_byte_like_any_message() {
    let stack = stack::shared();
    let alice = sign_up(stack, "enc-alice").await;
    let bob = sign_up(stack, "enc-bob").await;
    let mut a = device(stack, &alice).await;
    let mut a2 = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let plain = send_and_wait(&mut a, &send_to_user(&fresh_id("p"), &bob, "plain first")).await;
    let conversation = plain["conversation"].as_str().unwrap().to_owned();
    let content = megolm("first");
    let id = fresh_id("enc");
    let sent = send_and_wait(&mut a, &encrypted_to_user(&id, &bob, &content)).await;
    assert_eq!(sent["type"], "sent", "{sent}");
    assert_eq!(sent["seq"], 2, "the next seq of the conversation");
    assert_eq!(sent["conversation"].as_str(), Some(conversation.as_str()));
    for device in [&mut b, &mut a2] {
        let live = message_with_id(device, &id).await;
        assert_carries(&live, &content);
        assert_eq!(live["seq"], 2);
        assert_eq!(live["from"], alice.user_id.as_str());
        assert_eq!(live["messageId"], sent["messageId"]);
    }

    // A retry with the same id stores nothing new and answers the same `sent`.
    let again = send_and_wait(&mut a, &encrypted_to_user(&id, &bob, &content)).await;
    assert_eq!(again, sent);

    // Receipts: bob's read of seq 2 reaches alice.
    b.send(&ack(&conversation, 2, AckStatus::Read)).await;
    let receipt = a
        .frame_where("alice's receipt", |f| {
            f["type"] == "receipt" && f["conversation"] == conversation.as_str()
        })
        .await;
    assert_eq!(receipt["seq"], 2, "{receipt}");
    assert_eq!(receipt["by"], bob.user_id.as_str(), "{receipt}");

    // Stored opaquely: the conversation's log and each mailbox copy hold the string as
    // sent, and no body.
    let logged = message_item(stack, &conversation, "s#000000000002")
        .await
        .expect("the log holds the encrypted message");
    assert_eq!(logged["encrypted"].as_s().unwrap(), &content);
    assert!(!logged.contains_key("body"));

    // History: a device that syncs later gets it, in order after the plain one.
    let mut fresh = device(stack, &bob).await;
    let synced = sync_all(&mut fresh, None, None).await;
    assert_eq!(seqs_in(&synced.messages, &conversation), vec![1, 2]);
    assert_eq!(synced_at(&synced, &conversation, 1)["body"], "plain first");
    assert_carries(synced_at(&synced, &conversation, 2), &content);
    for client in [a, a2, b, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn encrypted_edits_reactions_and_replies_in_a_group_reach_every_member_and_sync() {
    let stack = stack::shared();
    let alice = sign_up(stack, "enc-g-alice").await;
    let bob = sign_up(stack, "enc-g-bob").await;
    let carol = sign_up(stack, "enc-g-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    let id = fresh_id("g");
    a.send(&create_group(
        &id,
        "sealed",
        &[bob.user_id.as_str(), carol.user_id.as_str()],
    ))
    .await;
    let group = a
        .frame_where("the `group` reply", |f| f["id"] == id.as_str())
        .await;
    let group = group["conversation"].as_str().unwrap().to_owned();

    // seq 1 is the group's creation; 2 the encrypted message.
    let original = megolm("orig");
    let original_id = fresh_id("o");
    let sent = send_and_wait(
        &mut a,
        &encrypted_to_conversation(&original_id, &group, &original),
    )
    .await;
    assert_eq!(sent["seq"], 2, "{sent}");
    for device in [&mut b, &mut c] {
        assert_carries(&message_with_id(device, &original_id).await, &original);
    }

    // An encrypted edit by the author, an encrypted reaction by bob, an encrypted reply by
    // carol: each an entry of its own, delivered with its content as sent.
    let edit = megolm("edit");
    let edit_id = fresh_id("e");
    send_and_wait(
        &mut a,
        &encrypted_change(&edit_id, &group, ChangeKind::Edit, 2, &edit),
    )
    .await;
    let reaction = megolm("react");
    let react_id = fresh_id("r");
    send_and_wait(
        &mut b,
        &encrypted_change(&react_id, &group, ChangeKind::React, 2, &reaction),
    )
    .await;
    let reply = megolm("reply");
    let reply_id = fresh_id("q");
    let mut quoting = Send::to_conversation(&reply_id, conversation_id(&group), "")
        .with_encrypted(reply.as_str());
    quoting.reply_to = Some(parley_protocol::ReplyTo {
        seq: 2,
        preview: None,
    });
    send_and_wait(&mut c, &ClientFrame::Send(quoting)).await;

    // Every member's device gets every entry it did not send, content as sent.
    let entries = [
        (&edit_id, &edit, "edit"),
        (&react_id, &reaction, "react"),
        (&reply_id, &reply, "reply"),
    ];
    for (device, own) in [(&mut a, "edit"), (&mut b, "react"), (&mut c, "reply")] {
        for (frame_id, content, what) in entries {
            if what == own {
                continue;
            }
            let live = message_with_id(device, frame_id).await;
            assert_carries(&live, content);
            match what {
                "edit" | "react" => {
                    assert_eq!(live["kind"].as_str(), Some(what), "{live}");
                    assert_eq!(live["target"], 2, "{live}");
                }
                _ => assert_eq!(live["replyTo"]["seq"], 2, "{live}"),
            }
        }
    }

    // A member's device that syncs later gets the original with its state: the encrypted
    // edit and reaction as sent (their `body` empty), then the entries.
    let mut fresh = device(stack, &carol).await;
    let synced = sync_all(&mut fresh, None, None).await;
    assert_eq!(seqs_in(&synced.messages, &group), vec![1, 2, 3, 4, 5]);
    let stated = synced_at(&synced, &group, 2);
    assert_carries(stated, &original);
    let state = &stated["state"];
    assert_eq!(state["version"], 4, "{stated}");
    assert_eq!(state["edited"]["encrypted"].as_str(), Some(edit.as_str()));
    assert_eq!(state["edited"]["body"], "", "{stated}");
    let bobs = &state["reactions"][bob.user_id.as_str()];
    assert_eq!(
        bobs["encrypted"].as_str(),
        Some(reaction.as_str()),
        "{stated}"
    );
    assert_eq!(bobs["seq"], 4);
    let quoted = synced_at(&synced, &group, 5);
    assert_carries(quoted, &reply);
    assert_eq!(quoted["replyTo"]["seq"], 2, "{quoted}");
    assert_eq!(
        quoted["replyTo"]["from"],
        alice.user_id.as_str(),
        "{quoted}"
    );
    for client in [a, b, c, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn encrypted_sends_are_checked() {
    let stack = stack::shared();
    let alice = sign_up(stack, "enc-bad-alice").await;
    let bob = sign_up(stack, "enc-bad-bob").await;
    let mut a = device(stack, &alice).await;
    let both = fresh_id("both");
    a.send_json(
        &serde_json::json!({"action": "send", "id": both, "toUser": bob.user_id,
        "body": "x", "encrypted": megolm("both")}),
    )
    .await;
    let error = error_for(&mut a, &both).await;
    assert_eq!(error["code"], "bad_request", "{error}");
    assert_clean_error(&error);
    let big = fresh_id("big");
    let over = "A".repeat(MAX_ENCRYPTED_BYTES + 1);
    // Sent in fragments, as a client sends any frame over API Gateway's 32 KB frame limit.
    a.send_fragmented(
        &as_json(&encrypted_to_user(&big, &bob, &over)).to_string(),
        16 * 1024,
    )
    .await;
    let error = error_for(&mut a, &big).await;
    assert_eq!(error["code"], "too_large", "{error}");
    // Nothing was stored: the next message is the conversation's first.
    let sent = send_and_wait(
        &mut a,
        &encrypted_to_user(&fresh_id("ok"), &bob, &megolm("ok")),
    )
    .await;
    assert_eq!(sent["seq"], 1, "{sent}");
    a.close().await;
}
