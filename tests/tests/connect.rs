//! Connecting, per shared/protocol-v1.md "Connecting": a real ID or access token of the
//! stack's pool and app client opens a connection that is recorded under the user; every
//! bad token is refused at the handshake with 401 or 403 and records nothing.

use futures_util::future::join_all;
use parley_tests::client::{connect, Received, Refused};
use parley_tests::forge;
use parley_tests::stack;
use parley_tests::tables::{await_connection_count, connections_of};
use parley_tests::users::{cognito, sign_up, sign_up_in};
use serde_json::{json, Value};
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_id_token_connects_and_the_connection_is_recorded_until_close() {
    let stack = stack::shared();
    let alice = sign_up(stack, "alice").await;
    let client = connect(stack, Some(&alice.id_token))
        .await
        .expect("an ID token connects");
    await_connection_count(stack, &alice.user_id, 1, SETTLE).await;
    client.close().await;
    await_connection_count(stack, &alice.user_id, 0, SETTLE).await;
}

#[tokio::test]
async fn an_access_token_connects() {
    let stack = stack::shared();
    let bob = sign_up(stack, "bob").await;
    let client = connect(stack, Some(&bob.access_token))
        .await
        .expect("an access token connects");
    await_connection_count(stack, &bob.user_id, 1, SETTLE).await;
    client.close().await;
}

#[tokio::test]
async fn each_device_is_its_own_connection() {
    let stack = stack::shared();
    let carol = sign_up(stack, "carol").await;
    let phone = connect(stack, Some(&carol.id_token))
        .await
        .expect("phone connects");
    let laptop = connect(stack, Some(&carol.access_token))
        .await
        .expect("laptop connects");
    await_connection_count(stack, &carol.user_id, 2, SETTLE).await;
    phone.close().await;
    await_connection_count(stack, &carol.user_id, 1, SETTLE).await;
    laptop.close().await;
    await_connection_count(stack, &carol.user_id, 0, SETTLE).await;
}

#[tokio::test]
async fn concurrent_connects_and_disconnects_of_one_user_leave_exactly_the_live_ones() {
    // A user's connections are one item; each connect and disconnect touches its own
    // attribute of it, so none may overwrite another's when they land at once.
    let stack = stack::shared();
    let hank = sign_up(stack, "hank").await;
    let opened = join_all((0..6).map(|_| connect(stack, Some(&hank.id_token)))).await;
    let mut clients: Vec<_> = opened
        .into_iter()
        .map(|client| client.expect("connects"))
        .collect();
    await_connection_count(stack, &hank.user_id, 6, SETTLE).await;
    let closing: Vec<_> = clients.drain(..3).collect();
    let (_, more) = futures_util::future::join(
        join_all(closing.into_iter().map(|client| client.close())),
        join_all((0..3).map(|_| connect(stack, Some(&hank.id_token)))),
    )
    .await;
    clients.extend(more.into_iter().map(|client| client.expect("connects")));
    await_connection_count(stack, &hank.user_id, 6, SETTLE).await;
    join_all(clients.into_iter().map(|client| client.close())).await;
    await_connection_count(stack, &hank.user_id, 0, SETTLE).await;
}

#[tokio::test]
async fn an_abrupt_drop_still_disconnects() {
    let stack = stack::shared();
    let dave = sign_up(stack, "dave").await;
    let client = connect(stack, Some(&dave.id_token))
        .await
        .expect("connects");
    await_connection_count(stack, &dave.user_id, 1, SETTLE).await;
    // Drop the TCP stream without a close frame, as a phone losing signal does.
    drop(client);
    await_connection_count(stack, &dave.user_id, 0, SETTLE).await;
}

#[tokio::test]
async fn unknown_actions_get_a_bad_request_and_the_connection_stays_usable() {
    let stack = stack::shared();
    let erin = sign_up(stack, "erin").await;
    let mut client = connect(stack, Some(&erin.id_token))
        .await
        .expect("connects");

    client
        .send_json(&json!({"action": "teleport", "id": "t-1"}))
        .await;
    let reply = client.frame().await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["code"], "bad_request");
    assert_eq!(reply["id"], "t-1");

    client.send_text("this is not JSON").await;
    let reply = client.frame().await;
    assert_eq!(reply["code"], "bad_request");
    assert!(reply.get("id").is_none());

    client.send_json(&json!({"id": "t-2"})).await;
    assert_eq!(
        client.frame().await["id"],
        "t-2",
        "still answering after bad frames"
    );
    client.close().await;
}

