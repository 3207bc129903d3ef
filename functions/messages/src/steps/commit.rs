//! Step 3, commit: the store's transaction (counter, send record, and a direct chat's
//! copies or a group's log, [`parley_core::store`]), then a group's copies in batches and the
//! acknowledgement marks of members who joined. The copy of a member with no live device is
//! marked for push ([`parley_core::message::OFFLINE`]) as it is written: no extra request.
//! A send found stored before completes what its first attempt may have left undone.

use parley_core::delivery::Delivery;
use parley_core::rules::membership::Applied;
use parley_core::store::{Appended, ConversationRecord, Draft, Seen, SendRecord, Store};
use parley_core::Error;
use parley_protocol::{ChangeKind, ConversationId, Kind};

use super::devices::{self, Reach};
use super::scrub;
use crate::services::Files;

/// Stores `draft` from `seen` for the members `reach` was found for.
pub async fn commit(
    store: &Store,
    draft: &Draft,
    seen: Seen,
    reach: &Reach,
) -> Result<Appended, Error> {
    let appended = store.commit(draft, seen, &reach.reachable).await?;
    if let Appended::New {
        message,
        members,
        hidden,
        applied,
        ..
    } = &appended
    {
        if message.conversation.kind() == Kind::Group {
            store
                .write_copies(message, members, &reach.reachable, hidden)
                .await?;
            if let Some(joined) = applied.as_ref().and_then(Applied::joined) {
                store.write_join_marks(message, &joined).await?;
            }
        }
    }
    Ok(appended)
}

/// A message stored before under this id (a retry), whose first attempt may have stopped
/// after its commit: a group message's copies are written again from the log (Puts by key:
/// a copy written twice is stored once), marked for push as the members' devices say now,
/// and a delete for everyone (`kind`, the retry's) scrubs again ([`super::scrub`]). The members are the group's as
/// it stands, which differ from the message's only if the membership changed since; a
/// removed member is then never written to. `record` is the conversation `asked` for as
/// read with the send record.
pub async fn complete(
    store: &Store,
    delivery: &Delivery,
    files: &Files,
    kind: Option<ChangeKind>,
    asked: &ConversationId,
    earlier: &SendRecord,
    record: Option<&ConversationRecord>,
) -> Result<(), Error> {
    let Ok(conversation) = ConversationId::parse(&earlier.conversation) else {
        return Ok(());
    };
    let is_group = conversation.kind() == Kind::Group;
    // A direct chat's retry has nothing to finish but a delete's (its transaction held the
    // rest): only a retried delete reads the log to find out.
    if !is_group && kind != Some(ChangeKind::Delete) {
        return Ok(());
    }
    let Some(message) = store.logged(&conversation, earlier.seq).await? else {
        return Ok(());
    };
    if let (Some(ChangeKind::Delete), Some(target)) = (message.kind, message.target) {
        if let Some(scrub) = store.scrub_of(&conversation, target).await? {
            scrub::finish(store, files, &scrub).await?;
        }
    }
    if !is_group {
        return Ok(());
    }
    // A retried createGroup asks for a fresh random id: its group is another one.
    let members = match record {
        Some(record) if *asked == conversation => record.members.clone(),
        _ => store.members(&conversation).await?,
    };
    // Who blocks the sender now (one GetItem; a membership change reaches everyone).
    let hidden = if message.system.is_some() {
        Default::default()
    } else {
        store.blocked_by(&message.from).await?
    };
    let reach = devices::find(delivery, &members).await;
    store
        .write_copies(&message, &members, &reach.reachable, &hidden)
        .await
}
