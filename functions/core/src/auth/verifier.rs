//! Verifies a Cognito JWT the way aws-jwt-verify does: RS256 only, a key from the pool's JWKS
//! picked by `kid`, then `iss`, `token_use` with its app client, `exp` and `nbf`.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, Validation};

use super::claims::CognitoClaims;
use super::jwks::JwksCache;
use super::{AuthError, VerifiedClaims};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const CLOCK_SKEW_LEEWAY_SECS: u64 = 5;

/// Which user pool and app client tokens must come from. The JWKS URL is configured rather than
/// derived from `iss`: locally the keys are served by moto on 127.0.0.1 while `iss` still names
/// the real Cognito endpoint, and a token must never choose where its own keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`
    pub issuer: String,
    /// The pool's `.../.well-known/jwks.json`.
    pub jwks_url: String,
    /// The app client id: `aud` of id tokens, `client_id` of access tokens.
    pub client_id: String,
}

/// Build one per process and keep it: it caches the pool's keys across invocations.
pub struct Verifier {
    client_id: String,
    validation: Validation,
    keys: JwksCache,
}

impl Verifier {
    /// A verifier that fetches the JWKS when it first needs a key.
    pub fn new(config: VerifierConfig) -> Result<Self, AuthError> {
        let keys = JwksCache::new(config.jwks_url.clone())?;
        Ok(Self::with_cache(config, keys))
    }

    /// A verifier that starts with `jwks` as if just fetched from `config.jwks_url`, which it
    /// still uses to refetch when an unknown `kid` turns up.
    pub fn with_jwks(config: VerifierConfig, jwks: &JwkSet) -> Result<Self, AuthError> {
        let keys = JwksCache::preloaded(config.jwks_url.clone(), jwks)?;
        Ok(Self::with_cache(config, keys))
    }

    fn with_cache(config: VerifierConfig, keys: JwksCache) -> Self {
        Self {
            validation: validation_for(&config.issuer),
            client_id: config.client_id,
            keys,
        }
    }

    /// The token's claims if every check passes; otherwise which check failed.
    pub async fn verify(&self, token: &str) -> Result<VerifiedClaims, AuthError> {
        if token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        let header = decode_header(token).map_err(AuthError::Malformed)?;
        // Refused before any key is looked up, so a token cannot make us fetch anything.
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::DisallowedAlgorithm(header.alg));
        }
        let kid = header.kid.ok_or(AuthError::MissingKid)?;
        let key = self.keys.key(&kid).await?;
        let token = decode::<CognitoClaims>(token, &key, &self.validation)?;
        token.claims.verify_for_client(&self.client_id)
    }
}

