//! Presence (issue 16): a viewer with a chat open watches a contact (`presence`) and gets
//! their online/offline flips, with `lastSeen`, posted by `$connect` and `$disconnect` to
//! watchers only; `privacy` hides it (everyone, contacts, nobody), reciprocally.

use parley_protocol::client::{Audience, Presence, Privacy};
use parley_protocol::ClientFrame;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Sends `frame` and returns the reply to its id.
async fn ask(client: &mut Client, frame: &ClientFrame) -> Value {
    client.send(frame).await;
    let id = frame.id().unwrap().to_owned();
    client
        .frame_where(&format!("the reply to {id}"), |f| f["id"] == id.as_str())
        .await
}

async fn watch(client: &mut Client, user: &TestUser) -> Value {
    let frame = ClientFrame::Presence(Presence {
        id: fresh_id("presence"),
        user: user.user_id.clone(),
        watch: true,
    });
    let reply = ask(client, &frame).await;
    assert_eq!(reply["type"], "presence", "{reply}");
    assert_eq!(reply["user"], user.user_id.as_str(), "{reply}");
    reply
}

async fn set_privacy(client: &mut Client, audience: Audience) {
    let id = fresh_id("privacy");
    let reply = ask(
        client,
        &ClientFrame::Privacy(Privacy {
            id: id.clone(),
            last_seen: Some(audience),
        }),
    )
    .await;
    assert_eq!(
        reply,
        json!({"type": "privacy", "id": id, "lastSeen": audience.as_str()})
    );
}

/// The next `presence` frame posted about `user` (no `id`: not a reply).
async fn flip(client: &mut Client, user: &TestUser) -> Value {
    let user = user.user_id.clone();
    client
        .frame_where("a presence flip", |f| {
            f["type"] == "presence" && f["user"] == user.as_str() && f.get("id").is_none()
        })
        .await
}

#[tokio::test]
async fn a_watcher_sees_flips_with_last_seen_and_no_one_else_does() {
    let stack = stack::shared();
    let alice = sign_up(stack, "presence-alice").await;
    let bob = sign_up(stack, "presence-bob").await;
    let carol = sign_up(stack, "presence-carol").await;
    let mut a = device(stack, &alice).await;
    let mut c = device(stack, &carol).await;
    let reply = watch(&mut a, &bob).await;
    assert_eq!(
        reply.get("online"),
        Some(&json!(false)),
        "never connected: {reply}"
    );
    assert!(reply.get("lastSeen").is_none(), "never seen: {reply}");

    let b = device(stack, &bob).await;
    assert_eq!(flip(&mut a, &bob).await["online"], true);
    assert_eq!(
        watch(&mut a, &bob).await["online"],
        true,
        "renewed: online now"
    );

    let before = now_ms();
    close_device(stack, &bob, b, 0).await;
    let offline = flip(&mut a, &bob).await;
    assert_eq!(offline["online"], false, "{offline}");
    let last_seen = offline["lastSeen"].as_i64().expect("lastSeen");
    assert!(
        last_seen >= before - 1000 && last_seen <= now_ms(),
        "{offline}"
    );
    let reply = watch(&mut a, &bob).await;
    assert_eq!(reply["online"], false);
    assert_eq!(
        reply["lastSeen"], last_seen,
        "the reply carries the stored lastSeen"
    );

    let _b = device(stack, &bob).await;
    let online = flip(&mut a, &bob).await;
    assert_eq!(online["online"], true);
    assert!(online.get("lastSeen").is_none(), "{online}");

    // Carol never watched: by the time her ping is answered (after both flips reached
    // Alice), nothing about Bob came to her.
    let ping = json!({"action": "ping", "id": "c-ping"});
    c.send_json(&ping).await;
    c.frame_where("carol's pong", |f| f["id"] == "c-ping").await;
    let pending = c.collect_for(std::time::Duration::from_millis(0)).await;
    assert!(
        pending.iter().all(|f| f["type"] != "presence"),
        "a non-watcher got presence: {pending:?}"
    );
}

#[tokio::test]
async fn nobody_hides_it_and_the_hider_sees_no_one() {
    let stack = stack::shared();
    let alice = sign_up(stack, "hider-alice").await;
    let bob = sign_up(stack, "hider-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    assert_eq!(
        watch(&mut a, &bob).await["online"],
        true,
        "visible by default"
    );

    set_privacy(&mut b, Audience::Nobody).await;
    let hidden = watch(&mut a, &bob).await;
    assert!(
        hidden.get("online").is_none() && hidden.get("lastSeen").is_none(),
        "{hidden}"
    );
    // Reciprocal: Alice shows hers to everyone, yet Bob, who hides his, sees nothing of hers.
    let reciprocal = watch(&mut b, &alice).await;
    assert!(reciprocal.get("online").is_none(), "{reciprocal}");

    let read = ask(
        &mut b,
        &ClientFrame::Privacy(Privacy {
            id: "v-read".into(),
            last_seen: None,
        }),
    )
    .await;
    assert_eq!(
        read,
        json!({"type": "privacy", "id": "v-read", "lastSeen": "nobody"})
    );
    set_privacy(&mut b, Audience::Everyone).await;
    assert_eq!(watch(&mut a, &bob).await["online"], true);
}

#[tokio::test]
async fn contacts_are_those_the_user_wrote_to() {
    let stack = stack::shared();
    let alice = sign_up(stack, "contacts-alice").await;
    let bob = sign_up(stack, "contacts-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    set_privacy(&mut b, Audience::Contacts).await;

    // Alice writing to Bob does not make her his contact.
    send_and_wait(&mut a, &send_to_user("to-bob", &bob, "hi")).await;
    let hidden = watch(&mut a, &bob).await;
    assert!(hidden.get("online").is_none(), "{hidden}");

    send_and_wait(&mut b, &send_to_user("to-alice", &alice, "hello")).await;
    assert_eq!(
        watch(&mut a, &bob).await["online"],
        true,
        "Bob wrote to Alice"
    );
}
