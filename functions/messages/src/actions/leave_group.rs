//! `leaveGroup {id, conversation}` → `group`: the caller leaves (`system {event: "left"}`);
//! if the last admin leaves, the first remaining member becomes admin.

use parley_core::rules::membership::Change;
use parley_core::Error;
use parley_protocol::client::LeaveGroup;
use parley_protocol::ServerFrame;

use super::group_change::apply;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    leave: LeaveGroup,
) -> Result<ServerFrame, Error> {
    apply(
        services,
        caller,
        leave.id,
        Some(leave.conversation),
        Change::Leave,
    )
    .await
}
