//! `sendToDevice {id, eventType, messages}` → `toDeviceSent`: each message is stored in its
//! recipient device's inbox, then posted live to that device's connections. Devices that
//! never registered keys are skipped (not an error: the sender's view may be stale). A
//! retry of a stored `id` stores nothing again; a retry of one that failed midway may store
//! some messages twice, which the recipient's library discards as replays.

use futures_util::stream::{self, StreamExt};
use parley_core::clock::now_ms;
use parley_core::delivery::MAX_CONCURRENT_POSTS;
use parley_core::devices::{inbox_id, InboxMessage};
use parley_core::Error;
use parley_protocol::client::SendToDevice;
use parley_protocol::{ServerFrame, ToDeviceMessage};
use std::collections::BTreeSet;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    send: SendToDevice,
) -> Result<ServerFrame, Error> {
    let from_device = caller.device()?;
    let user = caller.user_id.as_str();
    let reply = ServerFrame::ToDeviceSent {
        id: send.id.clone(),
    };
    if services
        .devices
        .sent_before(user, from_device, &send.id)
        .await?
    {
        return Ok(reply);
    }
    let recipients: Vec<String> = send.messages.keys().cloned().collect();
    let registered: BTreeSet<(String, String)> = services
        .devices
        .query(&recipients)
        .await?
        .into_iter()
        .flat_map(|(user, devices)| devices.into_keys().map(move |d| (user.clone(), d)))
        .collect();
    let now = now_ms();
    let inbox: Vec<InboxMessage> = send
        .each()
        .filter(|(to, device, _)| registered.contains(&(to.to_string(), device.to_string())))
        .map(|(to, device, content)| InboxMessage {
            to_user: to.to_owned(),
            to_device: device.to_owned(),
            message: ToDeviceMessage {
                id: inbox_id(now),
                from: user.to_owned(),
                from_device: from_device.to_owned(),
                event_type: send.event_type.clone(),
                content: content.to_owned(),
            },
        })
        .collect();
    services.devices.deliver(&inbox, now).await?;
    post_live(services, &recipients, &inbox, now).await?;
    services
        .devices
        .record_sent(user, from_device, &send.id, now)
        .await?;
    Ok(reply)
}

/// Posts each stored message to its device's live connections; a device that misses it gets
/// it by `toDeviceSync`.
async fn post_live(
    services: &Services,
    recipients: &[String],
    inbox: &[InboxMessage],
    now_ms: i64,
) -> Result<(), Error> {
    let connections = services
        .delivery
        .devices_of(recipients, now_ms / 1000)
        .await?;
    let posts: Vec<_> = connections
        .iter()
        .flat_map(|connection| {
            inbox
                .iter()
                .filter(move |m| {
                    m.to_user == connection.user_id
                        && connection.device_id.as_deref() == Some(m.to_device.as_str())
                })
                .map(move |m| (connection, m))
        })
        .collect();
    let delivered = stream::iter(posts)
        .map(|(connection, m)| {
            let frame = ServerFrame::ToDevice {
                messages: vec![m.message.clone()],
            };
            async move { services.delivery.post(connection, &frame).await }
        })
        .buffer_unordered(MAX_CONCURRENT_POSTS)
        .collect::<Vec<_>>()
        .await;
    tracing::info!(
        stored = inbox.len(),
        posted = delivered.len(),
        "to-device messages stored"
    );
    Ok(())
}
