//! The `$connect` REQUEST authorizer: reads the Cognito token from `?token=`, verifies it, and
//! answers API Gateway with an IAM policy. Allow carries the caller's [`Identity`] as context,
//! which API Gateway hands to every later event of the connection. A missing token is a 401, an
//! invalid one a 403; clients learn nothing more, and the reason goes to the logs only.
//! `?device=` (optional: clients that do not encrypt leave it out) names the device in the key
//! directory; it joins the context when it is a valid id, and a malformed one is a 403 too.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_runtime::{Error, LambdaEvent};
use parley_core::auth::{AuthError, Verifier};
use parley_core::identity::Identity;
use parley_protocol::is_valid_id;

pub type Request = ApiGatewayCustomAuthorizerRequestTypeRequest;
/// The context is `None` on Deny: a refused caller gets no identity.
pub type Response = ApiGatewayCustomAuthorizerResponse<Option<Identity>>;

/// The exact error message API Gateway turns into a 401.
const UNAUTHORIZED: &str = "Unauthorized";
/// The principal of a Deny: says nothing about who the caller claimed to be.
const DENIED_PRINCIPAL: &str = "anonymous";

pub async fn handle(verifier: &Verifier, event: LambdaEvent<Request>) -> Result<Response, Error> {
    let request = event.payload;
    let Some(method_arn) = request.method_arn else {
        return Err("authorizer event has no methodArn".into());
    };
    let token = request
        .query_string_parameters
        .first("token")
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        tracing::info!("refused: no token in the query string");
        return Err(UNAUTHORIZED.into());
    };
    let device_id = request
        .query_string_parameters
        .first("device")
        .map(str::to_owned);
    if device_id.as_deref().is_some_and(|id| !is_valid_id(id)) {
        tracing::info!("refused: malformed device id");
        return Ok(policy(
            DENIED_PRINCIPAL.to_owned(),
            IamPolicyEffect::Deny,
            method_arn,
            None,
        ));
    }

    match verifier.verify(token).await {
        Ok(claims) => {
            tracing::info!(user_id = %claims.sub, "allowed");
            let identity = Identity {
                user_id: claims.sub,
                token_expires_at: claims.exp,
                device_id,
            };
            Ok(policy(
                identity.user_id.clone(),
                IamPolicyEffect::Allow,
                method_arn,
                Some(identity),
            ))
        }
        // Our failure, not the token's: a 500 tells the client to retry, where a 403 would
        // tell it to sign in again.
        Err(error @ (AuthError::JwksFetch(_) | AuthError::HttpClient(_))) => {
            tracing::error!(%error, "could not get the user pool's keys");
            Err("could not get the user pool's signing keys".into())
        }
        Err(error) => {
            tracing::warn!(%error, "refused: invalid token");
            Ok(policy(
                DENIED_PRINCIPAL.to_owned(),
                IamPolicyEffect::Deny,
                method_arn,
                None,
            ))
        }
    }
}

fn policy(
    principal_id: String,
    effect: IamPolicyEffect,
    method_arn: String,
    context: Option<Identity>,
) -> Response {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![method_arn];

    let mut policy_document = ApiGatewayCustomAuthorizerPolicy::default();
    policy_document.version = Some("2012-10-17".to_owned());
    policy_document.statement = vec![statement];

    let mut response = Response::default();
    response.principal_id = Some(principal_id);
    response.policy_document = policy_document;
    response.context = context;
    response
}

