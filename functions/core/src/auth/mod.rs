//! Verifying Cognito tokens: the checks aws-jwt-verify makes (RS256 signature by a key from the
//! user pool's JWKS, issuer, `token_use` and app client, expiry), with the pool's keys cached
//! for the life of the process. Used by the `$connect` authorizer.

mod claims;
mod error;
mod jwks;
#[cfg(test)]
mod test_support;
mod verifier;

pub use claims::{TokenUse, VerifiedClaims};
pub use error::AuthError;
pub use jwks::{JWKS_FETCH_TIMEOUT, MIN_JWKS_REFETCH_INTERVAL};
pub use verifier::{Verifier, VerifierConfig, CLOCK_SKEW_LEEWAY_SECS};
