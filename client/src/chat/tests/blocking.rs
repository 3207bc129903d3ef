//! Blocking: a `skip` (the placeholder for an entry from someone the user blocks) fills its
//! seq without being handed out, acked on its own or changed; `blocked` reaches the
//! application.

use serde_json::json;

use super::*;

fn skip(seq: u64) -> Value {
    json!({"type": "skip", "conversation": group(), "seq": seq, "cursor": format!("k{seq}")})
}

fn acked(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f["action"] == "ack")
        .map(|f| f["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_skip_fills_its_seq_so_the_next_message_is_delivered_without_a_sync() {
    let mut h = Harness::online();
    h.server(message_in(group(), 1, BOB, "one"));
    h.take();
    h.server(skip(2));
    let (frames, events) = h.take();
    assert!(events.is_empty(), "a skip is never handed out: {events:?}");
    assert!(
        frames.is_empty(),
        "no ack of a skip on its own, and no sync: {frames:?}"
    );
    h.server(message_in(group(), 3, "carol", "three"));
    let (frames, events) = h.take();
    assert_eq!(delivered(&events), [3], "no gap waits at seq 2");
    assert_eq!(actions(&frames), ["ack"], "no sync for a gap");
    assert_eq!(acked(&frames), [3]);
    assert_eq!(h.store.conversation(&group()).unwrap().delivered, 3);
}

#[test]
fn a_skip_by_sync_after_a_gap_releases_the_messages_held_behind_it() {
    let mut h = Harness::online();
    h.server(message_in(group(), 1, BOB, "one"));
    h.server(message_in(group(), 3, "carol", "three"));
    let (frames, events) = h.take();
    assert_eq!(delivered(&events), [1], "seq 3 waits for seq 2");
    assert_eq!(actions(&frames), ["ack", "sync"]);
    h.server(skip(2));
    h.server(json!({"type": "synced", "cursor": "c3", "more": false}));
    let (frames, events) = h.take();
    assert_eq!(delivered(&events), [3]);
    assert_eq!(acked(&frames), [3]);
    assert!(h.chat.next_wakeup().is_none(), "no gap left to sync for");
}

#[test]
fn a_change_to_a_skipped_entry_is_not_handed_out() {
    let mut h = Harness::online();
    h.server(skip(1));
    h.server(
        json!({"type": "message", "conversation": group(), "seq": 2, "messageId": "m2",
                    "id": "carol-2", "from": "carol", "ts": 1002, "cursor": "k2",
                    "kind": "react", "target": 1, "body": "👍"}),
    );
    let events = h.events();
    assert!(
        !events.iter().any(|e| matches!(e, Event::Changed { .. })),
        "{events:?}"
    );
    assert_eq!(h.store.conversation(&group()).unwrap().delivered, 2);
}

#[test]
fn blocked_on_another_device_reaches_the_application() {
    let mut h = Harness::online();
    h.server(json!({"type": "blocked", "user": BOB, "blocked": true}));
    assert_eq!(
        h.events(),
        [Event::Blocked {
            user: BOB.into(),
            blocked: true
        }]
    );
}