/// What jsonwebtoken checks for us: the algorithm is fixed here, never taken from the header.
fn validation_for(issuer: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = CLOCK_SKEW_LEEWAY_SECS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    // Cognito puts the app client in `aud` or `client_id` depending on `token_use`, which
    // `CognitoClaims::verify_for_client` checks; access tokens have no `aud` at all.
    validation.validate_aud = false;
    validation
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::test_support::{
        access_claims, b64, config, id_claims, jwk_set, now, JwksServer, CLIENT_ID, ISSUER, KEY_1,
        KEY_2,
    };
    use super::super::TokenUse;
    use super::*;

    /// A verifier that already holds KEY_1, and whose JWKS URL nobody listens on.
    fn verifier() -> Verifier {
        let unused_url = "http://127.0.0.1:9/jwks.json".to_owned();
        Verifier::with_jwks(config(unused_url), &jwk_set(&[&KEY_1])).unwrap()
    }

    async fn verify(token: &str) -> Result<VerifiedClaims, AuthError> {
        verifier().verify(token).await
    }

    fn with(mut claims: Value, changes: Value) -> Value {
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    }

    fn without(mut claims: Value, name: &str) -> Value {
        claims.as_object_mut().unwrap().remove(name);
        claims
    }

    /// A token from a hand-made header and claims, with the given signature part.
    fn hand_made(header: Value, claims: &Value, signature: &str) -> String {
        format!(
            "{}.{}.{signature}",
            b64(header.to_string()),
            b64(claims.to_string())
        )
    }

    fn hs256_token(secret: &[u8]) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some(KEY_1.kid.to_owned());
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        jsonwebtoken::encode(&header, &id_claims(), &key).unwrap()
    }

    #[tokio::test]
    async fn accepts_an_id_token() {
        let claims = id_claims();
        let verified = verify(&KEY_1.sign(&claims)).await.unwrap();
        assert_eq!(
            verified,
            VerifiedClaims {
                sub: "user-1".into(),
                exp: claims["exp"].as_i64().unwrap(),
                token_use: TokenUse::Id,
            }
        );
    }

    #[tokio::test]
    async fn accepts_an_access_token() {
        let verified = verify(&KEY_1.sign(&access_claims())).await.unwrap();
        assert_eq!(verified.sub, "user-1");
        assert_eq!(verified.token_use, TokenUse::Access);
    }

    #[tokio::test]
    async fn refuses_an_empty_token() {
        assert!(matches!(verify("").await, Err(AuthError::MissingToken)));
    }

    #[tokio::test]
    async fn refuses_a_token_without_three_parts() {
        for token in ["abc", "abc.def", "a.b.c.d"] {
            let result = verify(token).await;
            assert!(
                matches!(result, Err(AuthError::Malformed(_))),
                "{token}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_bad_base64() {
        let token = KEY_1.sign(&id_claims());
        let (_, rest) = token.split_once('.').unwrap();
        let result = verify(&format!("!!not*base64!!.{rest}")).await;
        assert!(matches!(result, Err(AuthError::Malformed(_))), "{result:?}");
    }

    #[tokio::test]
    async fn refuses_a_header_that_is_not_json() {
        let token = KEY_1.sign(&id_claims());
        let (_, rest) = token.split_once('.').unwrap();
        let result = verify(&format!("{}.{rest}", b64("not json"))).await;
        assert!(matches!(result, Err(AuthError::Malformed(_))), "{result:?}");
    }

    #[tokio::test]
    async fn refuses_a_signed_payload_that_is_not_json() {
        let header = json!({"alg": "RS256", "kid": KEY_1.kid});
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY_1.private_pem.as_bytes()).unwrap();
        let message = format!("{}.{}", b64(header.to_string()), b64("not json"));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256);
        let result = verify(&format!("{message}.{}", signature.unwrap())).await;
        assert!(matches!(result, Err(AuthError::Malformed(_))), "{result:?}");
    }

    #[tokio::test]
    async fn refuses_a_tampered_payload() {
        let token = KEY_1.sign(&id_claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = with(id_claims(), json!({"sub": "someone-else"}));
        let tampered = format!("{}.{}.{}", parts[0], b64(forged.to_string()), parts[2]);
        let result = verify(&tampered).await;
        assert!(
            matches!(result, Err(AuthError::InvalidSignature)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_a_token_signed_by_another_key_under_a_known_kid() {
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(KEY_1.kid.to_owned());
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY_2.private_pem.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(&header, &id_claims(), &key).unwrap();
        let result = verify(&token).await;
        assert!(
            matches!(result, Err(AuthError::InvalidSignature)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_alg_none() {
        for alg in ["none", "None", "NONE"] {
            let token = hand_made(json!({"alg": alg, "kid": KEY_1.kid}), &id_claims(), "");
            let result = verify(&token).await;
            // jsonwebtoken has no `none` algorithm, so the header does not even parse.
            assert!(
                matches!(result, Err(AuthError::Malformed(_))),
                "{alg}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_hs256() {
        let result = verify(&hs256_token(b"some shared secret")).await;
        assert!(
            matches!(
                result,
                Err(AuthError::DisallowedAlgorithm(Algorithm::HS256))
            ),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_hs256_signed_with_the_public_key_as_secret() {
        // The classic key-confusion attack: the public key is public.
        let result = verify(&hs256_token(KEY_1.public_pem.as_bytes())).await;
        assert!(
            matches!(
                result,
                Err(AuthError::DisallowedAlgorithm(Algorithm::HS256))
            ),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_other_asymmetric_algorithms() {
        let token = KEY_1.sign(&id_claims());
        let (_, rest) = token.split_once('.').unwrap();
        for alg in ["RS512", "PS256", "ES256"] {
            let header = b64(json!({"alg": alg, "kid": KEY_1.kid}).to_string());
            let result = verify(&format!("{header}.{rest}")).await;
            assert!(
                matches!(result, Err(AuthError::DisallowedAlgorithm(_))),
                "{alg}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_a_token_without_kid() {
        let header = jsonwebtoken::Header::new(Algorithm::RS256);
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY_1.private_pem.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(&header, &id_claims(), &key).unwrap();
        assert!(matches!(verify(&token).await, Err(AuthError::MissingKid)));
    }

    #[tokio::test]
    async fn refuses_an_unknown_kid() {
        // KEY_2 is not in the preloaded JWKS, and the preload counts as a fresh fetch.
        let result = verify(&KEY_2.sign(&id_claims())).await;
        assert!(
            matches!(&result, Err(AuthError::UnknownKid(kid)) if kid == KEY_2.kid),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_a_wrong_issuer() {
        let claims = with(
            id_claims(),
            json!({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"}),
        );
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(matches!(result, Err(AuthError::WrongIssuer)), "{result:?}");
    }

    #[tokio::test]
    async fn refuses_a_missing_issuer() {
        let result = verify(&KEY_1.sign(&without(id_claims(), "iss"))).await;
        assert!(matches!(result, Err(AuthError::MissingClaim(c)) if c == "iss"));
    }

    #[tokio::test]
    async fn refuses_an_id_token_for_another_app_client() {
        let claims = with(id_claims(), json!({"aud": "another-client"}));
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(
            matches!(result, Err(AuthError::WrongAudience)),
            "{result:?}"
        );

        let result = verify(&KEY_1.sign(&without(id_claims(), "aud"))).await;
        assert!(
            matches!(result, Err(AuthError::WrongAudience)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_an_access_token_for_another_app_client() {
        let claims = with(access_claims(), json!({"client_id": "another-client"}));
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(
            matches!(result, Err(AuthError::WrongClientId)),
            "{result:?}"
        );

        // An `aud` naming our client does not stand in for `client_id`.
        let claims = with(
            without(access_claims(), "client_id"),
            json!({"aud": CLIENT_ID}),
        );
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(
            matches!(result, Err(AuthError::WrongClientId)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_a_token_use_other_than_id_or_access() {
        for token_use in [json!("refresh"), json!("ID"), json!(""), Value::Null] {
            let claims = with(id_claims(), json!({"token_use": token_use}));
            let result = verify(&KEY_1.sign(&claims)).await;
            assert!(
                matches!(result, Err(AuthError::WrongTokenUse(_))),
                "{token_use}: {result:?}"
            );
        }
        let result = verify(&KEY_1.sign(&without(id_claims(), "token_use"))).await;
        assert!(
            matches!(result, Err(AuthError::WrongTokenUse(None))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn refuses_an_expired_token() {
        let claims = with(id_claims(), json!({"exp": now() - 60}));
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(matches!(result, Err(AuthError::Expired)), "{result:?}");
    }

    #[tokio::test]
    async fn refuses_a_token_without_exp() {
        let result = verify(&KEY_1.sign(&without(id_claims(), "exp"))).await;
        assert!(matches!(result, Err(AuthError::MissingClaim(c)) if c == "exp"));
    }

    #[tokio::test]
    async fn refuses_a_token_not_yet_valid() {
        let claims = with(id_claims(), json!({"nbf": now() + 60}));
        let result = verify(&KEY_1.sign(&claims)).await;
        assert!(matches!(result, Err(AuthError::NotYetValid)), "{result:?}");
    }

    #[tokio::test]
    async fn accepts_exp_and_nbf_within_the_leeway() {
        let skew = CLOCK_SKEW_LEEWAY_SECS as i64 - 2;
        let claims = with(
            id_claims(),
            json!({"exp": now() - skew, "nbf": now() + skew}),
        );
        assert!(verify(&KEY_1.sign(&claims)).await.is_ok());
    }

    #[tokio::test]
    async fn refuses_a_token_without_sub() {
        let result = verify(&KEY_1.sign(&without(id_claims(), "sub"))).await;
        assert!(matches!(result, Err(AuthError::MissingClaim(c)) if c == "sub"));

        let result = verify(&KEY_1.sign(&with(id_claims(), json!({"sub": ""})))).await;
        assert!(matches!(result, Err(AuthError::MissingClaim(c)) if c == "sub"));
    }

    #[tokio::test]
    async fn fetches_keys_from_the_configured_url_not_from_iss() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let verifier = Verifier::new(config(server.url())).unwrap();
        assert_ne!(server.url(), format!("{ISSUER}/.well-known/jwks.json"));

        for _ in 0..2 {
            verifier.verify(&KEY_1.sign(&id_claims())).await.unwrap();
        }
        assert_eq!(server.requests(), 1, "keys are cached across verifications");
    }

    #[tokio::test]
    async fn a_refused_algorithm_causes_no_fetch() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let verifier = Verifier::new(config(server.url())).unwrap();
        let result = verifier.verify(&hs256_token(b"secret")).await;
        assert!(matches!(result, Err(AuthError::DisallowedAlgorithm(_))));
        assert_eq!(server.requests(), 0);
    }
}
