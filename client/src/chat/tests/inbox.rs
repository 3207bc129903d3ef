//! Sync and delivery: once, in order, holding back after a gap.

use serde_json::json;
use std::time::Duration;

use super::*;
use crate::chat::inbox::{GAP_GIVE_UP, GAP_RESYNC};
use crate::events::ConnectionState;

fn syncs(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f["action"] == "sync")
        .cloned()
        .collect()
}

fn acks(frames: &[Value]) -> Vec<(u64, String)> {
    frames
        .iter()
        .filter(|f| f["action"] == "ack")
        .map(|f| {
            (
                f["seq"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_connect_syncs_from_the_stored_cursor_until_no_more() {
    let mut h = Harness::new();
    h.connect();
    assert_eq!(
        syncs(&h.frames()),
        [json!({"action": "sync"})],
        "from the start"
    );
    h.server(message(1, "one"));
    h.server(json!({"type": "synced", "cursor": "c1", "more": true}));
    let (frames, first) = h.take();
    assert_eq!(syncs(&frames), [json!({"action": "sync", "cursor": "c1"})]);
    assert_eq!(delivered(&first), [1], "seq 1 follows what this device had");
    assert_eq!(acks(&frames), [(1, "delivered".into())]);
    h.server(message(2, "two"));
    h.server(json!({"type": "synced", "cursor": "c2", "more": false}));
    let (frames, events) = h.take();
    assert!(syncs(&frames).is_empty());
    assert_eq!(delivered(&events), [2]);
    assert_eq!(
        events.last(),
        Some(&Event::Connection(ConnectionState::Synced))
    );
    assert_eq!(acks(&frames), [(2, "delivered".into())]);

    h.disconnect();
    h.connect();
    assert_eq!(
        syncs(&h.frames()),
        [json!({"action": "sync", "cursor": "c2"})]
    );
}

#[test]
fn a_live_message_does_not_move_the_cursor() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    assert_eq!(h.store.cursor().unwrap().as_deref(), Some("c0"));
}

#[test]
fn duplicates_are_delivered_once() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.server(message(1, "one"));
    h.connect();
    h.server(message(1, "one"));
    h.server(message(2, "two"));
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    h.server(message(2, "two"));
    assert_eq!(delivered(&h.events()), [1, 2]);
}

#[test]
fn a_gap_holds_later_messages_back_until_a_sync_fills_it() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    assert_eq!(delivered(&h.events()), [1]);
    h.server(message(3, "three"));
    h.server(message(4, "four"));
    let (frames, events) = h.take();
    assert!(delivered(&events).is_empty(), "3 and 4 wait for 2");
    assert_eq!(syncs(&frames).len(), 1, "the gap asks for a sync");
    h.server(message(2, "two"));
    h.server(message(3, "three"));
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    let (frames, events) = h.take();
    assert_eq!(delivered(&events), [2, 3, 4]);
    assert_eq!(acks(&frames), [(4, "delivered".into())]);
}

#[test]
fn a_gap_no_sync_fills_is_stepped_over_in_the_end() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.server(message(3, "three"));
    h.take();
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    assert!(delivered(&h.events()).is_empty());
    h.pass(GAP_RESYNC);
    assert_eq!(syncs(&h.frames()).len(), 1, "tries again");
    h.now += GAP_GIVE_UP;
    h.server(json!({"type": "synced", "cursor": "c2", "more": false}));
    assert_eq!(delivered(&h.events()), [3]);
}

#[test]
fn a_new_conversation_waits_for_the_sync_then_starts_where_its_messages_start() {
    let mut h = Harness::new();
    h.connect();
    h.take();
    // Live while the sync runs: the sync may hold earlier messages of it.
    h.server(message_in(group(), 6, BOB, "live"));
    assert!(delivered(&h.events()).is_empty());
    h.server(message_in(group(), 5, BOB, "added me"));
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    assert_eq!(delivered(&h.events()), [5, 6]);
}

#[test]
fn a_refused_sync_is_asked_again_after_a_backoff() {
    let mut h = Harness::new();
    h.connect();
    h.take();
    h.server(json!({"type": "error", "code": "internal", "message": "x"}));
    assert!(syncs(&h.frames()).is_empty());
    h.pass(Duration::from_secs(1));
    assert_eq!(syncs(&h.frames()).len(), 1);
}

#[test]
fn marks_read_are_acked_and_kept_for_the_next_connection_when_offline() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.take();
    h.chat.mark_read(dm(), 1).unwrap();
    assert_eq!(acks(&h.frames()), [(1, "read".into())]);
    h.chat.mark_read(dm(), 1).unwrap();
    assert!(acks(&h.frames()).is_empty(), "once");
    h.disconnect();
    h.chat.mark_read(dm(), 2).unwrap();
    assert!(h.frames().is_empty());
    h.connect();
    assert_eq!(
        acks(&h.frames()),
        [(1, "delivered".into()), (2, "read".into())],
        "the read mark made offline, and the acks of the lost connection"
    );
}

#[test]
fn delivery_survives_a_restart_without_repeating() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.server(message(2, "two"));
    h.take();
    let mut h = h.restart();
    h.connect();
    h.server(message(1, "one"));
    h.server(message(2, "two"));
    h.server(message(3, "three"));
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    assert_eq!(delivered(&h.events()), [3]);
}

#[test]
fn acks_put_on_a_connection_that_dropped_go_again_on_the_next() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.chat.mark_read(dm(), 1).unwrap();
    assert_eq!(
        acks(&h.frames()),
        [(1, "delivered".into()), (1, "read".into())]
    );
    h.disconnect();
    h.connect();
    assert_eq!(
        acks(&h.frames()),
        [(1, "delivered".into()), (1, "read".into())]
    );
    // A `synced` answered after them: the connection carried them.
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    h.disconnect();
    h.connect();
    assert!(acks(&h.frames()).is_empty());
}
