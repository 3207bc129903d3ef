//! Where fresh tokens come from: the seam between the connection worker and the account
//! (Cognito) code, so the worker can be run with any source (tests hand out fixed tokens).

use std::future::Future;

use crate::Tokens;

pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

pub trait TokenSource: Send + Sync + 'static {
    /// New tokens for the user of `current` (their ID token expires soon, or the server
    /// refused it): a refresh through the user pool.
    fn refresh(&self, current: &Tokens) -> impl Future<Output = Result<Tokens, TokenError>> + Send;
}

/// Hands back the tokens it is given: for a client whose tokens outlive it (tests, tools).
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepTokens;

impl TokenSource for KeepTokens {
    async fn refresh(&self, current: &Tokens) -> Result<Tokens, TokenError> {
        Ok(current.clone())
    }
}
