//! Who is on a connection: what the authorizer puts in its context at `$connect`, and what
//! API Gateway hands to every later event of that connection in `requestContext.authorizer`.
//! Identity always comes from here, never from a client frame.

use serde::{Deserialize, Serialize};

/// The authorizer's `context`. API Gateway only passes string, number and boolean values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The token's `sub`: the user id everywhere in the protocol.
    pub user_id: String,
    /// The token's `exp`, seconds since the Unix epoch. A connection must not outlive it.
    pub token_expires_at: i64,
}
