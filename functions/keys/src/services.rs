//! What the keys actions work with: the AWS-backed services (built once per cold start, in
//! `main`) and the device a frame came from.

use parley_core::connections::Connection;
use parley_core::delivery::Delivery;
use parley_core::devices::Devices;
use parley_core::identity::Identity;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::Error;

/// The AWS-backed services, built once per cold start.
pub struct Services {
    pub devices: Devices,
    /// Posts to devices (to-device messages live, reply parts to the caller).
    pub delivery: Delivery,
    /// Per-user rate limits ([`parley_core::rate_limit::cost_of`]).
    pub limits: RateLimiter,
    /// The contacts index and group members: whom a device-list change is told to.
    pub store: Store,
}

/// The device a frame came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    /// The `?device=` it connected with.
    pub device_id: Option<String>,
    pub connection_id: String,
}

impl Caller {
    pub fn new(identity: Identity, connection_id: &str) -> Self {
        Self {
            user_id: identity.user_id,
            device_id: identity.device_id,
            connection_id: connection_id.to_owned(),
        }
    }

    /// The caller's device id: the actions that act for a device need one.
    pub fn device(&self) -> Result<&str, Error> {
        self.device_id
            .as_deref()
            .ok_or_else(|| Error::bad_request("connect with ?device= to use encryption"))
    }

    /// This connection as a delivery target (for frames posted back to it).
    pub fn connection(&self) -> Connection {
        Connection {
            user_id: self.user_id.clone(),
            connection_id: self.connection_id.clone(),
            token_expires_at: 0,
            connected_at_ms: 0,
            device_id: self.device_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::ErrorCode;

    #[test]
    fn acting_for_a_device_needs_one() {
        let identity = |device: Option<&str>| Identity {
            user_id: "u1".into(),
            token_expires_at: 1,
            device_id: device.map(str::to_owned),
        };
        let without = Caller::new(identity(None), "c1");
        let refusal = without.device().unwrap_err();
        assert_eq!(refusal.code(), ErrorCode::BadRequest);
        assert_eq!(
            refusal.public_message(),
            "connect with ?device= to use encryption"
        );
        let with = Caller::new(identity(Some("PHONE")), "c1");
        assert_eq!(with.device().unwrap(), "PHONE");
        assert_eq!(with.connection().connection_id, "c1");
    }
}
