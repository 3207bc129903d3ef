//! `addMembers {id, conversation, members}` → `group`: admins only; the new members'
//! mailboxes start at this change's `system {event: "added"}`.

use parley_core::rules::membership::Change;
use parley_core::Error;
use parley_protocol::client::Members;
use parley_protocol::ServerFrame;

use super::group_change::apply;
use crate::services::{Caller, Services};

pub async fn run(services: &Services, caller: &Caller, add: Members) -> Result<ServerFrame, Error> {
    let change = Change::Add(add.members);
    apply(services, caller, add.id, Some(add.conversation), change).await
}
