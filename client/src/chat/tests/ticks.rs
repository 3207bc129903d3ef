//! Ticks from `sent` and `receipt`, never backwards; groups wait for every member.

use serde_json::json;

use super::*;
use crate::store::Tick;

fn ticks(events: &[Event]) -> Vec<(String, u64, Tick)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Tick { id, seq, tick, .. } => Some((id.clone(), *seq, *tick)),
            _ => None,
        })
        .collect()
}

fn receipt(conversation: ConversationId, seq: u64, by: &str, status: &str) -> Value {
    json!({"type": "receipt", "conversation": conversation, "seq": seq, "by": by, "status": status})
}

#[test]
fn a_direct_message_goes_sent_delivered_read_and_never_back() {
    let mut h = Harness::online();
    h.send_text("m1", "one");
    h.frames();
    h.server(sent("m1", 1));
    h.send_text("m2", "two");
    h.server(sent("m2", 2));
    assert_eq!(
        ticks(&h.events()),
        [("m1".into(), 1, Tick::Sent), ("m2".into(), 2, Tick::Sent)]
    );
    h.server(receipt(dm(), 1, BOB, "delivered"));
    assert_eq!(ticks(&h.events()), [("m1".into(), 1, Tick::Delivered)]);
    h.server(receipt(dm(), 2, BOB, "read"));
    assert_eq!(
        ticks(&h.events()),
        [("m1".into(), 1, Tick::Read), ("m2".into(), 2, Tick::Read)]
    );
    h.server(receipt(dm(), 2, BOB, "delivered"));
    h.server(receipt(dm(), 2, ME, "read"));
    assert!(ticks(&h.events()).is_empty(), "never backwards, nor twice");
}

#[test]
fn a_group_message_is_delivered_once_every_other_member_acked() {
    let mut h = Harness::online();
    h.server(json!({"type": "message", "conversation": group(), "seq": 1, "messageId": "g1", "id": "c",
        "from": ME, "ts": 1, "cursor": "k", "system": {"event": "created", "members": [ME, BOB, "carol"], "name": "team"}}));
    h.chat
        .send(Send::to_conversation("m1", group(), "hi all"), h.now)
        .unwrap();
    h.take();
    h.server(json!({"type": "sent", "id": "m1", "conversation": group(), "seq": 2, "messageId": "g2", "ts": 2}));
    h.take();
    h.server(receipt(group(), 2, BOB, "read"));
    assert!(ticks(&h.events()).is_empty(), "carol has not got it");
    h.server(receipt(group(), 2, "carol", "delivered"));
    assert_eq!(ticks(&h.events()), [("m1".into(), 2, Tick::Delivered)]);
    // Carol leaves without reading: Bob's read is all that counts now.
    h.server(json!({"type": "message", "conversation": group(), "seq": 3, "messageId": "g3", "id": "c3",
        "from": "carol", "ts": 3, "cursor": "k", "system": {"event": "left", "members": ["carol"], "name": "team"}}));
    let events = h.events();
    assert_eq!(ticks(&events), [("m1".into(), 2, Tick::Read)]);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Group { group, .. } if group.members == [ME, BOB])));
}
