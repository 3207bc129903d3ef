//! What the files actions work with: the AWS-backed services, built once per cold start in
//! `main`, apart from the handler and the actions that both use them.

use parley_core::expiry::ManagementApi;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;

use crate::presign::Presigner;

/// The AWS-backed services, built once per cold start.
pub struct Services {
    pub store: Store,
    pub presigner: Presigner,
    /// Per-user rate limits ([`parley_core::rate_limit::cost_of`]).
    pub limits: RateLimiter,
    /// `@connections`, to close a connection whose token expired.
    pub management: ManagementApi,
}
