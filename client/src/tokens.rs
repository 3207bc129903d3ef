//! A signed-in user's Cognito tokens: what the account module hands out and the local store
//! keeps (never logged).

use serde::{Deserialize, Serialize};

/// Refresh this long before the ID token expires, so a connection never opens with a token
/// about to lapse.
pub const REFRESH_MARGIN_SECS: i64 = 5 * 60;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The user's id (the token's `sub`): what other users address them by.
    pub user_id: String,
    /// The name they signed in with (email or phone number).
    pub username: String,
    /// Presented as `?token=` when connecting.
    pub id_token: String,
    pub access_token: String,
    /// Cognito does not rotate it on refresh: kept from sign-in.
    pub refresh_token: String,
    /// When the ID token expires, epoch seconds.
    pub expires_at: i64,
}

impl Tokens {
    /// Whether the ID token should be refreshed before it is used at `now` (epoch seconds).
    pub fn needs_refresh(&self, now: i64) -> bool {
        now + REFRESH_MARGIN_SECS >= self.expires_at
    }
}

/// Tokens are secrets: their Debug form names the user only.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_at: i64) -> Tokens {
        Tokens {
            user_id: "u".into(),
            username: "a@x.io".into(),
            id_token: "secret-id".into(),
            access_token: "secret-access".into(),
            refresh_token: "secret-refresh".into(),
            expires_at,
        }
    }

    #[test]
    fn refreshes_ahead_of_expiry() {
        assert!(!tokens(10_000).needs_refresh(10_000 - REFRESH_MARGIN_SECS - 1));
        assert!(tokens(10_000).needs_refresh(10_000 - REFRESH_MARGIN_SECS));
        assert!(tokens(10_000).needs_refresh(20_000));
    }

    #[test]
    fn debug_output_holds_no_token() {
        let shown = format!("{:?}", tokens(1));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
