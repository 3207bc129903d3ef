//! The two claims the client needs from an ID token (`sub`, `exp`), read from its payload
//! without checking the signature: the token came straight from Cognito over TLS, and the
//! server verifies it on every connection anyway.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

use super::AccountError;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct IdClaims {
    pub sub: String,
    pub exp: i64,
}

pub(crate) fn id_claims(id_token: &str) -> Result<IdClaims, AccountError> {
    let bad = |why: &str| AccountError::Unexpected(format!("the ID token {why}"));
    let mut parts = id_token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("is not a JWT"));
    };
    // Some encoders pad; the JWT form does not.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| bad("payload lacks sub or exp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiIsImtpZCI6ImR1bW15In0.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_sub_and_exp() {
        let claims = id_claims(&token(
            r#"{"sub":"7d8e-11","exp":1760000000,"email":"a@x.io","token_use":"id"}"#,
        ))
        .unwrap();
        assert_eq!(
            claims,
            IdClaims {
                sub: "7d8e-11".into(),
                exp: 1_760_000_000
            }
        );
    }

    #[test]
    fn refuses_what_is_not_an_id_token() {
        for bad in [
            "not-a-jwt".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            "a.%%%.c".to_owned(),
            token(r#"{"exp":1}"#),
            token(r#"{"sub":"x","exp":"soon"}"#),
        ] {
            let error = id_claims(&bad).unwrap_err();
            assert!(
                matches!(error, AccountError::Unexpected(_)),
                "{bad}: {error}"
            );
            // The message never echoes the token.
            assert!(!error.to_string().contains(&bad), "{error}");
        }
    }
}
