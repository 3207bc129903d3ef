//! Presence watches: sent at once, renewed inside the server's 5-minute lease and on every
//! new connection, stopped on request; every `presence` frame is an event.

use serde_json::json;

use super::*;
use crate::chat::presence::RENEW_WATCH_AFTER;

fn watches(frames: &[Value]) -> Vec<(String, bool)> {
    frames
        .iter()
        .filter(|f| f["action"] == "presence")
        .map(|f| {
            (
                f["user"].as_str().unwrap().to_owned(),
                f["watch"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_watch_is_renewed_until_stopped_and_survives_a_reconnect() {
    let mut h = Harness::online();
    h.chat.watch(BOB.into(), true, h.now);
    assert_eq!(watches(&h.frames()), [(BOB.to_owned(), true)]);
    h.pass(RENEW_WATCH_AFTER - Duration::from_secs(1));
    assert!(watches(&h.frames()).is_empty(), "not before the renewal");
    h.pass(Duration::from_secs(1));
    assert_eq!(watches(&h.frames()), [(BOB.to_owned(), true)]);
    // A new connection holds no watch: it goes again at once.
    h.disconnect();
    h.connect();
    assert_eq!(watches(&h.frames()), [(BOB.to_owned(), true)]);
    h.chat.watch(BOB.into(), false, h.now);
    assert_eq!(watches(&h.frames()), [(BOB.to_owned(), false)]);
    h.pass(RENEW_WATCH_AFTER * 2);
    assert!(watches(&h.frames()).is_empty(), "stopped");
}

#[test]
fn a_watch_made_offline_goes_once_connected() {
    let mut h = Harness::new();
    h.chat.watch(BOB.into(), true, h.now);
    assert!(h.frames().is_empty());
    h.connect();
    assert_eq!(watches(&h.frames()), [(BOB.to_owned(), true)]);
}

#[test]
fn presence_frames_answered_or_posted_are_events() {
    let mut h = Harness::online();
    h.server(json!({"type": "presence", "id": "presence-1", "user": BOB, "online": true}));
    h.server(
        json!({"type": "presence", "user": BOB, "online": false, "lastSeen": 1764068760000i64}),
    );
    h.server(json!({"type": "presence", "id": "presence-2", "user": "carol"}));
    assert_eq!(
        h.events(),
        [
            Event::Presence {
                user: BOB.into(),
                online: Some(true),
                last_seen: None
            },
            Event::Presence {
                user: BOB.into(),
                online: Some(false),
                last_seen: Some(1764068760000)
            },
            Event::Presence {
                user: "carol".into(),
                online: None,
                last_seen: None
            },
        ]
    );
}
