//! Accounts against the stack's Cognito user pool: sign up, confirm, sign in, refresh, and
//! revoke (what a sign-out does, so that a copied refresh token is worth nothing).
//!
//! The username is an email address or a phone number in +E.164 form (the pool's
//! `UsernameAttributes`); the code goes to that address. Sign-in is SRP by default, so the
//! password never leaves the device; USER_PASSWORD_AUTH is there for pools that allow it.
//! These are Cognito's public operations: the SDK sends them unsigned (they are modelled
//! without auth), so no AWS credentials are involved.

mod claims;
mod error;
mod outbox;
mod srp;

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    CodeDeliveryDetailsType,
};
use aws_sdk_cognitoidentityprovider::Client;
use serde::{Deserialize, Serialize};

pub use error::{AccountError, ErrorKind};
pub use outbox::{local_codes, local_outbox_page, local_outbox_url, LocalCode};

use crate::stack::StackInfo;
use crate::token_source::{TokenError, TokenSource};
use crate::tokens::Tokens;

/// Where Cognito sent a verification code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDelivery {
    /// Masked, as Cognito shows it (`a***@e***`).
    pub destination: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
}

/// What a sign-up answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedUp {
    /// The new user's id (their tokens' `sub`).
    pub user_id: String,
    /// Where the confirmation code went; `None` when the pool confirmed the user at once.
    pub delivery: Option<CodeDelivery>,
}

/// One stack's user pool, as a client uses it. Cheap to clone.
#[derive(Clone)]
pub struct Account {
    cognito: Client,
    stack: StackInfo,
    /// For messages: where Cognito is.
    endpoint: String,
}

