//! `prefs`: read or change the caller's own preferences (today whether reactions to their
//! messages push while they are offline).

use parley_core::Error;
use parley_protocol::client::Prefs;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(services: &Services, caller: &Caller, prefs: Prefs) -> Result<ServerFrame, Error> {
    let now = services
        .store
        .set_prefs(&caller.user_id, prefs.reaction_push)
        .await?;
    Ok(ServerFrame::Prefs {
        id: prefs.id,
        reaction_push: now.reaction_push,
    })
}
