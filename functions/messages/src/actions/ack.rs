//! `ack`: record how far the caller has received or read a conversation; when the mark moves,
//! the other members' devices get a `receipt`.

use parley_core::protocol::ServerFrame;
use parley_core::store::{now_ms, Acknowledged};
use parley_core::Error;

use super::{Caller, Services};
use crate::command::Ack;

pub async fn run(services: &Services, caller: &Caller, ack: Ack) -> Result<(), Error> {
    let members = services
        .store
        .members_for(&ack.conversation, &caller.user_id)
        .await?;
    let acknowledged = services
        .store
        .acknowledge(&caller.user_id, &ack.conversation, ack.seq, ack.status)
        .await?;
    if acknowledged == Acknowledged::Unchanged {
        return Ok(());
    }
    let others: Vec<String> = members
        .into_iter()
        .filter(|m| m != &caller.user_id)
        .collect();
    let devices = services
        .delivery
        .devices_of(&others, now_ms() / 1000)
        .await?;
    let receipt = ServerFrame::Receipt {
        conversation: ack.conversation.to_string(),
        seq: ack.seq,
        by: caller.user_id.clone(),
        status: ack.status,
    };
    services.delivery.post_all(&devices, &receipt).await;
    Ok(())
}
