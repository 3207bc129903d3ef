//! The client library's accounts against the local stack, end to end: sign-up by email and by
//! phone with the code from the local outbox, confirmation (a wrong or replaced code is
//! refused), sign-in, and tokens (signed in and refreshed) that open the WebSocket as the
//! user.
//!
//! SRP completes locally (the devstack hands moto's secret block out base64-encoded, as
//! Cognito does), but moto accepts any proof: so the tests that check passwords use
//! USER_PASSWORD_AUTH (the local pool allows it), the SRP one checks that the exchange
//! completes and its tokens work, and the SRP computation itself is checked in
//! parley-client's account/srp.rs against known answers.

use parley_client::account::{local_codes, Account, AccountError};
use parley_client::stack::StackInfo as ClientStack;
use parley_client::Tokens;
use parley_tests::chat::{device, fresh_id, lookup, SETTLE};
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::await_connection_count;
use parley_tests::users::{TestUser, PASSWORD};

fn client_stack(stack: &StackInfo) -> ClientStack {
    ClientStack::new(
        &stack.websocket_url,
        &stack.region,
        &stack.user_pool_id,
        &stack.user_pool_client_id,
        Some(stack.aws_endpoint.clone()),
    )
    .expect("the test stack's values")
}

fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.test", uuid::Uuid::new_v4().simple())
}

