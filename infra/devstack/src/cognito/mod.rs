//! What Cognito does that moto does not, for the requests clients make through the AWS
//! endpoint: moto sends no verification code, confirms a sign-up whatever code it is given,
//! and runs no Lambda trigger. Here:
//!
//! - `SignUp` and `ResendConfirmationCode` (which moto does not implement: answered here)
//!   put the code Cognito would send by email or SMS into the local [`outbox`], and answer
//!   with `CodeDeliveryDetails`, as Cognito does;
//! - `ConfirmSignUp` is refused with `CodeMismatchException` (or `ExpiredCodeException`)
//!   unless it carries the newest code sent, before moto sees it;
//! - after a successful `ConfirmSignUp` or `AdminConfirmSignUp`, the pool's PostConfirmation
//!   trigger (a function's SAM event `Type: Cognito`, `Trigger: PostConfirmation`) is
//!   invoked with the event Cognito sends, and its failure fails the call as in Cognito;
//! - `GetTokensFromRefreshToken` (how Amplify v6 refreshes tokens; moto does not implement it)
//!   is answered with what moto's `InitiateAuth` `REFRESH_TOKEN_AUTH` gives for the token;
//! - `RevokeToken` (what a sign-out sends; moto answers it with a 500) is answered here, and
//!   a revoked refresh token is refused from then on, by `GetTokensFromRefreshToken` and by
//!   `InitiateAuth` `REFRESH_TOKEN_AUTH`, with Cognito's `NotAuthorizedException`;
//! - every answer made here carries the CORS headers Cognito's API sends to any origin
//!   ([`with_cors`]), so a web page reads it as it reads moto's.
//!
//! - SRP sign-in's secret block travels base64-encoded as in Cognito ([`srp`]).
//!
//! The proxy calls [`LocalCognito::before`], [`LocalCognito::rewrite`] and
//! [`LocalCognito::after`] around forwarding.

pub mod outbox;
mod srp;
mod trigger;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::lambda::{Functions, Invoke};
use crate::template::{Resolver, TemplateError};
use outbox::{CodeCheck, Outbox};

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// The stack's user pools as Cognito would run them.
pub struct LocalCognito {
    outbox: Outbox,
    /// App client id → its user pool id.
    pools: BTreeMap<String, String>,
    /// User pool id → the function its PostConfirmation trigger invokes.
    triggers: BTreeMap<String, String>,
    functions: Functions,
    /// moto's Cognito, to read a confirmed user's attributes for the trigger's event.
    moto: aws_sdk_cognitoidentityprovider::Client,
    region: String,
    /// Refresh tokens a `RevokeToken` ended (for as long as the local stack runs, as long as
    /// moto keeps the users they belong to).
    revoked: Mutex<HashSet<String>>,
}

impl LocalCognito {
    /// The pools, clients and triggers of the template as deployed locally.
    pub fn new(
        resolver: &Resolver,
        functions: Functions,
        moto: aws_sdk_cognitoidentityprovider::Client,
        region: &str,
        outbox: Outbox,
    ) -> Result<Self, TemplateError> {
        Ok(Self {
            outbox,
            pools: trigger::client_pools(resolver)?,
            triggers: trigger::post_confirmation_triggers(resolver)?,
            functions,
            moto,
            region: region.to_owned(),
            revoked: Mutex::default(),
        })
    }

    /// The Cognito operation a request names, if it is one.
    pub fn operation(headers: &HeaderMap) -> Option<String> {
        let target = headers.get("x-amz-target")?.to_str().ok()?;
        target.strip_prefix(TARGET_PREFIX).map(str::to_owned)
    }

    /// An answer of its own to a Cognito request, or `None` to forward it to moto.
    pub async fn before(&self, operation: &str, body: &[u8]) -> Option<Response> {
        let request: Value = serde_json::from_slice(body).unwrap_or_default();
        let field = |name: &str| request[name].as_str().unwrap_or_default();
        match operation {
            "ConfirmSignUp" => {}
            "ResendConfirmationCode" => {
                return Some(self.resend_code(field("ClientId"), field("Username")).await)
            }
            "GetTokensFromRefreshToken" => {
                if self.is_revoked(field("RefreshToken")) {
                    return Some(revoked());
                }
                return Some(self.refresh(field("ClientId"), field("RefreshToken")).await);
            }
            "InitiateAuth" => {
                let refresh_token = request["AuthParameters"]["REFRESH_TOKEN"]
                    .as_str()
                    .unwrap_or_default();
                return self.is_revoked(refresh_token).then(revoked);
            }
            "RevokeToken" => return Some(self.revoke(field("ClientId"), field("Token"))),
            _ => return None,
        }
        match self.outbox.confirm(
            field("ClientId"),
            field("Username"),
            field("ConfirmationCode"),
        ) {
            CodeCheck::Valid => None,
            CodeCheck::Mismatch => Some(error(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            )),
            CodeCheck::Expired => Some(error(
                "ExpiredCodeException",
                "Invalid code provided, please request a code again.",
            )),
        }
    }

