//! What an action works with: the AWS-backed services (built once per cold start, in
//! `main`) and the device a frame came from. Actions and steps both use them, so they live
//! apart from either.

use parley_core::connections::Connection;
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::users::Users;

/// The AWS-backed services an action may use, built once per cold start.
pub struct Services {
    pub store: Store,
    pub delivery: Delivery,
    /// Registered users, for `lookup`.
    pub users: Users,
    /// Per-user rate limits ([`parley_core::rate_limit::cost_of`]).
    pub limits: RateLimiter,
}

/// The device a frame came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub connection_id: String,
}

impl Caller {
    /// This device as a delivery target (for frames posted back to it).
    pub fn device(&self) -> Connection {
        Connection {
            user_id: self.user_id.clone(),
            connection_id: self.connection_id.clone(),
            token_expires_at: 0,
            connected_at_ms: 0,
            device_id: None,
        }
    }
}
