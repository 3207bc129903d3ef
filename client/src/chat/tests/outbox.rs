//! The outbox: stored first, resent with the same id until `sent` or a final refusal.

use serde_json::json;
use std::time::Duration;

use super::*;
use crate::flight::REPLY_TIMEOUT;
use crate::store::Tick;

fn sends(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["action"] == "send")
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_send_is_stored_before_it_goes_out_and_leaves_the_outbox_on_sent() {
    let mut h = Harness::new();
    h.send_text("m1", "hello");
    assert_eq!(h.store.outbox().unwrap().len(), 1, "stored while offline");
    assert!(h.frames().is_empty(), "nothing goes out while offline");
    h.connect();
    assert_eq!(sends(&h.frames()), ["m1"]);
    assert_eq!(h.store.outbox().unwrap()[0].attempts, 1);

    h.server(sent("m1", 1));
    let events = h.events();
    assert!(events.contains(&Event::Tick {
        id: "m1".into(),
        conversation: dm(),
        seq: 1,
        tick: Tick::Sent
    }));
    assert_eq!(
        delivered(&events),
        [1],
        "the own message takes its place in order"
    );
    assert!(h.store.outbox().unwrap().is_empty());
    assert_eq!(
        h.store.message(&dm(), 1).unwrap().unwrap().body.as_deref(),
        Some("hello")
    );

    // A late duplicate `sent` (answer to a retry) changes nothing.
    h.server(sent("m1", 1));
    assert!(h.events().is_empty());
}

#[test]
fn transient_refusals_are_retried_with_the_same_id_after_a_backoff() {
    let mut h = Harness::online();
    h.send_text("m1", "hello");
    assert_eq!(sends(&h.frames()), ["m1"]);
    h.server(json!({"type": "error", "id": "m1", "code": "internal", "message": "x"}));
    assert!(sends(&h.frames()).is_empty(), "not again at once");
    h.pass(Duration::from_secs(1));
    assert_eq!(sends(&h.frames()), ["m1"]);
    h.server(json!({"type": "error", "id": "m1", "code": "rate_limited", "message": "x"}));
    h.pass(Duration::from_millis(400));
    assert!(sends(&h.frames()).is_empty(), "the second wait is longer");
    h.pass(Duration::from_millis(700));
    assert_eq!(sends(&h.frames()), ["m1"]);
    // The gateway's own error names no frame: what awaits a reply goes again.
    let gateway =
        json!({"message": "Internal server error", "connectionId": "c", "requestId": "r"});
    assert!(serde_json::from_value::<ServerFrame>(gateway).is_err());
    h.chat.gateway_error(h.now).unwrap();
    h.pass(Duration::from_secs(5));
    assert_eq!(sends(&h.frames()), ["m1"]);
    h.server(sent("m1", 1));
    h.pass(Duration::from_secs(120));
    assert!(sends(&h.frames()).is_empty(), "done once sent");
}

#[test]
fn a_final_refusal_ends_the_send_and_tells_the_application() {
    let mut h = Harness::online();
    h.send_text("m1", "hello");
    h.frames();
    h.server(json!({"type": "error", "id": "m1", "code": "forbidden", "message": "not a member"}));
    let events = h.events();
    assert!(
        matches!(&events[..], [Event::SendFailed { id, code: parley_protocol::ErrorCode::Forbidden, .. }] if id == "m1")
    );
    h.pass(Duration::from_secs(600));
    assert!(sends(&h.frames()).is_empty(), "never sent again");
    let stored = h.store.outbox().unwrap();
    assert!(stored[0].failed.is_some(), "kept, marked failed");
    let mut h = h.restart();
    h.connect();
    assert!(sends(&h.frames()).is_empty(), "not after a restart either");
}

#[test]
fn a_send_cut_off_by_a_disconnect_goes_again_on_the_next_connection() {
    let mut h = Harness::online();
    h.send_text("m1", "hello");
    assert_eq!(sends(&h.frames()), ["m1"]);
    h.disconnect();
    h.pass(Duration::from_secs(3));
    assert!(h.frames().is_empty(), "nothing while offline");
    h.connect();
    assert_eq!(sends(&h.frames()), ["m1"], "the same id again");
}

#[test]
fn an_unanswered_send_goes_again_after_the_reply_timeout() {
    let mut h = Harness::online();
    h.send_text("m1", "hello");
    h.frames();
    h.pass(REPLY_TIMEOUT - Duration::from_secs(1));
    assert!(sends(&h.frames()).is_empty());
    h.pass(Duration::from_secs(1));
    h.pass(Duration::from_secs(1));
    assert_eq!(sends(&h.frames()), ["m1"]);
}

#[test]
fn sends_to_one_conversation_go_one_at_a_time_in_order() {
    let mut h = Harness::online();
    h.send_text("m1", "one");
    h.send_text("m2", "two");
    h.chat
        .send(Send::to_user("m3", "carol", "elsewhere"), h.now)
        .unwrap();
    assert_eq!(sends(&h.frames()), ["m1", "m3"]);
    assert_eq!(
        h.chat.next_wakeup(),
        Some(h.now + REPLY_TIMEOUT),
        "the send queued behind m1 waits for m1's answer, not for the clock"
    );
    h.server(sent("m1", 1));
    assert_eq!(sends(&h.frames()), ["m2"]);
}

#[test]
fn a_restart_resends_what_was_unanswered_and_nothing_that_was() {
    let mut h = Harness::online();
    h.send_text("m1", "one");
    h.chat
        .send(Send::to_user("m2", "carol", "two"), h.now)
        .unwrap();
    h.frames();
    h.server(sent("m1", 1));
    let mut h = h.restart();
    h.connect();
    let frames = h.frames();
    assert_eq!(sends(&frames), ["m2"]);
    assert_eq!(
        frames.iter().find(|f| f["action"] == "send").unwrap()["body"],
        "two"
    );
}

#[test]
fn an_own_message_seen_by_sync_completes_a_send_whose_sent_was_lost() {
    let mut h = Harness::online();
    h.send_text("m1", "hello");
    h.frames();
    h.disconnect();
    h.connect();
    h.take();
    h.server(
        json!({"type": "message", "conversation": dm(), "seq": 1, "messageId": "x", "id": "m1",
                    "from": ME, "ts": 5, "cursor": "k", "body": "hello"}),
    );
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    let (frames, events) = h.take();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Tick {
            tick: Tick::Sent,
            ..
        }
    )));
    assert!(h.store.outbox().unwrap().is_empty());
    h.pass(Duration::from_secs(60));
    assert!(
        sends(&frames).is_empty() && sends(&h.frames()).is_empty(),
        "never sent again"
    );
}
