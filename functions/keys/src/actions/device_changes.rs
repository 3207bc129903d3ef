//! `deviceChanges {id, since?}` → `deviceChanges {id, users, until, reset?}`: the users whose
//! device list changed since the caller's last ask, for a device that was offline when the
//! `deviceChanged` frames went out. Read only.

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::client::DeviceChanges;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    ask: DeviceChanges,
) -> Result<ServerFrame, Error> {
    let changes = services
        .devices
        .changes_since(&caller.user_id, ask.since, now_ms())
        .await?;
    Ok(ServerFrame::DeviceChanges {
        id: ask.id,
        users: changes.users,
        until: changes.until,
        reset: changes.reset,
    })
}
