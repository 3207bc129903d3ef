//! Changes to messages: an entry is applied to its target and handed out as `Changed`,
//! never as a message; out of order (before its target), repeated, or already folded into a
//! `sync` state, it ends in the same state. This device's own changes get no ticks.

use parley_protocol::client::Send;
use parley_protocol::ChangeKind;
use serde_json::json;

use super::*;
use crate::store::{Message, Tick};

/// A change entry of the direct chat.
fn change(seq: u64, from: &str, kind: &str, target: u64, body: Option<&str>) -> Value {
    let mut frame = message_in(dm(), seq, from, body.unwrap_or_default());
    frame["kind"] = json!(kind);
    frame["target"] = json!(target);
    if body.is_none() {
        frame.as_object_mut().unwrap().remove("body");
    }
    frame
}

/// The changed messages among `events`: (target seq, the entry's seq or none for a sync).
fn changed(events: &[Event]) -> Vec<(u64, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Changed { message, change } => {
                Some((message.seq, change.as_ref().map(|c| c.seq)))
            }
            _ => None,
        })
        .collect()
}

fn stored(h: &Harness, seq: u64) -> Message {
    h.store.message(&dm(), seq).unwrap().unwrap()
}

fn reactions(message: &Message) -> Vec<(String, Vec<String>)> {
    message.state.reaction_counts()
}

#[test]
fn an_edit_and_a_reaction_change_their_target_and_are_not_messages() {
    let mut h = Harness::online();
    h.server(message(1, "see you at 6"));
    assert_eq!(delivered(&h.events()), [1]);
    h.server(change(2, BOB, "edit", 1, Some("see you at 7")));
    h.server(change(3, BOB, "react", 1, Some("👍")));
    let (frames, events) = h.take();
    assert!(delivered(&events).is_empty(), "{events:?}");
    assert_eq!(changed(&events), [(1, Some(2)), (1, Some(3))]);
    let Event::Changed { message, .. } = events.last().unwrap() else {
        panic!("{events:?}")
    };
    assert_eq!(message.text(), Some("see you at 7"));
    assert!(message.is_edited());
    assert_eq!(
        reactions(message),
        [("👍".to_owned(), vec![BOB.to_owned()])]
    );
    assert_eq!(**message, stored(&h, 1));
    // The entries count as delivered (acks are cumulative by seq).
    assert_eq!(frames.last().unwrap()["seq"], 3);
}

#[test]
fn a_change_that_overtook_its_target_waits_for_it() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.take();
    // Seq 2's live copy was lost: the reaction to it arrives first, and waits.
    h.server(change(3, BOB, "react", 2, Some("❤️")));
    let (frames, events) = h.take();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(actions(&frames), ["sync"]);
    h.server(message(2, "two"));
    let events = h.events();
    assert_eq!(delivered(&events), [2]);
    assert_eq!(changed(&events), [(2, Some(3))]);
    assert_eq!(
        reactions(&stored(&h, 2)),
        [("❤️".to_owned(), vec![BOB.to_owned()])]
    );
}

#[test]
fn a_change_to_a_message_not_held_is_merged_when_it_comes() {
    let mut h = Harness::online();
    // A mailbox that starts at the change (its target is older than this device).
    h.server(change(5, BOB, "edit", 2, Some("fixed")));
    assert!(h.events().is_empty());
    assert_eq!(h.store.message(&dm(), 2).unwrap(), None);
    // The target comes later (a history fetch, say): it is stored with the edit.
    h.server(message(2, "fixd"));
    assert!(h.events().is_empty(), "before where this device started");
    assert_eq!(stored(&h, 2).text(), Some("fixed"));
}

