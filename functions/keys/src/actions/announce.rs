//! Telling a user's contacts that the user's device list changed (a device registered or
//! removed): `dl#<user>` in each contact's devices partition, for their devices that are
//! offline (`deviceChanges`), and `deviceChanged {user}` posted to their live connections.
//! Contacts come from the contacts index (everyone who shares a conversation with the user,
//! the user included, so their own other devices hear of it too).
//!
//! Cost per change: one Query of the user's `conv#` items, one GetItem per group, one
//! BatchWriteItem per 25 contacts (one write unit each), one BatchGetItem of connections per
//! 100 contacts, one post per live device of a contact.

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::ServerFrame;

use crate::services::Services;

pub async fn device_list_changed(services: &Services, user: &str) -> Result<(), Error> {
    let contacts = services.store.contacts(user).await?;
    services
        .devices
        .record_change(user, &contacts, now_ms())
        .await?;
    let contacts: Vec<String> = contacts.into_iter().collect();
    let report = services
        .delivery
        .post_to_users(
            &contacts,
            &ServerFrame::DeviceChanged {
                user: user.to_owned(),
            },
        )
        .await?;
    tracing::info!(
        contacts = contacts.len(),
        delivered = report.delivered,
        gone = report.gone,
        failed = report.failed,
        "device list change announced"
    );
    Ok(())
}
