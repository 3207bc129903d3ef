//! Who is on a connection: what the authorizer puts in its context at `$connect`, and what
//! API Gateway hands to every later event of that connection in `requestContext.authorizer`.
//! Identity always comes from here, never from a client frame.

use serde::{Deserialize, Serialize};

use crate::Error;

/// The authorizer's `context`. API Gateway only passes string, number and boolean values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The token's `sub`: the user id everywhere in the protocol.
    pub user_id: String,
    /// The token's `exp`, seconds since the Unix epoch. A connection must not outlive it.
    pub token_expires_at: i64,
    /// The device the client named with `?device=` at connect (its id in the key directory,
    /// docs/encryption.md); absent for clients that do not encrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl Identity {
    /// The refusal of a frame on a connection that outlived its token, at `now_ms` (epoch
    /// milliseconds); `None` while the token is valid.
    pub fn expiry_refusal(&self, now_ms: i64) -> Option<Error> {
        (self.token_expires_at * 1000 <= now_ms)
            .then(|| Error::unauthorized("your token has expired: reconnect with a fresh one"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::ErrorCode;

    #[test]
    fn a_connection_may_not_outlive_its_token() {
        let identity = Identity {
            user_id: "u".into(),
            token_expires_at: 1_000,
            device_id: None,
        };
        assert!(identity.expiry_refusal(999_999).is_none());
        let refusal = identity.expiry_refusal(1_000_000).unwrap();
        assert_eq!(refusal.code(), ErrorCode::Unauthorized);
        assert_eq!(
            refusal.public_message(),
            "your token has expired: reconnect with a fresh one"
        );
    }
}
