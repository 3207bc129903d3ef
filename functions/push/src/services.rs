//! What the push function works with, for the stream and for `registerPush` alike: the
//! AWS-backed services, built once per cold start in `main`.

use parley_core::expiry::ManagementApi;
use parley_core::store::Store;

use crate::devices::Devices;
use crate::sns::Sns;

/// The AWS-backed services, built once per cold start.
pub struct Services {
    pub devices: Devices,
    pub sns: Sns,
    /// The message store, for the owners' mute settings (`chat#<conversation>`).
    pub store: Store,
    /// `@connections`, to close a connection whose token expired.
    pub management: ManagementApi,
}
