//! `block`: the caller blocks (or unblocks) a user. From then on the blocked user's
//! messages, changes, typing and receipts do not reach the caller, and nothing of them is
//! stored for the caller (a placeholder keeps the seqs dense: `skip`); the caller's presence
//! is hidden from them, and their current watches of it end now. The blocked user is never
//! told: their sends still succeed. The caller's other devices get `blocked` (no `id`).
//! Unblocking undoes it from then on (nothing is replayed). An unknown user is accepted:
//! no answer tells whether a user exists.

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::client::Block;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(services: &Services, caller: &Caller, block: Block) -> Result<ServerFrame, Error> {
    if block.user == caller.user_id {
        return Err(Error::bad_request("you cannot block yourself"));
    }
    services
        .store
        .set_block(&caller.user_id, &block.user, block.blocked)
        .await?;
    let connections = services.delivery.connections();
    let devices = connections
        .devices(&caller.user_id, now_ms() / 1000)
        .await?;
    if block.blocked {
        for watcher in devices
            .watchers
            .iter()
            .filter(|w| w.device.user_id == block.user)
        {
            connections
                .unwatch(&caller.user_id, &watcher.device.connection_id)
                .await?;
        }
    }
    let others: Vec<_> = devices
        .live
        .into_iter()
        .filter(|d| d.connection_id != caller.connection_id)
        .collect();
    let told = ServerFrame::Blocked {
        id: None,
        user: block.user.clone(),
        blocked: block.blocked,
    };
    services.delivery.post_all(&others, &told).await;
    Ok(ServerFrame::Blocked {
        id: Some(block.id),
        user: block.user,
        blocked: block.blocked,
    })
}
