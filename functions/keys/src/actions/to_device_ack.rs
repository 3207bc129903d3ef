//! `toDeviceAck {ids}` → `toDeviceAcked`: the calling device has processed these inbox
//! messages, so they are deleted (ids no longer there are ignored); the reply says what it
//! has left of its one-time and fallback keys.

use parley_core::Error;
use parley_protocol::client::ToDeviceAck;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    ack: ToDeviceAck,
) -> Result<ServerFrame, Error> {
    let device = caller.device()?;
    let user = caller.user_id.as_str();
    services.devices.acknowledge(user, device, &ack.ids).await?;
    let counts = services.devices.counts(user, device).await?;
    Ok(ServerFrame::ToDeviceAcked {
        one_time_key_counts: counts.one_time_key_counts(),
        unused_fallback_keys: counts.unused_fallback_keys(),
    })
}
