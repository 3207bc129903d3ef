//! `chats`: the caller's settings of every conversation where they differ from the
//! defaults. Clients ask after each connect, which brings a device that was away up to date.

use parley_core::Error;
use parley_protocol::client::Chats;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(services: &Services, caller: &Caller, chats: Chats) -> Result<ServerFrame, Error> {
    Ok(ServerFrame::Chats {
        id: chats.id,
        chats: services.store.chats(&caller.user_id).await?,
    })
}
