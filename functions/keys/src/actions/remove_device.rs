//! `removeDevice {id, device}` → `deviceRemoved {id, device}`: one of the caller's own
//! registered devices (any connection of the user may remove any of them, itself included:
//! a lost phone is removed from the laptop). Its keys, inbox and place in the list go, its id
//! is never registered again, the caller's contacts are told, and the removed device's own
//! live connections get `deviceRemoved` too.

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::client::RemoveDevice;
use parley_protocol::{ErrorCode, ServerFrame};

use crate::actions::announce;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    remove: RemoveDevice,
) -> Result<ServerFrame, Error> {
    let user = caller.user_id.as_str();
    if !services
        .devices
        .remove(user, &remove.device, now_ms())
        .await?
    {
        return Err(Error::client(
            ErrorCode::NotFound,
            "you have no registered device with that id",
        ));
    }
    let now_secs = now_ms() / 1000;
    let own = services
        .delivery
        .devices_of(&[user.to_owned()], now_secs)
        .await?;
    let its_connections: Vec<_> = own
        .into_iter()
        .filter(|c| c.device_id.as_deref() == Some(remove.device.as_str()))
        .filter(|c| c.connection_id != caller.connection_id)
        .collect();
    let removed = ServerFrame::DeviceRemoved {
        id: remove.id,
        device: remove.device,
    };
    services.delivery.post_all(&its_connections, &removed).await;
    announce::device_list_changed(services, user).await?;
    Ok(removed)
}
