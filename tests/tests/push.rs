//! Push notifications (issue 5), end to end through the local stack: `registerPush`, then
//! messages stored for online and offline users, read back from what moto's SNS recorded
//! per platform endpoint (`/moto-api/data.json`). Every test makes its own users and tokens.

use aws_sdk_dynamodb::types::AttributeValue;
use parley_protocol::client::Platform;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::sns::{endpoints, published_to};
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::{await_connection_gone, dynamodb, put_connection};
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long a push may take: the stream poller's batching window plus a retry or two.
const PUSH_WITHIN: Duration = Duration::from_secs(20);

fn sns(stack: &StackInfo) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::config::Builder::new()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(&stack.aws_endpoint)
        .region(aws_sdk_sns::config::Region::new(stack.region.clone()))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "t", "t", None, None, "tests",
        ))
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// Waits until `token` has `n` notifications naming `message_id`, then a moment more to
/// show no further one comes.
async fn await_pushes(stack: &StackInfo, token: &str, message_id: &str, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let pushes: Vec<Value> = published_to(stack, token)
            .await
            .into_iter()
            .filter(|p| p.to_string().contains(message_id))
            .collect();
        if pushes.len() >= n {
            tokio::time::sleep(QUIET * 2).await;
            let again: Vec<Value> = published_to(stack, token)
                .await
                .into_iter()
                .filter(|p| p.to_string().contains(message_id))
                .collect();
            assert_eq!(
                again.len(),
                n,
                "{token}: more than {n} notifications for {message_id}: {again:?}"
            );
            return again;
        }
        assert!(
            started.elapsed() < PUSH_WITHIN,
            "{token}: {} of {n} notifications for {message_id} within {PUSH_WITHIN:?}\n{}",
            pushes.len(),
            stack::tail(&stack.log_file)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn register(client: &mut Client, platform: &str, token: &str) {
    let id = fresh_id("reg");
    let platform = Platform::parse(platform).expect("a platform the protocol knows");
    client.send(&register_push(&id, platform, token)).await;
    let reply = client
        .frame_where("the reply to registerPush", |f| f["id"] == id.as_str())
        .await;
    assert_eq!(reply, json!({"type": "pushRegistered", "id": id}));
}

/// Registers tokens for `user` from a device, then closes it: the user is offline.
async fn offline_with_tokens(stack: &StackInfo, user: &TestUser, tokens: &[(&str, &str)]) {
    let mut phone = device(stack, user).await;
    for (platform, token) in tokens {
        register(&mut phone, platform, token).await;
    }
    close_device(stack, user, phone, 0).await;
}

#[tokio::test]
async fn an_offline_user_gets_one_push_per_device_without_the_text() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-alice").await;
    let bob = sign_up(stack, "push-bob").await;
    let android = fresh_id("fcm-token");
    let iphone = fresh_id("apns-token");
    offline_with_tokens(stack, &bob, &[("fcm", &android), ("apns", &iphone)]).await;

    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(
        &mut a,
        &send_to_user(&fresh_id("m"), &bob, "meet at the secret place"),
    )
    .await;
    let message_id = sent["messageId"].as_str().unwrap();

    let fcm = await_pushes(stack, &android, message_id, 1).await;
    let apns = await_pushes(stack, &iphone, message_id, 1).await;
    for push in fcm.iter().chain(&apns) {
        assert!(
            !push.to_string().contains("secret"),
            "the text leaked: {push}"
        );
    }
    let data: Value = serde_json::from_str(fcm[0]["GCM"].as_str().unwrap()).unwrap();
    let data = &data["fcmV1Message"]["message"]["data"];
    assert_eq!(data["conversation"], sent["conversation"]);
    assert_eq!(data["from"], alice.user_id.as_str());
    assert_eq!(data["messageId"], message_id);
    let aps: Value = serde_json::from_str(apns[0]["APNS"].as_str().unwrap()).unwrap();
    assert_eq!(aps["aps"]["mutable-content"], 1);
    assert_eq!(aps["parley"]["messageId"], message_id);
}

#[tokio::test]
async fn an_online_user_gets_no_push_and_typing_never_pushes() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-on-alice").await;
    let bob = sign_up(stack, "push-on-bob").await;
    let carol = sign_up(stack, "push-on-carol").await;
    let bobs_token = fresh_id("fcm-token");
    let carols_token = fresh_id("fcm-token");
    let mut b = device(stack, &bob).await;
    register(&mut b, "fcm", &bobs_token).await;
    offline_with_tokens(stack, &carol, &[("fcm", &carols_token)]).await;

    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(
        &mut a,
        &send_to_user(&fresh_id("m"), &bob, "you are online"),
    )
    .await;
    message_with_id(&mut b, sent["id"].as_str().unwrap()).await;
    // Typing to offline carol: never stored, never pushed.
    let (low, high) = if alice.user_id < carol.user_id {
        (&alice.user_id, &carol.user_id)
    } else {
        (&carol.user_id, &alice.user_id)
    };
    a.send(&typing(&format!("d:{low}:{high}"))).await;
    // Bob stays online past the stream's batching window and the push function's check.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(published_to(stack, &bobs_token).await, Vec::<Value>::new());
    assert_eq!(
        published_to(stack, &carols_token).await,
        Vec::<Value>::new()
    );
    drop(b);
}