    /// The request to forward to moto in place of the client's, when it differs.
    pub fn rewrite(&self, operation: &str, body: &[u8]) -> Option<Vec<u8>> {
        match operation {
            "RespondToAuthChallenge" => srp::decode_secret_block(body),
            _ => None,
        }
    }

    /// After moto answered `operation` with success: what Cognito would also have done. Returns
    /// the body to answer with instead of moto's, or an error response, when they differ.
    pub async fn after(
        &self,
        operation: &str,
        request: &[u8],
        response: &[u8],
    ) -> Option<Result<Vec<u8>, Response>> {
        let request: Value = serde_json::from_slice(request).unwrap_or_default();
        let text = |name: &str| request[name].as_str().unwrap_or_default().to_owned();
        match operation {
            "SignUp" => Some(Ok(self.send_sign_up_code(&request, response))),
            "InitiateAuth" => srp::encode_secret_block(response).map(Ok),
            "ConfirmSignUp" => {
                let client_id = text("ClientId");
                let pool = self.pools.get(&client_id)?.clone();
                self.confirmed(&pool, &text("Username"), &client_id)
                    .await
                    .err()
                    .map(Err)
            }
            "AdminConfirmSignUp" => self
                .confirmed(
                    &text("UserPoolId"),
                    &text("Username"),
                    "CLIENT_ID_NOT_APPLICABLE",
                )
                .await
                .err()
                .map(Err),
            _ => None,
        }
    }

    /// `GetTokensFromRefreshToken`, through moto's `REFRESH_TOKEN_AUTH`: the same tokens in
    /// the same `AuthenticationResult` shape (no new refresh token, as without rotation).
    async fn refresh(&self, client_id: &str, refresh_token: &str) -> Response {
        let refreshed = self
            .moto
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await;
        let Some(result) = refreshed
            .ok()
            .and_then(|out| out.authentication_result().cloned())
        else {
            return error("NotAuthorizedException", "Invalid Refresh Token.");
        };
        let body = json!({"AuthenticationResult": {
            "AccessToken": result.access_token(),
            "IdToken": result.id_token(),
            "ExpiresIn": result.expires_in(),
            "TokenType": result.token_type(),
        }});
        let mut response = Response::new(Body::from(body.to_string()));
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }

    /// `RevokeToken`: the refresh token is refused from now on. Cognito answers `{}` whether
    /// or not the token was valid.
    fn revoke(&self, client_id: &str, refresh_token: &str) -> Response {
        if !self.pools.contains_key(client_id) {
            return error(
                "ResourceNotFoundException",
                "User pool client does not exist.",
            );
        }
        if refresh_token.is_empty() {
            return error("InvalidParameterException", "Token is required.");
        }
        self.revoked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(refresh_token.to_owned());
        let mut response = Response::new(Body::from("{}"));
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }

    fn is_revoked(&self, refresh_token: &str) -> bool {
        !refresh_token.is_empty()
            && self
                .revoked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .contains(refresh_token)
    }

    /// `ResendConfirmationCode`: a fresh code to the unconfirmed user's email (else phone).
    async fn resend_code(&self, client_id: &str, username: &str) -> Response {
        let Some(pool) = self.pools.get(client_id) else {
            return error(
                "ResourceNotFoundException",
                "User pool client does not exist.",
            );
        };
        let user = match self
            .moto
            .admin_get_user()
            .user_pool_id(pool)
            .username(username)
            .send()
            .await
        {
            Ok(user) => user,
            Err(_) => {
                return error(
                    "UserNotFoundException",
                    "Username/client id combination not found.",
                )
            }
        };
        if user.user_status().map(|s| s.as_str()) == Some("CONFIRMED") {
            return error("InvalidParameterException", "User is already confirmed.");
        }
        let attribute = |name: &str| {
            user.user_attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
                .map(str::to_owned)
        };
        let (medium, to) = match (attribute("email"), attribute("phone_number")) {
            (Some(email), _) => ("EMAIL", email),
            (None, Some(phone)) => ("SMS", phone),
            (None, None) => {
                return error("InvalidParameterException", "No address to send a code to.")
            }
        };
        self.outbox
            .send_code("ResendConfirmationCode", client_id, username, medium, &to);
        let body = json!({"CodeDeliveryDetails": delivery_details(medium, &to)}).to_string();
        let mut response = Response::new(Body::from(body));
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }

