//! Step 3, commit: the store's transaction (counter, send record, and a direct chat's
//! copies or a group's log, [`parley_core::store`]), then a group's copies in batches and the
//! acknowledgement marks of members who joined. The copy of a member with no live device is
//! marked for push ([`parley_core::message::OFFLINE`]) as it is written: no extra request.
//! A send found stored before completes what its first attempt may have left undone.
//! The contacts index (whom a member's device-list change is told to, issue 15) follows a
//! direct chat's first message and a group's membership changes, written after the commit.

use parley_core::delivery::Delivery;
use parley_core::message::Message;
use parley_core::rules::membership::Applied;
use parley_core::store::{Appended, ConversationRecord, Draft, Seen, SendRecord, Store};
use parley_core::Error;
use parley_protocol::{ConversationId, Kind, SystemEvent};

use super::devices::{self, Reach};

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
        applied,
    } = &appended
    {
        if message.conversation.kind() == Kind::Group {
            store
                .write_copies(message, members, &reach.reachable)
                .await?;
            if let Some(joined) = applied.as_ref().and_then(Applied::joined) {
                store.write_join_marks(message, &joined).await?;
            }
        }
        index(store, message).await?;
    }
    Ok(appended)
}

/// Keeps the contacts index up to date with what `message` changed: a direct chat's first
/// message brings its pair in, a group's membership change its members in or out.
async fn index(store: &Store, message: &Message) -> Result<(), Error> {
    let conversation = &message.conversation;
    match (conversation.kind(), &message.system) {
        (Kind::Direct, _) if message.seq == 1 => {
            store
                .index_members(conversation, &conversation.direct_members())
                .await
        }
        (Kind::Group, Some(system)) => match system.event {
            SystemEvent::Created | SystemEvent::Added => {
                store.index_members(conversation, &system.members).await
            }
            SystemEvent::Removed | SystemEvent::Left => {
                store.unindex_members(conversation, &system.members).await
            }
        },
        _ => Ok(()),
    }
}

/// A group message stored before under this id (a retry): its copies are written again from
/// the log, since the first attempt may have stopped between its commit and the end of its
/// fan-out (Puts by key: a copy written twice is stored once), marked for push as the
/// members' devices say now. The members are the group's as it stands, which differ from
/// the message's only if the membership changed since; a removed member is then never
/// written to. `record` is the conversation `asked` for as read with the send record.
pub async fn complete(
    store: &Store,
    delivery: &Delivery,
    asked: &ConversationId,
    earlier: &SendRecord,
    record: Option<&ConversationRecord>,
) -> Result<(), Error> {
    let Ok(conversation) = ConversationId::parse(&earlier.conversation) else {
        return Ok(());
    };
    if conversation.kind() != Kind::Group && earlier.seq != 1 {
        return Ok(());
    }
    let Some(message) = store.logged(&conversation, earlier.seq).await? else {
        return Ok(());
    };
    index(store, &message).await?;
    if conversation.kind() != Kind::Group {
        return Ok(());
    }
    // A retried createGroup asks for a fresh random id: its group is another one.
    let members = match record {
        Some(record) if *asked == conversation => record.members.clone(),
        _ => store.members(&conversation).await?,
    };
    let reach = devices::find(delivery, &members).await;
    store
        .write_copies(&message, &members, &reach.reachable)
        .await
}
