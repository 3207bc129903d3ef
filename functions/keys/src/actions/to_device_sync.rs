//! `toDeviceSync {limit?}` → `toDevice` frames, then `toDeviceSynced`: the oldest messages
//! waiting for the calling device (read only: `toDeviceAck` empties the inbox), and what it
//! has left of its one-time and fallback keys.

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::client::ToDeviceSync;
use parley_protocol::ServerFrame;

use crate::actions::parts;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    sync: ToDeviceSync,
) -> Result<ServerFrame, Error> {
    let device = caller.device()?;
    let user = caller.user_id.as_str();
    let (messages, more) = services
        .devices
        .inbox(user, device, sync.page_size(), now_ms())
        .await?;
    let frames: Vec<ServerFrame> = parts::split(messages)
        .into_iter()
        .filter(|part| !part.is_empty())
        .map(|messages| ServerFrame::ToDevice { messages })
        .collect();
    parts::post(services, caller, &frames).await?;
    let counts = services.devices.counts(user, device).await?;
    Ok(ServerFrame::ToDeviceSynced {
        more,
        one_time_key_counts: counts.one_time_key_counts(),
        unused_fallback_keys: counts.unused_fallback_keys(),
    })
}