impl Account {
    pub fn new(stack: &StackInfo) -> Self {
        let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(stack.region.clone()));
        if let Some(endpoint) = &stack.cognito_endpoint {
            config = config.endpoint_url(endpoint);
        }
        let endpoint = stack
            .cognito_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://cognito-idp.{}.amazonaws.com", stack.region));
        Self {
            cognito: Client::from_conf(config.build()),
            stack: stack.clone(),
            endpoint,
        }
    }

    pub fn stack(&self) -> &StackInfo {
        &self.stack
    }

    /// Signs `username` (an email address or +phone number) up; the code goes there.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<SignedUp, AccountError> {
        let attribute = AttributeType::builder()
            .name(address_attribute(username)?)
            .value(username)
            .build()
            .map_err(|e| AccountError::Unexpected(e.to_string()))?;
        let answer = self
            .cognito
            .sign_up()
            .client_id(&self.stack.user_pool_client_id)
            .username(username)
            .password(password)
            .user_attributes(attribute)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        Ok(SignedUp {
            user_id: answer.user_sub().to_owned(),
            delivery: answer.code_delivery_details().map(delivery),
        })
    }

    /// Confirms a sign-up with the code that was sent.
    pub async fn confirm(&self, username: &str, code: &str) -> Result<(), AccountError> {
        self.cognito
            .confirm_sign_up()
            .client_id(&self.stack.user_pool_client_id)
            .username(username)
            .confirmation_code(code)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        Ok(())
    }

    /// Sends a new confirmation code (the previous one stops working).
    pub async fn resend_code(&self, username: &str) -> Result<CodeDelivery, AccountError> {
        let answer = self
            .cognito
            .resend_confirmation_code()
            .client_id(&self.stack.user_pool_client_id)
            .username(username)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        answer
            .code_delivery_details()
            .map(delivery)
            .ok_or_else(|| AccountError::Unexpected("no CodeDeliveryDetails".into()))
    }

    /// Signs in with SRP (USER_SRP_AUTH, then the PASSWORD_VERIFIER challenge).
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Tokens, AccountError> {
        let srp = srp::SrpSignIn::new(
            &self.stack.user_pool_id,
            &self.stack.user_pool_client_id,
            username,
            password,
        );
        let started = self
            .cognito
            .initiate_auth()
            .client_id(&self.stack.user_pool_client_id)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("SRP_A", srp.srp_a())
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        match started.challenge_name() {
            Some(ChallengeNameType::PasswordVerifier) => {}
            Some(other) => return Err(AccountError::UnsupportedChallenge(other.to_string())),
            None => {
                return Err(AccountError::Unexpected(
                    "no PASSWORD_VERIFIER challenge".into(),
                ))
            }
        }
        let parameters = started.challenge_parameters().cloned().unwrap_or_default();
        let parameter = |name: &str| {
            parameters.get(name).map(String::as_str).ok_or_else(|| {
                AccountError::Unexpected(format!("the PASSWORD_VERIFIER challenge lacks {name}"))
            })
        };
        let user_id_for_srp = parameter("USER_ID_FOR_SRP")?;
        let answer = srp.answer(&srp::Challenge {
            user_id_for_srp,
            salt: parameter("SALT")?,
            srp_b: parameter("SRP_B")?,
            secret_block: parameter("SECRET_BLOCK")?,
        })?;
        // Cognito names the user by its own username (for an email or phone sign-in, the
        // internal one) in the challenge.
        let internal_username = parameters
            .get("USERNAME")
            .map(String::as_str)
            .unwrap_or(user_id_for_srp);
        let mut request = self
            .cognito
            .respond_to_auth_challenge()
            .client_id(&self.stack.user_pool_client_id)
            .challenge_name(ChallengeNameType::PasswordVerifier)
            .challenge_responses("USERNAME", internal_username)
            .challenge_responses(
                "PASSWORD_CLAIM_SECRET_BLOCK",
                answer.password_claim_secret_block,
            )
            .challenge_responses("PASSWORD_CLAIM_SIGNATURE", answer.password_claim_signature)
            .challenge_responses("TIMESTAMP", answer.timestamp);
        if let Some(session) = started.session() {
            request = request.session(session);
        }
        let finished = request.send().await.map_err(|e| self.sdk_error(e))?;
        if let Some(challenge) = finished.challenge_name() {
            return Err(AccountError::UnsupportedChallenge(challenge.to_string()));
        }
        tokens(username, finished.authentication_result(), None)
    }

    /// Signs in with USER_PASSWORD_AUTH: the password goes to Cognito (over TLS). Only where
    /// the app client allows it; otherwise Cognito refuses with InvalidParameter.
    pub async fn sign_in_with_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Tokens, AccountError> {
        let answer = self
            .cognito
            .initiate_auth()
            .client_id(&self.stack.user_pool_client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        if let Some(challenge) = answer.challenge_name() {
            return Err(AccountError::UnsupportedChallenge(challenge.to_string()));
        }
        tokens(username, answer.authentication_result(), None)
    }

    /// New ID and access tokens for the refresh token (REFRESH_TOKEN_AUTH). The refresh
    /// token is kept unless Cognito rotates it.
    pub async fn refresh(&self, current: &Tokens) -> Result<Tokens, AccountError> {
        let answer = self
            .cognito
            .initiate_auth()
            .client_id(&self.stack.user_pool_client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &current.refresh_token)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        tokens(
            &current.username,
            answer.authentication_result(),
            Some(&current.refresh_token),
        )
    }

    /// Ends the session on the server (RevokeToken): the refresh token, and the tokens
    /// refreshed with it, are refused from now on. ID tokens already issued stay valid
    /// until they expire (within an hour) wherever they are checked offline, as the
    /// WebSocket authorizer does.
    pub async fn revoke(&self, current: &Tokens) -> Result<(), AccountError> {
        self.cognito
            .revoke_token()
            .client_id(&self.stack.user_pool_client_id)
            .token(&current.refresh_token)
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        Ok(())
    }

    fn sdk_error<E, R>(
        &self,
        error: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
    ) -> AccountError
    where
        E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata
            + std::error::Error
            + 'static,
        R: std::fmt::Debug,
    {
        AccountError::from_sdk(&self.endpoint, error)
    }
}

/// The account as the connection worker's token source: a refresh through the user pool
/// (an application that reports why a refresh failed wraps it instead, as the CLI does).
impl TokenSource for Account {
    async fn refresh(&self, current: &Tokens) -> Result<Tokens, TokenError> {
        Ok(Account::refresh(self, current).await?)
    }
}

/// The attribute a username is: `email` or `phone_number` (+ then 8 to 15 digits).
fn address_attribute(username: &str) -> Result<&'static str, AccountError> {
    if let Some(digits) = username.strip_prefix('+') {
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok("phone_number");
        }
    } else if let Some((local, domain)) = username.split_once('@') {
        if !local.is_empty() && domain.contains('.') && !username.contains(char::is_whitespace) {
            return Ok("email");
        }
    }
    Err(AccountError::InvalidUsername(username.to_owned()))
}

