//! Users made the way a client makes them, through the client library's account
//! (parley_client::account) against the stack's Cognito: sign up, confirm (here with the
//! admin call AdminConfirmSignUp, the one step no client can take, so that tests need not
//! read codes from the local outbox; tests/tests/account.rs covers the code), then sign in
//! with USER_PASSWORD_AUTH.

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::Client;
use parley_client::account::Account;
use parley_client::Tokens;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::stack::StackInfo;

pub const PASSWORD: &str = "Correct-Horse-9";

/// A signed-up, confirmed, signed-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub email: String,
    /// The token's `sub`.
    pub user_id: String,
    pub id_token: String,
    pub access_token: String,
    /// All the tokens, as the library keeps them (with the refresh token and the expiry).
    pub tokens: Tokens,
}

impl From<Tokens> for TestUser {
    fn from(tokens: Tokens) -> Self {
        Self {
            email: tokens.username.clone(),
            user_id: tokens.user_id.clone(),
            id_token: tokens.id_token.clone(),
            access_token: tokens.access_token.clone(),
            tokens,
        }
    }
}

/// A Cognito client pointed at the stack's emulator, for what only an administrator does
/// (confirming without a code, making other pools and app clients).
pub fn cognito(stack: &StackInfo) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(stack.region.clone()))
        .endpoint_url(&stack.aws_endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "e2e"))
        .build();
    Client::from_conf(config)
}

fn unique_email(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}@example.test", std::process::id())
}

/// Signs up a new user in the stack's pool and app client, and signs them in.
pub async fn sign_up(stack: &StackInfo, prefix: &str) -> TestUser {
    sign_up_in(
        stack,
        &stack.user_pool_id,
        &stack.user_pool_client_id,
        prefix,
    )
    .await
}

/// The same in any pool and client of the emulator (to get tokens the stack must refuse).
pub async fn sign_up_in(
    stack: &StackInfo,
    pool_id: &str,
    client_id: &str,
    prefix: &str,
) -> TestUser {
    let account = Account::new(&stack.client_stack_with(pool_id, client_id));
    let email = unique_email(prefix);
    account.sign_up(&email, PASSWORD).await.expect("SignUp");
    cognito(stack)
        .admin_confirm_sign_up()
        .user_pool_id(pool_id)
        .username(&email)
        .send()
        .await
        .expect("AdminConfirmSignUp");
    let tokens = account
        .sign_in_with_password(&email, PASSWORD)
        .await
        .expect("InitiateAuth USER_PASSWORD_AUTH");
    TestUser::from(tokens)
}
