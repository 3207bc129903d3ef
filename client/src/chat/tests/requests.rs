//! Requests answered by id: retried when transient, refused when final.

use serde_json::json;
use std::time::Duration;
use tokio::sync::oneshot;

use super::*;
use crate::chat::RequestError;
use parley_protocol::client::CreateGroup;
use parley_protocol::{ClientFrame, ErrorCode};

fn create_group(h: &mut Harness) -> oneshot::Receiver<crate::chat::Reply> {
    let (tx, rx) = oneshot::channel();
    let frame = ClientFrame::CreateGroup(CreateGroup {
        id: "g1".into(),
        name: "team".into(),
        members: vec![BOB.into()],
    });
    h.chat.request(frame, tx, h.now);
    rx
}

#[test]
fn a_group_reply_answers_the_request_and_updates_the_group() {
    let mut h = Harness::online();
    let mut rx = create_group(&mut h);
    assert_eq!(actions(&h.frames()), ["createGroup"]);
    h.server(json!({"type": "error", "id": "g1", "code": "internal", "message": "x"}));
    h.pass(Duration::from_secs(1));
    assert_eq!(actions(&h.frames()), ["createGroup"], "again, same id");
    h.disconnect();
    h.connect();
    assert!(
        actions(&h.frames()).contains(&"createGroup".to_owned()),
        "again after a reconnect"
    );
    assert!(rx.try_recv().is_err(), "no answer yet");
    h.server(
        json!({"type": "group", "id": "g1", "conversation": group(), "name": "team",
                    "members": [ME, BOB], "admins": [ME]}),
    );
    assert!(matches!(rx.try_recv(), Ok(Ok(ServerFrame::Group { .. }))));
    assert_eq!(h.store.group(&group()).unwrap().unwrap().members, [ME, BOB]);
}

#[test]
fn a_final_refusal_answers_the_request() {
    let mut h = Harness::online();
    let mut rx = create_group(&mut h);
    assert_eq!(actions(&h.frames()), ["createGroup"]);
    h.server(json!({"type": "error", "id": "g1", "code": "too_large", "message": "big"}));
    assert_eq!(
        rx.try_recv().unwrap(),
        Err(RequestError::Refused {
            code: ErrorCode::TooLarge,
            message: "big".into()
        })
    );
    h.pass(Duration::from_secs(60));
    assert_eq!(h.frames(), Vec::<Value>::new());
}