/// The verifier's settings from the Lambda environment.
#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use lambda_runtime::Context;
    use serde_json::{json, Value};

    use super::*;
    use parley_core::auth::VerifierConfig;

    // The test-only key pair committed with parley-core's auth tests.
    const TEST_KEY_PEM: &str = include_str!("../../core/src/auth/testdata/test-only-rsa-key-1.pem");
    const TEST_JWK: &str = include_str!("../../core/src/auth/testdata/test-only-jwk-1.json");
    const TEST_KID: &str = "test-only-key-1";
    const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
    const CLIENT_ID: &str = "test-app-client";
    const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/$connect";

    fn verifier() -> Verifier {
        let config = VerifierConfig {
            issuer: ISSUER.to_owned(),
            // Never reached: the key is preloaded.
            jwks_url: "http://127.0.0.1:9/jwks.json".to_owned(),
            client_id: CLIENT_ID.to_owned(),
        };
        let jwks = JwkSet {
            keys: vec![serde_json::from_str(TEST_JWK).unwrap()],
        };
        Verifier::with_jwks(config, &jwks).unwrap()
    }

    fn id_token(exp: i64) -> String {
        let claims = json!({
            "sub": "user-1",
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "exp": exp,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(TEST_KID.to_owned());
        let key = EncodingKey::from_rsa_pem(TEST_KEY_PEM.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }

    fn connect_event(query: Value) -> LambdaEvent<Request> {
        let request = serde_json::from_value(json!({
            "type": "REQUEST",
            "methodArn": METHOD_ARN,
            "queryStringParameters": query,
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"},
        }))
        .unwrap();
        LambdaEvent::new(request, Context::default())
    }

    fn in_an_hour() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64 + 3600
    }

    #[tokio::test]
    async fn allows_a_valid_token_with_the_identity_as_context() {
        let exp = in_an_hour();
        let event = connect_event(json!({"token": id_token(exp)}));

        let response = handle(&verifier(), event).await.unwrap();

        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({
                "principalId": "user-1",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": ["execute-api:Invoke"],
                        "Effect": "Allow",
                        "Resource": [METHOD_ARN],
                    }],
                },
                "context": {"userId": "user-1", "tokenExpiresAt": exp},
                "usageIdentifierKey": null,
            })
        );
    }

    #[tokio::test]
    async fn a_device_id_joins_the_context_and_a_malformed_one_is_denied() {
        let exp = in_an_hour();
        let event = connect_event(json!({"token": id_token(exp), "device": "PHONE_1"}));
        let response = handle(&verifier(), event).await.unwrap();
        assert_eq!(
            serde_json::to_value(&response.context).unwrap(),
            json!({"userId": "user-1", "tokenExpiresAt": exp, "deviceId": "PHONE_1"})
        );
        for device in ["", "a b", &"x".repeat(65)] {
            let event = connect_event(json!({"token": id_token(exp), "device": device}));
            let response = handle(&verifier(), event).await.unwrap();
            assert_eq!(response.context, None, "{device:?}");
            assert_eq!(
                response.policy_document.statement[0].effect,
                IamPolicyEffect::Deny
            );
        }
    }

    #[tokio::test]
    async fn denies_an_invalid_token_without_context() {
        let expired = id_token(in_an_hour() - 7200);
        for token in [expired.as_str(), "not-a-jwt"] {
            let event = connect_event(json!({ "token": token }));

            let response = handle(&verifier(), event).await.unwrap();

            assert_eq!(response.principal_id.as_deref(), Some(DENIED_PRINCIPAL));
            let statement = &response.policy_document.statement[0];
            assert_eq!(statement.effect, IamPolicyEffect::Deny);
            assert_eq!(statement.resource, [METHOD_ARN]);
            assert_eq!(response.context, None);
        }
    }

    #[tokio::test]
    async fn a_missing_token_is_unauthorized() {
        for query in [json!({}), json!({"token": ""}), json!({"other": "x"})] {
            let error = handle(&verifier(), connect_event(query.clone()))
                .await
                .unwrap_err();
            assert_eq!(error.to_string(), UNAUTHORIZED, "{query}");
        }
    }

    #[tokio::test]
    async fn unreachable_keys_fail_the_invocation_instead_of_denying() {
        let config = VerifierConfig {
            issuer: ISSUER.to_owned(),
            // Nothing listens on the discard port: the fetch fails.
            jwks_url: "http://127.0.0.1:9/jwks.json".to_owned(),
            client_id: CLIENT_ID.to_owned(),
        };
        let verifier = Verifier::new(config).unwrap();
        let event = connect_event(json!({"token": id_token(in_an_hour())}));
        let error = handle(&verifier, event).await.unwrap_err();
        assert_ne!(error.to_string(), UNAUTHORIZED, "a 500, not a 401");
    }

    #[test]
    fn the_sample_event_deserializes() {
        let json = include_str!("../../../events/authorizer-connect.json");
        let request: Request = serde_json::from_str(json).unwrap();
        assert_eq!(request.method_arn.as_deref(), Some(METHOD_ARN));
        assert_eq!(
            request.query_string_parameters.first("token"),
            Some("REPLACE_WITH_ID_TOKEN")
        );
        assert_eq!(request.request_context.stage.as_deref(), Some("dev"));
    }
}
