//! The claims Parley takes from a Cognito token, and the Cognito-specific checks jsonwebtoken
//! cannot express: which client a token was issued to depends on its `token_use`.

use serde::Deserialize;

use super::AuthError;

/// Which of the two Cognito token kinds was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

/// What a token says once its signature, issuer, client, and lifetime have all been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// The Cognito user's stable id.
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    pub token_use: TokenUse,
}

/// The payload as Cognito writes it. Every field is optional so that a missing claim reaches
/// jsonwebtoken's required-claim check (or ours) instead of failing as bad JSON.
#[derive(Debug, Deserialize)]
pub(super) struct CognitoClaims {
    sub: Option<String>,
    exp: Option<i64>,
    token_use: Option<String>,
    /// Id tokens name the app client here.
    aud: Option<String>,
    /// Access tokens name the app client here, and carry no `aud`.
    client_id: Option<String>,
}

impl CognitoClaims {
    /// Checks `token_use` and the app client it implies; the signature, `iss`, `exp` and `nbf`
    /// must already have been checked.
    pub(super) fn verify_for_client(self, client_id: &str) -> Result<VerifiedClaims, AuthError> {
        let token_use = match self.token_use.as_deref() {
            Some("id") if self.aud.as_deref() == Some(client_id) => TokenUse::Id,
            Some("id") => return Err(AuthError::WrongAudience),
            Some("access") if self.client_id.as_deref() == Some(client_id) => TokenUse::Access,
            Some("access") => return Err(AuthError::WrongClientId),
            _ => return Err(AuthError::WrongTokenUse(self.token_use)),
        };
        let sub = self
            .sub
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| AuthError::MissingClaim("sub".into()))?;
        let exp = self
            .exp
            .ok_or_else(|| AuthError::MissingClaim("exp".into()))?;
        Ok(VerifiedClaims {
            sub,
            exp,
            token_use,
        })
    }
}
