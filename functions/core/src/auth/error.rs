//! Why a token was refused, or why the verifier could not decide. The text is for logs only: the
//! authorizer answers clients with a bare 401/403 and never with this.

use jsonwebtoken::errors::{Error as JwtError, ErrorKind as JwtErrorKind};
use jsonwebtoken::Algorithm;

/// One variant per check, so a log line says which one failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no token")]
    MissingToken,
    /// Not a JWT at all: not three parts, bad base64, bad JSON, or a header `alg` jsonwebtoken
    /// cannot even represent (such as `none`).
    #[error("malformed token: {0}")]
    Malformed(JwtError),
    #[error("algorithm {0:?} is not allowed: only RS256")]
    DisallowedAlgorithm(Algorithm),
    #[error("token header has no kid")]
    MissingKid,
    #[error("no key with kid {0:?} in the JWKS")]
    UnknownKid(String),
    #[error("signature does not verify")]
    InvalidSignature,
    #[error("claim {0} is missing")]
    MissingClaim(String),
    #[error("issuer does not match the user pool")]
    WrongIssuer,
    #[error("token_use {0:?} is neither \"id\" nor \"access\"")]
    WrongTokenUse(Option<String>),
    #[error("id token aud does not match the app client")]
    WrongAudience,
    #[error("access token client_id does not match the app client")]
    WrongClientId,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    /// A refusal jsonwebtoken reported that none of the variants above describes.
    #[error("token refused: {0}")]
    Refused(JwtError),
    #[error("could not build the JWKS HTTP client: {0}")]
    HttpClient(reqwest::Error),
    #[error("could not fetch the JWKS: {0}")]
    JwksFetch(reqwest::Error),
}

impl From<JwtError> for AuthError {
    fn from(error: JwtError) -> Self {
        match error.kind() {
            JwtErrorKind::InvalidSignature => Self::InvalidSignature,
            JwtErrorKind::ExpiredSignature => Self::Expired,
            JwtErrorKind::ImmatureSignature => Self::NotYetValid,
            JwtErrorKind::InvalidIssuer => Self::WrongIssuer,
            JwtErrorKind::MissingRequiredClaim(claim) => Self::MissingClaim(claim.clone()),
            JwtErrorKind::InvalidToken
            | JwtErrorKind::InvalidClaimFormat(_)
            | JwtErrorKind::Base64(_)
            | JwtErrorKind::Json(_)
            | JwtErrorKind::Utf8(_) => Self::Malformed(error),
            _ => Self::Refused(error),
        }
    }
}