#[tokio::test]
async fn a_message_over_128_kib_closes_with_1009() {
    let stack = stack::shared();
    let frank = sign_up(stack, "frank").await;
    let mut client = connect(stack, Some(&frank.id_token))
        .await
        .expect("connects");
    client.send_text(&"x".repeat(129 * 1024)).await;
    match client.receive().await {
        Received::Closed(Some(close)) => assert_eq!(u16::from(close.code), 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
    await_connection_count(stack, &frank.user_id, 0, SETTLE).await;
}

/// Connects with `token` and expects a refusal with 401 or 403.
async fn assert_refused(token: Option<&str>, case: &str) -> u16 {
    match connect(stack::shared(), token).await {
        Ok(_) => panic!("{case}: the handshake was accepted"),
        Err(Refused::Status(status)) => {
            assert!(
                status == 401 || status == 403,
                "{case}: refused with {status}, not 401/403"
            );
            status
        }
        Err(Refused::Other(e)) => panic!("{case}: failed without an HTTP refusal: {e}"),
    }
}

#[tokio::test]
async fn every_bad_token_is_refused_and_records_nothing() {
    let stack = stack::shared();
    let grace = sign_up(stack, "grace").await;
    let claims = forge::claims_of(&grace.id_token);
    let rs256 = json!({"alg": "RS256", "kid": "dummy", "typ": "JWT"});
    let with = |change: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        change(&mut c);
        c
    };

    assert_eq!(assert_refused(None, "no token").await, 401);
    assert_eq!(assert_refused(Some(""), "empty token").await, 401);
    assert_refused(Some("not-a-jwt"), "malformed").await;
    assert_refused(Some("a.b.c"), "malformed parts").await;
    assert_refused(
        Some(&forge::tampered(&grace.id_token, |c| {
            c["sub"] = json!("someone-else")
        })),
        "bad signature",
    )
    .await;
    assert_refused(Some(&forge::unsigned(&claims)), "alg none").await;
    assert_refused(
        Some(&forge::sign(
            &json!({"alg": "HS256", "kid": "dummy"}),
            &claims,
            Some("an-hmac-secret-that-is-long-enough-for-hs256"),
        )),
        "HS256",
    )
    .await;
    assert_refused(
        Some(&forge::sign(
            &json!({"alg": "RS256", "kid": "rotated-away"}),
            &claims,
            None,
        )),
        "unknown kid",
    )
    .await;
    let now = forge::now_secs();
    assert_refused(
        Some(&forge::sign(
            &rs256,
            &with(&|c| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 3600);
            }),
            None,
        )),
        "expired",
    )
    .await;
    assert_refused(
        Some(&forge::sign(
            &rs256,
            &with(&|c| c["nbf"] = json!(now + 3600)),
            None,
        )),
        "not yet valid",
    )
    .await;
    assert_refused(
        Some(&forge::sign(
            &rs256,
            &with(&|c| c["token_use"] = json!("refresh")),
            None,
        )),
        "unexpected token_use",
    )
    .await;
    // The signature is right for all of these: only the claim under test is wrong.
    let resigned = forge::sign(&rs256, &claims, None);
    connect(stack, Some(&resigned))
        .await
        .expect("control: the same claims re-signed with the pool's key connect")
        .close()
        .await;
    await_connection_count(stack, &grace.user_id, 0, SETTLE).await;

    // Another app client of the same pool, and another pool: real tokens, wrong audience.
    let cognito = cognito(stack);
    let other_client = cognito
        .create_user_pool_client()
        .user_pool_id(&stack.user_pool_id)
        .client_name("another-app")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .send()
        .await
        .expect("CreateUserPoolClient");
    let other_client_id = other_client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap();
    let henry = sign_up_in(stack, &stack.user_pool_id, other_client_id, "henry").await;
    assert_refused(Some(&henry.id_token), "another app client (aud)").await;
    assert_refused(Some(&henry.access_token), "another app client (client_id)").await;

    let other_pool = cognito
        .create_user_pool()
        .pool_name("another-pool")
        .send()
        .await
        .expect("CreateUserPool");
    let other_pool_id = other_pool.user_pool().unwrap().id().unwrap();
    let other_pool_client = cognito
        .create_user_pool_client()
        .user_pool_id(other_pool_id)
        .client_name("app")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .send()
        .await
        .expect("CreateUserPoolClient");
    let ivy = sign_up_in(
        stack,
        other_pool_id,
        other_pool_client
            .user_pool_client()
            .unwrap()
            .client_id()
            .unwrap(),
        "ivy",
    )
    .await;
    assert_refused(Some(&ivy.id_token), "another user pool (iss)").await;

    for user in [&henry.user_id, &ivy.user_id] {
        assert!(
            connections_of(stack, user).await.is_empty(),
            "a refused handshake recorded a connection"
        );
    }
    assert!(
        !stack.log().contains(&grace.id_token),
        "a token reached the stack's log"
    );
    assert!(
        !stack.log().contains(&henry.access_token),
        "a token reached the stack's log"
    );
}
