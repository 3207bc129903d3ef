//! `blocks`: whom the caller blocks (one Query of their `blk#` items).

use parley_core::Error;
use parley_protocol::client::Blocks;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    blocks: Blocks,
) -> Result<ServerFrame, Error> {
    Ok(ServerFrame::Blocks {
        id: blocks.id,
        users: services.store.blocks(&caller.user_id).await?,
    })
}
