//! `keysClaim {id, devices}` → `claimed`: one key of each device named, a one-time key handed
//! out exactly once even to concurrent claimers, else the device's fallback key; a device
//! with neither is left out.

use parley_core::Error;
use parley_protocol::client::KeysClaim;
use parley_protocol::ServerFrame;

use crate::services::Services;

pub async fn run(services: &Services, claim: KeysClaim) -> Result<ServerFrame, Error> {
    let one_time_keys = services.devices.claim_all(claim.pairs()).await?;
    Ok(ServerFrame::Claimed {
        id: claim.id,
        one_time_keys,
    })
}
