//! `parley timer` against the local stack: the timer is stored and announced (the other
//! member's `sync` shows the entry), messages sent under it carry their `expiresAt`, and a
//! duration other than off, 24h, 7d or 90d is bad usage.

mod common;

use common::{home, json_lines, parley, signed_in_user, stack_file};
use parley_tests::stack;
use serde_json::Value;

#[tokio::test]
async fn a_timer_is_set_announced_and_applies_to_what_is_sent_next() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ana_home, ben_home) = (home("timer-ana"), home("timer-ben"));
    signed_in_user(&stack_json, &ana_home).await;
    let (ben, _) = signed_in_user(&stack_json, &ben_home).await;

    let hello = parley(&stack_json, &ana_home, &["send", &ben, "hello"]).await;
    assert_eq!(hello.status.code(), Some(0), "{hello:?}");
    let set = parley(&stack_json, &ana_home, &["timer", &ben, "24h"]).await;
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    let set = &json_lines(&set.stdout)[0];
    assert_eq!(set["event"], "timer", "{set}");
    assert_eq!(set["seconds"], 86_400, "{set}");
    assert_eq!(set["seq"], 2, "{set}");
    let secret = parley(&stack_json, &ana_home, &["send", &ben, "gone tomorrow"]).await;
    assert_eq!(secret.status.code(), Some(0), "{secret:?}");

    let synced = parley(&stack_json, &ben_home, &["sync"]).await;
    assert_eq!(synced.status.code(), Some(0), "{synced:?}");
    let messages: Vec<Value> = json_lines(&synced.stdout)
        .into_iter()
        .filter(|line| line["event"] == "message")
        .collect();
    let at = |seq: u64| {
        messages
            .iter()
            .find(|m| m["seq"] == seq)
            .unwrap_or_else(|| panic!("no #{seq} in {messages:?}"))
    };
    assert_eq!(at(2)["timer"], 86_400, "the announcement: {messages:?}");
    assert!(at(1)["expiresAt"].is_null(), "sent before the timer");
    let expires_at = at(3)["expiresAt"].as_i64().expect("an expiry");
    let ts = at(3)["ts"].as_i64().unwrap();
    assert_eq!(expires_at, (ts / 1000 + 86_400) * 1000);

    let bad = parley(&stack_json, &ana_home, &["timer", &ben, "1h"]).await;
    assert_eq!(bad.status.code(), Some(1), "bad usage: {bad:?}");
}