#[tokio::test]
async fn a_failing_endpoint_is_removed() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-gone-alice").await;
    let bob = sign_up(stack, "push-gone-bob").await;
    let good = fresh_id("fcm-good");
    let bad = fresh_id("fcm-bad");
    offline_with_tokens(stack, &bob, &[("fcm", &good), ("fcm", &bad)]).await;
    let bad_endpoint = endpoints(stack)
        .await
        .into_iter()
        .find(|e| e["token"] == bad.as_str())
        .and_then(|e| e["arn"].as_str().map(str::to_owned))
        .expect("an endpoint for the token");
    // What SNS does when FCM reports the token unregistered.
    sns(stack)
        .set_endpoint_attributes()
        .endpoint_arn(&bad_endpoint)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();

    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "one")).await;
    await_pushes(stack, &good, sent["messageId"].as_str().unwrap(), 1).await;
    let started = Instant::now();
    while sns(stack)
        .get_endpoint_attributes()
        .endpoint_arn(&bad_endpoint)
        .send()
        .await
        .is_ok()
    {
        assert!(
            started.elapsed() < PUSH_WITHIN,
            "the disabled endpoint was not removed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(published_to(stack, &bad).await.is_empty());
}

#[tokio::test]
async fn a_user_whose_only_connection_turns_out_gone_is_pushed_after_all() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-gone-alice").await;
    let bob = sign_up(stack, "push-gone-bob").await;
    let token = fresh_id("fcm-gone");
    offline_with_tokens(stack, &bob, &[("fcm", &token)]).await;
    // A record left behind by a connection API Gateway no longer has ($disconnect never
    // ran): Bob looks online when the message is stored, and the post answers 410.
    let stale = format!("Gone{}pUsHxY=", std::process::id());
    put_connection(stack, &bob.user_id, &stale).await;

    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "still there?")).await;
    await_connection_gone(stack, &bob.user_id, &stale, PUSH_WITHIN).await;
    let pushes = await_pushes(stack, &token, sent["messageId"].as_str().unwrap(), 1).await;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
}

/// A message copy the push function cannot read (no messageId), as a bug would write it.
async fn put_unreadable_copy(stack: &StackInfo, owner: &str) {
    dynamodb(stack)
        .put_item()
        .table_name(stack.table("MessagesTable"))
        .item("userId", AttributeValue::S(owner.to_owned()))
        .item(
            "sk",
            AttributeValue::S(format!("p#0000000000001#d:x:{owner}#000000000001")),
        )
        .item("conversation", AttributeValue::S(format!("d:x:{owner}")))
        // Marked for push, as the messages function marks an offline member's copy.
        .item("offline", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failing_record_is_retried_and_a_redelivered_record_notifies_no_one_twice() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-retry-alice").await;
    let bob = sign_up(stack, "push-retry-bob").await;
    let carol = sign_up(stack, "push-retry-carol").await;
    let token = fresh_id("fcm-retry");
    offline_with_tokens(stack, &bob, &[("fcm", &token)]).await;

    // The unreadable record first: its retries redeliver the message after it in the
    // shard (Lambda retries from the lowest failed record on), which must not push again.
    put_unreadable_copy(stack, &carol.user_id).await;
    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(
        &mut a,
        &send_to_user(&fresh_id("m"), &bob, "after a poison record"),
    )
    .await;
    await_pushes(stack, &token, sent["messageId"].as_str().unwrap(), 1).await;

    let started = Instant::now();
    loop {
        let log = stack.log();
        if log.contains("stream records sent to the on-failure destination") {
            assert!(
                log.contains("retrying stream records"),
                "no retry was logged"
            );
            break;
        }
        assert!(
            started.elapsed() < PUSH_WITHIN * 2,
            "the failing record never reached the on-failure destination"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Still exactly one.
    await_pushes(stack, &token, sent["messageId"].as_str().unwrap(), 1).await;
}

#[tokio::test]
async fn an_offline_user_is_pushed_without_the_encrypted_content() {
    let stack = stack::shared();
    let alice = sign_up(stack, "push-enc-alice").await;
    let bob = sign_up(stack, "push-enc-bob").await;
    let android = fresh_id("fcm-token");
    offline_with_tokens(stack, &bob, &[("fcm", &android)]).await;
    let mut a = device(stack, &alice).await;
    // Issue 15: `encrypted` in place of `body`, stored and delivered opaquely.
    let content = r#"{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEoABsecretcipher","session_id":"aSuo"}"#;
    let send = parley_protocol::client::Send::to_user(fresh_id("m"), &bob.user_id, "")
        .with_encrypted(content);
    let sent = send_and_wait(&mut a, &parley_protocol::ClientFrame::Send(send)).await;
    let message_id = sent["messageId"].as_str().unwrap();
    let pushes = await_pushes(stack, &android, message_id, 1).await;
    let published = pushes[0].to_string();
    for part in ["secretcipher", "megolm", "ciphertext", "aSuo"] {
        assert!(!published.contains(part), "{part} leaked: {published}");
    }
    a.close().await;
}
