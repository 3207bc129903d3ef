//! What each keys action does, one file each; [`run`] takes the action's rate-limit token
//! first, so a refused request reads and writes nothing.

use parley_core::Error;
use parley_protocol::{ClientFrame, ServerFrame};

use crate::services::{Caller, Services};

mod announce;
mod device_changes;
mod keys_claim;
mod keys_query;
mod keys_upload;
mod parts;
mod remove_device;
mod send_to_device;
mod to_device_ack;
mod to_device_sync;

pub async fn run(
    services: &Services,
    caller: &Caller,
    frame: ClientFrame,
) -> Result<ServerFrame, Error> {
    services
        .limits
        .take_before(&caller.user_id, frame.action())
        .await?;
    match frame {
        ClientFrame::KeysUpload(upload) => keys_upload::run(services, caller, upload).await,
        ClientFrame::KeysQuery(query) => keys_query::run(services, caller, query).await,
        ClientFrame::KeysClaim(claim) => keys_claim::run(services, claim).await,
        ClientFrame::SendToDevice(send) => send_to_device::run(services, caller, send).await,
        ClientFrame::ToDeviceSync(sync) => to_device_sync::run(services, caller, sync).await,
        ClientFrame::ToDeviceAck(ack) => to_device_ack::run(services, caller, ack).await,
        ClientFrame::DeviceChanges(ask) => device_changes::run(services, caller, ask).await,
        ClientFrame::RemoveDevice(remove) => remove_device::run(services, caller, remove).await,
        // Routed to the other functions: never here.
        other => Err(Error::bad_request(format!(
            "unknown action \"{}\"",
            other.action()
        ))),
    }
}
