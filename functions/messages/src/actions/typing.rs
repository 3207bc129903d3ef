//! `typing`: tell the other members' connected devices, but those of members who block the
//! caller. Ephemeral: never stored, never pushed.

use futures_util::future::join;
use parley_core::rules;
use parley_core::Error;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};
use parley_protocol::client::Typing;

pub async fn run(services: &Services, caller: &Caller, typing: Typing) -> Result<(), Error> {
    let (members, blockers) = join(
        services.store.members(&typing.conversation),
        services.store.blocked_by(&caller.user_id),
    )
    .await;
    let members = rules::member(members?, &caller.user_id)?;
    let blockers = blockers?;
    let others: Vec<String> = members
        .into_iter()
        .filter(|m| m != &caller.user_id && !blockers.contains(m))
        .collect();
    let frame = ServerFrame::Typing {
        conversation: typing.conversation,
        from: caller.user_id.clone(),
    };
    services.delivery.post_to_users(&others, &frame).await?;
    Ok(())
}
