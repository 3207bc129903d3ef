//! `createGroup {id, name, members}` → `group`: a new group (its id made here) whose first
//! message, seq 1, is `system {event: "created"}`.

use parley_core::rules::membership::Change;
use parley_core::Error;
use parley_protocol::client::CreateGroup;
use parley_protocol::ServerFrame;

use super::group_change::apply;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    create: CreateGroup,
) -> Result<ServerFrame, Error> {
    let change = Change::Create {
        name: create.name,
        members: create.members,
    };
    apply(services, caller, create.id, None, change).await
}