#[test]
fn a_repeated_change_changes_nothing_again() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.server(change(2, BOB, "react", 1, Some("👍")));
    assert_eq!(changed(&h.events()), [(1, Some(2))]);
    // The same entry again, live and by a sync (cursors lag 30 s).
    h.server(change(2, BOB, "react", 1, Some("👍")));
    h.connect();
    h.server(message(1, "one"));
    h.server(change(2, BOB, "react", 1, Some("👍")));
    h.server(json!({"type": "synced", "cursor": "c9", "more": false}));
    assert!(changed(&h.events()).is_empty());
    assert_eq!(
        reactions(&stored(&h, 1)),
        [("👍".to_owned(), vec![BOB.to_owned()])]
    );
}

#[test]
fn a_sync_state_is_merged_and_the_entries_it_holds_change_nothing() {
    let mut h = Harness::new();
    h.connect();
    // A device that syncs after the changes: the original with its state, then the
    // entries after its cursor.
    let mut original = message(1, "are you there?");
    original["state"] = json!({"version": 3,
        "edited": {"seq": 2, "ts": 1002, "body": "are you there? (7pm)"},
        "reactions": {ME: {"seq": 3, "body": "👍"}}});
    h.server(original);
    h.server(change(2, BOB, "edit", 1, Some("are you there? (7pm)")));
    h.server(change(3, ME, "react", 1, Some("👍")));
    h.server(change(4, ME, "unreact", 1, None));
    h.server(json!({"type": "synced", "cursor": "c1", "more": false}));
    let events = h.events();
    let first = events
        .iter()
        .find_map(|e| match e {
            Event::Message(m) => Some(m.clone()),
            _ => None,
        })
        .expect("the message");
    assert_eq!(first.text(), Some("are you there? (7pm)"));
    assert_eq!(reactions(&first).len(), 1);
    // Only the unreact (after the state's version) changes it.
    assert_eq!(changed(&events), [(1, Some(4))]);
    assert!(reactions(&stored(&h, 1)).is_empty());
}

#[test]
fn a_sync_state_of_a_message_already_shown_hands_it_out_changed() {
    let mut h = Harness::online();
    h.server(message(1, "hi"));
    h.take();
    let mut again = message(1, "hi");
    again["state"] = json!({"version": 2, "edited": {"seq": 2, "ts": 1002, "body": "hello"}});
    h.server(again.clone());
    assert_eq!(changed(&h.events()), [(1, None)]);
    h.server(again);
    assert!(h.events().is_empty(), "once");
    assert_eq!(stored(&h, 1).text(), Some("hello"));
}

#[test]
fn a_delete_for_everyone_shows_message_deleted() {
    let mut h = Harness::online();
    h.server(message(1, "oops"));
    h.server(change(2, ME, "react", 1, Some("😂")));
    h.server(change(3, BOB, "delete", 1, None));
    h.take();
    let message = stored(&h, 1);
    assert!(message.state.is_deleted());
    assert_eq!(message.text(), None);
    assert!(reactions(&message).is_empty());
    // A reaction that arrives after the delete (in any order) does not bring it back.
    h.server(change(2, ME, "react", 1, Some("😂")));
    assert!(reactions(&stored(&h, 1)).is_empty());
}

