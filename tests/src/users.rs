//! Users made the way a client makes them, against the stack's Cognito: SignUp, then
//! AdminConfirmSignUp (locally no mail goes out), then InitiateAuth USER_PASSWORD_AUTH.

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use aws_sdk_cognitoidentityprovider::Client;
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
}

/// A Cognito client pointed at the stack's emulator.
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
    let cognito = cognito(stack);
    let email = unique_email(prefix);
    let signed_up = cognito
        .sign_up()
        .client_id(client_id)
        .username(&email)
        .password(PASSWORD)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(&email)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("SignUp");
    cognito
        .admin_confirm_sign_up()
        .user_pool_id(pool_id)
        .username(&email)
        .send()
        .await
        .expect("AdminConfirmSignUp");
    let auth = cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth USER_PASSWORD_AUTH");
    let tokens = auth.authentication_result().expect("tokens");
    TestUser {
        email,
        user_id: signed_up.user_sub().to_owned(),
        id_token: tokens.id_token().expect("IdToken").to_owned(),
        access_token: tokens.access_token().expect("AccessToken").to_owned(),
    }
}
