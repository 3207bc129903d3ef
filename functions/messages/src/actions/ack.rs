//! `ack`: record how far the caller has received or read a conversation; when the mark moves,
//! the senders of the messages it now covers get a `receipt` on their devices. In a direct
//! chat that is the other member; in a group, the senders of the newly covered range, read
//! from the group's log (one receipt per acking member, never one per message). A member who
//! blocks the caller gets none (one GetItem of who blocks the caller, when there is someone
//! to tell).

use parley_core::rules;
use parley_core::store::Acknowledged;
use parley_core::Error;
use parley_protocol::Kind;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};
use parley_protocol::client::Ack;

pub async fn run(services: &Services, caller: &Caller, ack: Ack) -> Result<(), Error> {
    let members = rules::member(
        services.store.members(&ack.conversation).await?,
        &caller.user_id,
    )?;
    let acknowledged = services
        .store
        .acknowledge(&caller.user_id, &ack.conversation, ack.seq, ack.status)
        .await?;
    let Acknowledged::Advanced { from } = acknowledged else {
        return Ok(());
    };
    let recipients: Vec<String> = match ack.conversation.kind() {
        Kind::Direct => members,
        Kind::Group => {
            let senders = services
                .store
                .senders_between(&ack.conversation, from, ack.seq)
                .await?;
            // Only those still in the group hear about it.
            members
                .into_iter()
                .filter(|m| senders.contains(m))
                .collect()
        }
    };
    let recipients: Vec<String> = recipients
        .into_iter()
        .filter(|m| m != &caller.user_id)
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    // Who blocks the caller gets no receipt of theirs.
    let blockers = services.store.blocked_by(&caller.user_id).await?;
    let recipients: Vec<String> = recipients
        .into_iter()
        .filter(|m| !blockers.contains(m))
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let receipt = ServerFrame::Receipt {
        conversation: ack.conversation.clone(),
        seq: ack.seq,
        by: caller.user_id.clone(),
        status: ack.status,
    };
    services
        .delivery
        .post_to_users(&recipients, &receipt)
        .await?;
    Ok(())
}
