//! Chat settings: a `chats` listing after each catch-up sync, `chat` frames as events (and
//! as the answer to this device's own change), and the keepalive `ping`.

use serde_json::json;
use tokio::sync::oneshot;

use super::*;
use crate::chat::RequestError;
use parley_protocol::client::Chat as ChatFrame;
use parley_protocol::{ChatSettings, ClientFrame, ErrorCode};

fn settings(pinned: bool) -> ChatSettings {
    ChatSettings {
        pinned,
        ..ChatSettings::default_for(dm())
    }
}

#[test]
fn each_catch_up_sync_ends_with_a_chats_listing_handed_out_whole() {
    let mut h = Harness::new();
    h.connect();
    assert_eq!(actions(&h.frames()), ["sync"], "not before the sync ends");
    h.server(json!({"type": "synced", "cursor": "c1", "more": true}));
    assert_eq!(actions(&h.frames()), ["sync"], "nor after a page with more");
    h.server(json!({"type": "synced", "cursor": "c2", "more": false}));
    let frames = h.frames();
    assert_eq!(actions(&frames), ["chats"]);
    let id = frames[0]["id"].as_str().unwrap().to_owned();
    h.server(json!({"type": "chats", "id": id, "chats": [
        {"conversation": dm(), "archived": false, "pinned": true, "unread": false}]}));
    assert_eq!(h.events(), [Event::ChatList(vec![settings(true)])]);
    // A reconnect asks again.
    h.disconnect();
    h.connect();
    h.server(json!({"type": "synced", "cursor": "c3", "more": false}));
    assert_eq!(actions(&h.frames()), ["sync", "chats"]);
}

#[test]
fn another_devices_change_is_an_event_and_this_devices_change_is_answered() {
    let mut h = Harness::online();
    h.server(
        json!({"type": "chat", "conversation": dm(), "mutedUntil": -1,
                    "archived": true, "pinned": false, "unread": false}),
    );
    assert_eq!(
        h.events(),
        [Event::ChatSettings(ChatSettings {
            muted_until: Some(-1),
            archived: true,
            ..ChatSettings::default_for(dm())
        })]
    );
    let (tx, mut rx) = oneshot::channel();
    let mut change = ChatFrame::of("c1", dm());
    change.pinned = Some(true);
    h.chat.request(ClientFrame::Chat(change), tx, h.now);
    assert_eq!(actions(&h.frames()), ["chat"]);
    h.server(json!({"type": "chat", "id": "c1", "conversation": dm(),
                    "archived": false, "pinned": true, "unread": false}));
    assert_eq!(h.events(), [Event::ChatSettings(settings(true))]);
    assert_eq!(
        rx.try_recv().unwrap().unwrap(),
        settings(true).into_frame(Some("c1".into()))
    );
}

#[test]
fn a_fourth_pin_is_refused_for_good() {
    let mut h = Harness::online();
    let (tx, mut rx) = oneshot::channel();
    let mut change = ChatFrame::of("c2", dm());
    change.pinned = Some(true);
    h.chat.request(ClientFrame::Chat(change), tx, h.now);
    h.frames();
    h.server(json!({"type": "error", "id": "c2", "code": "too_large",
                    "message": "at most 3 chats are pinned: unpin one first"}));
    assert_eq!(
        rx.try_recv().unwrap(),
        Err(RequestError::Refused {
            code: ErrorCode::TooLarge,
            message: "at most 3 chats are pinned: unpin one first".into()
        })
    );
    assert_eq!(h.events(), Vec::<Event>::new());
}

#[test]
fn the_keepalive_is_a_ping_and_its_pong_changes_nothing() {
    let mut h = Harness::online();
    h.chat.keepalive();
    assert_eq!(h.frames(), [json!({"action": "ping"})]);
    h.server(json!({"type": "pong"}));
    assert_eq!(h.take(), (vec![], vec![]));
}
