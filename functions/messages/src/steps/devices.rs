//! Step 2, find the members' devices: one BatchGetItem per 100 members of the connections
//! table (one item per user holding their live connections), once per message. What it
//! finds decides who is online: whose copy is marked for push ([`super::commit`]) and where
//! the message is posted ([`super::post`]).

use std::collections::BTreeSet;

use parley_core::clock::now_ms;
use parley_core::connections::Connection;
use parley_core::delivery::Delivery;

/// The members' live devices, and the members who have at least one.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub devices: Vec<Connection>,
    pub reachable: BTreeSet<String>,
}

impl Reach {
    /// Only the devices of `members`: a membership change that committed between the lookup
    /// and the write takes nobody outside the message's members along.
    pub fn of_members(mut self, members: &[String]) -> Self {
        self.devices.retain(|d| members.contains(&d.user_id));
        self.reachable.retain(|user| members.contains(user));
        self
    }
}

/// The live devices of `members`. A failed lookup finds none: every copy is then marked for
/// push, and the push function checks for itself who is online.
pub async fn find(delivery: &Delivery, members: &[String]) -> Reach {
    match delivery.devices_of(members, now_ms() / 1000).await {
        Ok(devices) => Reach {
            reachable: devices.iter().map(|d| d.user_id.clone()).collect(),
            devices,
        },
        Err(error) => {
            tracing::warn!(%error, "could not list devices; members will be pushed and sync");
            Reach::default()
        }
    }
}