    /// Puts the code of a sign-up into the outbox and answers with where it went.
    fn send_sign_up_code(&self, request: &Value, response: &[u8]) -> Vec<u8> {
        let attribute = |name: &str| {
            request["UserAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["Name"] == name)
                .and_then(|a| a["Value"].as_str())
                .map(str::to_owned)
        };
        let username = request["Username"].as_str().unwrap_or_default();
        let client_id = request["ClientId"].as_str().unwrap_or_default();
        // Cognito verifies the email when there is one, else the phone number.
        let (medium, to) = match (attribute("email"), attribute("phone_number")) {
            (Some(email), _) => ("EMAIL", email),
            (None, Some(phone)) => ("SMS", phone),
            (None, None) => ("EMAIL", username.to_owned()),
        };
        self.outbox
            .send_code("SignUp", client_id, username, medium, &to);
        let mut answer: Value = serde_json::from_slice(response).unwrap_or_else(|_| json!({}));
        answer["CodeDeliveryDetails"] = delivery_details(medium, &to);
        serde_json::to_vec(&answer).unwrap_or_else(|_| response.to_vec())
    }

    /// Runs the pool's PostConfirmation trigger for `username`, if it has one.
    async fn confirmed(&self, pool: &str, username: &str, client_id: &str) -> Result<(), Response> {
        let Some(function) = self.triggers.get(pool) else {
            return Ok(());
        };
        let event =
            trigger::post_confirmation_event(&self.moto, &self.region, pool, username, client_id)
                .await
                .map_err(|reason| {
                    tracing::warn!(%reason, "PostConfirmation: could not read the user");
                    error(
                        "InternalErrorException",
                        "PostConfirmation could not read the user",
                    )
                })?;
        match self.functions.invoke(function, event).await {
            Ok(_) => Ok(()),
            Err(failure) => {
                tracing::warn!(%function, %failure, "the PostConfirmation trigger failed");
                Err(error(
                    "UserLambdaValidationException",
                    &format!("PostConfirmation failed with error {failure}."),
                ))
            }
        }
    }
}

/// `CodeDeliveryDetails` as Cognito masks it (`a***@e***`, `+*******0100`).
fn delivery_details(medium: &str, to: &str) -> Value {
    let masked = match medium {
        "SMS" => {
            let keep = to.len().saturating_sub(4);
            format!("+{}{}", "*".repeat(keep.saturating_sub(1)), &to[keep..])
        }
        _ => match to.split_once('@') {
            Some((local, domain)) => format!(
                "{}***@{}***",
                local.chars().next().unwrap_or('*'),
                domain.chars().next().unwrap_or('*')
            ),
            None => "***".to_owned(),
        },
    };
    json!({
        "Destination": masked,
        "DeliveryMedium": medium,
        "AttributeName": if medium == "SMS" { "phone_number" } else { "email" },
    })
}

/// A Cognito error in its JSON protocol (HTTP 400, `__type`).
/// An answer made here, with the CORS headers Cognito's API gives any origin (`origin` is the
/// request's `Origin`; none for non-browser callers).
pub fn with_cors(mut response: Response, origin: Option<&HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", origin.clone());
        headers.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(
                "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date",
            ),
        );
        headers.append("vary", HeaderValue::from_static("Origin"));
    }
    response
}

/// Cognito's refusal of a revoked refresh token.
fn revoked() -> Response {
    error("NotAuthorizedException", "Refresh Token has been revoked")
}

fn error(kind: &str, message: &str) -> Response {
    let body = json!({"__type": kind, "message": message}).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(kind) = HeaderValue::from_str(kind) {
        headers.insert("x-amzn-errortype", kind);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_details_are_masked_as_cognito_masks_them() {
        let email = delivery_details("EMAIL", "ana@example.test");
        assert_eq!(email["Destination"], "a***@e***");
        assert_eq!(email["AttributeName"], "email");
        let sms = delivery_details("SMS", "+15550100");
        assert_eq!(sms["Destination"], "+****0100");
        assert_eq!(sms["DeliveryMedium"], "SMS");
    }

    #[test]
    fn only_cognito_targets_are_operations() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSCognitoIdentityProviderService.SignUp"),
        );
        assert_eq!(LocalCognito::operation(&headers).as_deref(), Some("SignUp"));
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.GetItem"),
        );
        assert_eq!(LocalCognito::operation(&headers), None);
    }
}