/// A +1 555 number no other test uses.
fn unique_phone() -> String {
    format!("+1555{:07}", uuid::Uuid::new_v4().as_u128() % 10_000_000)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The newest code the outbox holds for `address`.
async fn newest_code(stack: &ClientStack, address: &str) -> (String, String) {
    let codes = local_codes(stack, address).await.expect("the outbox");
    let newest = codes.first().expect("a code was sent");
    (newest.code.clone(), newest.reason.clone())
}

/// Opens the WebSocket with `tokens` and checks the server took it as that user: the
/// connection is recorded under the token's user id and answers a lookup.
async fn opens_the_socket_as_the_user(stack: &StackInfo, tokens: &Tokens) {
    let user = TestUser::from(tokens.clone());
    let mut socket = device(stack, &user).await;
    let id = fresh_id("account-lookup");
    let (emails, phones): (&[&str], &[&str]) = if tokens.username.starts_with('+') {
        (&[], &[&tokens.username])
    } else {
        (&[&tokens.username], &[])
    };
    socket.send(&lookup(&id, emails, phones)).await;
    let found = socket
        .frame_where("the lookup's answer", |f| f["id"] == id.as_str())
        .await;
    assert_eq!(found["type"], "users", "{found}");
    assert_eq!(
        found["users"][0]["userId"],
        tokens.user_id.as_str(),
        "a confirmed user finds themself: {found}"
    );
    // Closed and gone before returning: the next call counts this user's records to know
    // when its own connection is stored, and a `$disconnect` still on its way would take
    // this one away from under that count.
    socket.close().await;
    await_connection_count(stack, &tokens.user_id, 0, SETTLE).await;
}

#[tokio::test]
async fn an_email_user_signs_up_confirms_signs_in_and_refreshes() {
    let stack = stack::shared();
    let local = client_stack(stack);
    let account = Account::new(&local);
    let email = unique_email("account-srp");

    let signed_up = account.sign_up(&email, PASSWORD).await.expect("SignUp");
    assert!(!signed_up.user_id.is_empty());
    let delivery = signed_up.delivery.expect("a code was sent");
    assert_eq!(delivery.medium, "EMAIL");
    assert!(delivery.destination.contains("***"), "masked: {delivery:?}");

    // Not confirmed yet: no sign-in.
    let early = account.sign_in(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(early, AccountError::UserNotConfirmed), "{early}");

    let (code, reason) = newest_code(&local, &email).await;
    assert_eq!(reason, "SignUp");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = account.confirm(&email, wrong).await.unwrap_err();
    assert!(matches!(refused, AccountError::CodeMismatch), "{refused}");
    account.confirm(&email, &code).await.expect("ConfirmSignUp");

    // Signing up again with the same address is refused.
    let again = account.sign_up(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(again, AccountError::UsernameExists), "{again}");

    let tokens = account
        .sign_in_with_password(&email, PASSWORD)
        .await
        .expect("sign-in");
    assert_eq!(tokens.user_id, signed_up.user_id, "the ID token's sub");
    assert_eq!(tokens.username, email);
    assert!(tokens.expires_at > now(), "{}", tokens.expires_at);
    assert!(
        !tokens.needs_refresh(now()),
        "a fresh token needs no refresh"
    );
    opens_the_socket_as_the_user(stack, &tokens).await;

    let refreshed = account.refresh(&tokens).await.expect("REFRESH_TOKEN_AUTH");
    assert_eq!(refreshed.user_id, tokens.user_id);
    assert_eq!(refreshed.refresh_token, tokens.refresh_token, "kept");
    assert!(refreshed.expires_at >= tokens.expires_at);
    opens_the_socket_as_the_user(stack, &refreshed).await;

    // A refresh token Cognito never issued is refused.
    let forged = Tokens {
        refresh_token: "not-a-refresh-token".into(),
        ..tokens.clone()
    };
    let refused = account.refresh(&forged).await.unwrap_err();
    assert!(
        matches!(refused, AccountError::NotAuthorized(_)),
        "{refused}"
    );
}

#[tokio::test]
async fn a_resent_code_replaces_the_first_and_password_sign_in_checks_the_password() {
    let stack = stack::shared();
    let local = client_stack(stack);
    let account = Account::new(&local);
    let email = unique_email("account-resend");
    account.sign_up(&email, PASSWORD).await.expect("SignUp");
    let (first, _) = newest_code(&local, &email).await;

    let delivery = account.resend_code(&email).await.expect("resend");
    assert_eq!(delivery.medium, "EMAIL");
    let (second, reason) = newest_code(&local, &email).await;
    assert_eq!(reason, "ResendConfirmationCode");
    if first != second {
        let stale = account.confirm(&email, &first).await.unwrap_err();
        assert!(matches!(stale, AccountError::CodeMismatch), "{stale}");
    }
    account
        .confirm(&email, &second)
        .await
        .expect("the new code");

    let wrong = account
        .sign_in_with_password(&email, "Wrong-Horse-9")
        .await
        .unwrap_err();
    assert!(matches!(wrong, AccountError::NotAuthorized(_)), "{wrong}");
    let tokens = account
        .sign_in_with_password(&email, PASSWORD)
        .await
        .expect("USER_PASSWORD_AUTH (the local pool allows it)");
    opens_the_socket_as_the_user(stack, &tokens).await;
}

#[tokio::test]
async fn a_phone_user_signs_up_with_the_code_sent_by_sms() {
    let stack = stack::shared();
    let local = client_stack(stack);
    let account = Account::new(&local);
    let phone = unique_phone();

    let signed_up = account.sign_up(&phone, PASSWORD).await.expect("SignUp");
    let delivery = signed_up.delivery.expect("a code was sent");
    assert_eq!(delivery.medium, "SMS");
    let codes = local_codes(&local, &phone).await.expect("the outbox");
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].medium, "SMS");
    account
        .confirm(&phone, &codes[0].code)
        .await
        .expect("ConfirmSignUp");

    let tokens = account
        .sign_in_with_password(&phone, PASSWORD)
        .await
        .expect("sign-in");
    assert_eq!(tokens.user_id, signed_up.user_id);
    assert_eq!(tokens.username, phone);
    opens_the_socket_as_the_user(stack, &tokens).await;
}

#[tokio::test]
async fn an_srp_sign_in_gives_tokens_that_open_the_socket() {
    let stack = stack::shared();
    let local = client_stack(stack);
    let account = Account::new(&local);
    let email = unique_email("account-srp");
    let signed_up = account.sign_up(&email, PASSWORD).await.expect("SignUp");
    let (code, _) = newest_code(&local, &email).await;
    account.confirm(&email, &code).await.expect("ConfirmSignUp");
    let tokens = account
        .sign_in(&email, PASSWORD)
        .await
        .expect("SRP sign-in");
    assert_eq!(tokens.user_id, signed_up.user_id);
    opens_the_socket_as_the_user(stack, &tokens).await;
}

#[tokio::test]
async fn a_weak_password_and_a_bad_username_are_refused_by_name() {
    let stack = stack::shared();
    let account = Account::new(&client_stack(stack));
    let weak = account
        .sign_up(&unique_email("account-weak"), "short")
        .await
        .unwrap_err();
    assert!(matches!(weak, AccountError::InvalidPassword(_)), "{weak}");
    let bad = account
        .sign_up("not-an-address", PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(bad, AccountError::InvalidUsername(_)), "{bad}");
}