fn delivery(details: &CodeDeliveryDetailsType) -> CodeDelivery {
    CodeDelivery {
        destination: details.destination().unwrap_or_default().to_owned(),
        medium: details
            .delivery_medium()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
    }
}

/// Tokens from an AuthenticationResult; `refresh_token` is the one to keep when the result
/// carries none (a refresh).
fn tokens(
    username: &str,
    result: Option<&AuthenticationResultType>,
    refresh_token: Option<&str>,
) -> Result<Tokens, AccountError> {
    let result = result.ok_or_else(|| AccountError::Unexpected("no tokens".into()))?;
    let missing = |name: &str| AccountError::Unexpected(format!("no {name} in the answer"));
    let id_token = result.id_token().ok_or_else(|| missing("IdToken"))?;
    let access_token = result
        .access_token()
        .ok_or_else(|| missing("AccessToken"))?;
    let refresh_token = result
        .refresh_token()
        .or(refresh_token)
        .ok_or_else(|| missing("RefreshToken"))?;
    let claims = claims::id_claims(id_token)?;
    Ok(Tokens {
        user_id: claims.sub,
        username: username.to_owned(),
        id_token: id_token.to_owned(),
        access_token: access_token.to_owned(),
        refresh_token: refresh_token.to_owned(),
        expires_at: claims.exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    #[test]
    fn usernames_are_emails_or_phone_numbers() {
        assert_eq!(address_attribute("ann@example.test").unwrap(), "email");
        assert_eq!(address_attribute("+15551234567").unwrap(), "phone_number");
        for bad in [
            "ann",
            "@x.io",
            "ann@localhost",
            "+1555",
            "+1555-123-4567",
            "a b@x.io",
            "",
        ] {
            assert!(
                matches!(
                    address_attribute(bad),
                    Err(AccountError::InvalidUsername(_))
                ),
                "{bad}"
            );
        }
    }

    fn id_token(sub: &str, exp: i64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{sub}","exp":{exp}}}"#));
        format!("e30.{payload}.sig")
    }

    #[test]
    fn tokens_take_sub_and_exp_from_the_id_token_and_keep_the_refresh_token() {
        let result = AuthenticationResultType::builder()
            .id_token(id_token("u-1", 1_800_000_000))
            .access_token("access")
            .build();
        let refreshed = tokens("ann@example.test", Some(&result), Some("kept")).unwrap();
        assert_eq!(refreshed.user_id, "u-1");
        assert_eq!(refreshed.expires_at, 1_800_000_000);
        assert_eq!(refreshed.refresh_token, "kept");
        assert_eq!(refreshed.username, "ann@example.test");

        // A sign-in must bring its refresh token.
        assert!(matches!(
            tokens("ann@example.test", Some(&result), None),
            Err(AccountError::Unexpected(_))
        ));
        // A rotated one replaces the old.
        let rotated = AuthenticationResultType::builder()
            .id_token(id_token("u-1", 1))
            .access_token("access")
            .refresh_token("new")
            .build();
        assert_eq!(
            tokens("a@x.io", Some(&rotated), Some("old"))
                .unwrap()
                .refresh_token,
            "new"
        );
    }

    #[tokio::test]
    async fn a_stack_nobody_serves_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let stack = StackInfo::new(
            "ws://127.0.0.1:1/prod",
            "us-east-1",
            "us-east-1_x",
            "client",
            Some(endpoint.clone()),
        )
        .unwrap();
        let error = Account::new(&stack)
            .sign_in_with_password("ann@example.test", "pw")
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unreachable, "{error}");
        assert!(error.to_string().contains(&endpoint), "{error}");
    }

    #[tokio::test]
    async fn a_bad_username_is_refused_before_any_request() {
        // Nothing listens on port 1: reaching the network would say Unreachable instead.
        let stack = StackInfo::new(
            "ws://127.0.0.1:1/prod",
            "us-east-1",
            "us-east-1_x",
            "client",
            Some("http://127.0.0.1:1".into()),
        )
        .unwrap();
        let error = Account::new(&stack).sign_up("bob", "pw").await.unwrap_err();
        assert!(matches!(error, AccountError::InvalidUsername(_)), "{error}");
    }
}
