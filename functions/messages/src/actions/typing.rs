//! `typing`: tell the other members' connected devices. Ephemeral: never stored, never pushed.

use parley_core::rules;
use parley_core::Error;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};
use parley_protocol::client::Typing;

pub async fn run(services: &Services, caller: &Caller, typing: Typing) -> Result<(), Error> {
    let members = rules::member(
        services.store.members(&typing.conversation).await?,
        &caller.user_id,
    )?;
    let others: Vec<String> = members
        .into_iter()
        .filter(|m| m != &caller.user_id)
        .collect();
    let frame = ServerFrame::Typing {
        conversation: typing.conversation,
        from: caller.user_id.clone(),
    };
    services.delivery.post_to_users(&others, &frame).await?;
    Ok(())
}
