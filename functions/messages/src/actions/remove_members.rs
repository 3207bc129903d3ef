//! `removeMembers {id, conversation, members}` → `group`: admins only; the removed hear of
//! it (`system {event: "removed"}`), then nothing more.

use parley_core::rules::membership::Change;
use parley_core::Error;
use parley_protocol::client::Members;
use parley_protocol::ServerFrame;

use super::group_change::apply;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    remove: Members,
) -> Result<ServerFrame, Error> {
    let change = Change::Remove(remove.members);
    apply(
        services,
        caller,
        remove.id,
        Some(remove.conversation),
        change,
    )
    .await
}
