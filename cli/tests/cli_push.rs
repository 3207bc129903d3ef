//! `parley push register` against the local stack: the token becomes an SNS endpoint of the
//! user (read back from moto), a message to them while they are offline is pushed to it
//! without its text, the token is never printed, and a token the protocol refuses exits 2.

mod common;

use common::{home, json_line, parley, refusal, signed_in_user, stack_file};
use parley_tests::sns::published_to;
use parley_tests::stack;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The stream poller's batching window plus a retry or two.
const PUSH_WITHIN: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_registered_device_is_pushed_while_its_user_is_offline() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ana_home, ben_home) = (home("push-ana"), home("push-ben"));
    let (ana, _) = signed_in_user(&stack_json, &ana_home).await;
    let (_, _) = signed_in_user(&stack_json, &ben_home).await;
    let token = format!("fcm-{}", uuid::Uuid::new_v4().simple());

    let registered = parley(&stack_json, &ana_home, &["push", "register", "fcm", &token]).await;
    assert_eq!(registered.status.code(), Some(0), "{registered:?}");
    assert_eq!(
        json_line(&registered.stdout),
        serde_json::json!({"registered": true, "platform": "fcm"})
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&registered.stdout),
        String::from_utf8_lossy(&registered.stderr)
    );
    assert!(!printed.contains(&token), "the token is printed: {printed}");

    // Ana's command has ended: she has no live connection, so Ben's message is pushed.
    let text = "the text stays out of the push";
    let sent = parley(&stack_json, &ben_home, &["send", &ana, text]).await;
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    let conversation = json_line(&sent.stdout)["conversation"]
        .as_str()
        .expect("the conversation")
        .to_owned();
    let started = Instant::now();
    let pushes: Vec<Value> = loop {
        let pushes = published_to(stack, &token).await;
        if !pushes.is_empty() {
            break pushes;
        }
        assert!(
            started.elapsed() < PUSH_WITHIN,
            "no notification within {PUSH_WITHIN:?}\n{}",
            stack::tail(&stack.log_file)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let all = Value::Array(pushes).to_string();
    assert!(all.contains(&conversation), "{all}");
    assert!(!all.contains(text), "the push carries the text: {all}");

    let refused = parley(
        &stack_json,
        &ana_home,
        &["push", "register", "fcm", "a token with spaces"],
    )
    .await;
    refusal(&refused);
}