#[test]
fn this_device_s_own_change_is_applied_once_stored_and_has_no_ticks() {
    let mut h = Harness::online();
    h.send_text("m1", "helo");
    h.server(sent("m1", 1));
    h.take();
    h.chat
        .send(
            Send::change("e1", dm(), ChangeKind::Edit, 1, Some("hello".into())),
            h.now,
        )
        .unwrap();
    let frames = h.frames();
    assert_eq!(frames[0]["kind"], "edit");
    assert_eq!(frames[0]["target"], 1);
    h.server(sent("e1", 2));
    let events = h.events();
    assert!(events.contains(&Event::Tick {
        id: "e1".into(),
        conversation: dm(),
        seq: 2,
        tick: Tick::Sent,
    }));
    assert_eq!(changed(&events), [(1, Some(2))]);
    assert_eq!(stored(&h, 1).text(), Some("hello"));
    assert_eq!(h.store.own(&dm(), 2).unwrap(), None, "no ticks to follow");
    // Bob reads both: only the message's tick moves.
    h.server(
        json!({"type": "receipt", "conversation": dm(), "seq": 2, "by": BOB, "status": "read"}),
    );
    let ticks: Vec<String> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Tick { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(ticks, ["m1"]);
}

#[test]
fn a_reply_mentions_and_forwarded_mark_are_kept_with_the_message() {
    let mut h = Harness::online();
    h.server(message(1, "Saturday?"));
    let mut reply = message(2, "@alice yes");
    reply["replyTo"] = json!({"seq": 1, "from": BOB, "preview": "Saturday?"});
    reply["mentions"] = json!([ME]);
    reply["forwarded"] = json!(true);
    h.server(reply);
    let events = h.events();
    let Some(Event::Message(got)) = events
        .iter()
        .find(|e| matches!(e, Event::Message(m) if m.seq == 2))
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        got.reply_to.as_ref().unwrap().preview.as_deref(),
        Some("Saturday?")
    );
    assert_eq!(got.mentions, [ME]);
    assert!(got.forwarded);
}

/// Bob's edit of seq 1 at seq 2, as the connection hands it over when it came encrypted and
/// its room key has not arrived.
fn waiting_edit() -> Message {
    let frame: parley_protocol::ServerFrame =
        serde_json::from_value(change(2, BOB, "edit", 1, None)).unwrap();
    let (mut entry, _) = crate::chat::stored_message(&frame).unwrap();
    entry.encryption = Some(crate::store::Encryption::WaitingForKey {
        encrypted: "{}".into(),
        session_id: Some("s".into()),
    });
    entry
}

#[test]
fn an_encrypted_edit_waits_for_its_key_and_is_applied_once_it_decrypts() {
    let mut h = Harness::online();
    h.server(message(1, "see you at 6"));
    h.take();
    let entry = waiting_edit();
    h.chat.message(entry.clone(), h.now).unwrap();
    let (frames, events) = h.take();
    // Its turn came (acked like any entry), and nothing of it is shown.
    assert_eq!(frames.last().unwrap()["seq"], 2, "{frames:?}");
    assert!(changed(&events).is_empty(), "{events:?}");
    assert_eq!(stored(&h, 1).text(), Some("see you at 6"));
    assert!(!stored(&h, 1).is_edited());
    assert_eq!(h.store.waiting_for_keys().unwrap().len(), 1);

    // The key came: the connection decrypted it.
    let mut opened = entry;
    opened.body = Some("see you at 7".into());
    opened.encryption = Some(crate::store::Encryption::Decrypted {
        sender_device: Some("BOBPHONE".into()),
        verified: false,
    });
    h.chat.decrypted(opened, true).unwrap();
    let events = h.events();
    assert_eq!(changed(&events), [(1, Some(2))]);
    assert_eq!(stored(&h, 1).text(), Some("see you at 7"));
    assert!(h.store.waiting_for_keys().unwrap().is_empty());
}

#[test]
fn an_encrypted_edit_that_decrypts_before_its_turn_is_applied_in_its_turn() {
    let mut h = Harness::online();
    h.server(message(1, "one"));
    h.take();
    // The edit at seq 3 comes after a gap (seq 2 is missing): stored, its turn not come.
    let mut entry = waiting_edit();
    entry.seq = 3;
    h.chat.message(entry.clone(), h.now).unwrap();
    h.take();
    let mut opened = entry;
    opened.body = Some("two".into());
    opened.encryption = Some(crate::store::Encryption::Decrypted {
        sender_device: None,
        verified: false,
    });
    h.chat.decrypted(opened, true).unwrap();
    assert!(changed(&h.events()).is_empty(), "not its turn yet");
    h.server(message(2, "filler"));
    let events = h.events();
    assert_eq!(changed(&events), [(1, Some(3))]);
    assert_eq!(stored(&h, 1).text(), Some("two"));
}
