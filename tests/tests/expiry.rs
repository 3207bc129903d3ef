//! A connection that outlives its token, on every function that serves frames (messages,
//! files, push): the frame is refused with `unauthorized` echoing its `id`, nothing is done
//! for it, and the connection is closed (functions/core/src/expiry.rs).

use futures_util::future::join_all;
use parley_protocol::client::Platform;
use parley_protocol::ClientFrame;
use parley_tests::chat::*;
use parley_tests::client::{Client, Received};
use parley_tests::forge;
use parley_tests::stack;
use parley_tests::tables::await_connection_count;
use parley_tests::users::{sign_up, TestUser};
use serde_json::json;
use std::time::Duration;

/// A connection of `user` whose token expires two seconds from now: the user's own claims,
/// re-signed with the pool's key.
async fn expiring_connection(stack: &stack::StackInfo, user: &TestUser) -> Client {
    let mut claims = forge::claims_of(&user.id_token);
    claims["exp"] = json!(forge::now_secs() + 2);
    let token = forge::sign(
        &json!({"alg": "RS256", "kid": "dummy", "typ": "JWT"}),
        &claims,
        None,
    );
    parley_tests::client::connect(stack, Some(&token))
        .await
        .expect("a token that has not expired yet connects")
}

/// Sends `frame` and expects the `unauthorized` refusal echoing its id, then the close.
async fn refused_and_closed(mut client: Client, frame: ClientFrame, what: &str) {
    let id = frame.id().unwrap().to_owned();
    client.send(&frame).await;
    let mut refusal = None;
    let mut closed = false;
    for _ in 0..5 {
        match client.receive().await {
            Received::Frame(reply) => {
                assert_eq!(
                    reply["type"], "error",
                    "{what} on an expired token: {reply}"
                );
                assert_eq!(reply["code"], "unauthorized", "{what}: {reply}");
                refusal = Some(reply);
            }
            Received::Closed(_) => {
                closed = true;
                break;
            }
        }
    }
    let refusal = refusal.unwrap_or_else(|| panic!("{what}: no refusal before the close"));
    assert_eq!(
        refusal["id"],
        id.as_str(),
        "{what}: the refusal echoes the id"
    );
    assert!(
        closed,
        "{what}: the connection of an expired token must be closed"
    );
}

#[tokio::test]
async fn every_function_refuses_a_frame_on_an_expired_token_and_closes_the_connection() {
    let stack = stack::shared();
    let alice = sign_up(stack, "expiring-alice").await;
    let bob = sign_up(stack, "expiring-bob").await;
    let [send, upload, register] = [
        expiring_connection(stack, &alice).await,
        expiring_connection(stack, &alice).await,
        expiring_connection(stack, &alice).await,
    ];
    await_connection_count(stack, &alice.user_id, 3, SETTLE).await;
    // Past the expiry and any few seconds of clock-skew leeway.
    tokio::time::sleep(Duration::from_secs(9)).await;

    join_all([
        Box::pin(refused_and_closed(
            send,
            send_to_user(&fresh_id("expired"), &bob, "too late"),
            "send (messages)",
        )) as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
        Box::pin(refused_and_closed(
            upload,
            upload_url(
                &fresh_id("expired-upload"),
                To::User(&bob.user_id),
                "a.jpg",
                "image/jpeg",
                10,
            ),
            "uploadUrl (files)",
        )),
        Box::pin(refused_and_closed(
            register,
            register_push(
                &fresh_id("expired-push"),
                Platform::Fcm,
                &fresh_id("expired-token"),
            ),
            "registerPush (push)",
        )),
    ])
    .await;
    await_connection_count(stack, &alice.user_id, 0, SETTLE).await;

    // Nothing was done for the refused frames: no message stored.
    let mut b = device(stack, &bob).await;
    let synced = sync_all(&mut b, None, None).await;
    assert!(
        synced.messages.is_empty(),
        "a send on an expired token was stored: {:?}",
        synced.messages
    );
}
