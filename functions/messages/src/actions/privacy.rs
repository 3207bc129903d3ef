//! `privacy`: reads or sets whom the caller shows their presence to. A change takes effect
//! for each watcher at their next renewal (within [`parley_core::rules::presence::LEASE_MS`]);
//! a stricter setting does not hunt down current watchers, which would cost a read of the
//! caller's connections item and a post per watcher.

use parley_core::Error;
use parley_protocol::client::Privacy;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    privacy: Privacy,
) -> Result<ServerFrame, Error> {
    let last_seen = match privacy.last_seen {
        Some(audience) => {
            services
                .store
                .set_privacy(&caller.user_id, audience)
                .await?;
            audience
        }
        None => services.store.privacy(&caller.user_id).await?,
    };
    Ok(ServerFrame::Privacy {
        id: privacy.id,
        last_seen,
    })
}
