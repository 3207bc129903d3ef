//! `presence`: the caller's view of a user's online / last seen while a chat with them is
//! open. With `watch`, the caller's connection becomes a watcher of that user for a lease
//! ([`rules::presence::LEASE_MS`]) and gets a `presence` frame on each online/offline flip
//! (posted by `$connect` and `$disconnect` to watchers only: nothing is broadcast to
//! contacts). The reply is the state now, or neither `online` nor `lastSeen` when privacy
//! (theirs, or the caller's own: it is reciprocal) hides it.

use parley_core::clock::now_ms;
use parley_core::rules::presence as rules;
use parley_core::Error;
use parley_protocol::client::Presence;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    presence: Presence,
) -> Result<ServerFrame, Error> {
    let connections = services.delivery.connections();
    let hidden = ServerFrame::Presence {
        id: Some(presence.id.clone()),
        user: presence.user.clone(),
        online: None,
        last_seen: None,
    };
    if !presence.watch {
        connections
            .unwatch(&presence.user, &caller.connection_id)
            .await?;
        return Ok(hidden);
    }
    let (owner, viewer, blocked) = services
        .store
        .presence_sides(&presence.user, &caller.user_id)
        .await?;
    // A block either way hides presence too, as privacy does (the blocked is not told).
    if presence.user == caller.user_id || blocked || !rules::visible(owner, viewer) {
        return Ok(hidden);
    }
    let now = now_ms();
    let devices = connections
        .watch(&presence.user, &caller.device(), rules::lease_until(now))
        .await?;
    let online = !devices.live.is_empty();
    Ok(ServerFrame::Presence {
        id: Some(presence.id),
        user: presence.user,
        online: Some(online),
        last_seen: if online { None } else { devices.last_seen },
    })
}
