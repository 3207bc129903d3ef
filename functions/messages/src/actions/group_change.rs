//! What the four group actions share: each is a `system` message appended to the group
//! through the same steps as a send ([`super::send::append`]; the membership change rides on
//! the same conditional write that allocates its seq), posted live to the members it
//! concerns like any message, and answered with the group as the append left it, without
//! reading it again.

use parley_core::rules::membership::Change;
use parley_core::store::{Appended, Draft};
use parley_core::Error;
use parley_protocol::{ConversationId, ErrorCode, Kind, ServerFrame};

use super::send::append;
use crate::services::{Caller, Services};

/// Appends the change as the group's next message (`requested`: the group changed; `None`
/// for a new group, whose id the server makes), and answers with the group as the append
/// left it: the change as applied, or the record as read with an earlier send of this id or
/// with a change that changed nothing.
pub async fn apply(
    services: &Services,
    caller: &Caller,
    id: String,
    requested: Option<ConversationId>,
    change: Change,
) -> Result<ServerFrame, Error> {
    let draft = Draft {
        change: Some(change),
        ..Draft::message(
            caller.user_id.clone(),
            id.clone(),
            // A new group's id is random: a retried createGroup finds its send record first,
            // and two racing ones cannot both commit (the send record's condition).
            requested
                .clone()
                .unwrap_or_else(|| ConversationId::group(*uuid::Uuid::new_v4().as_bytes())),
            None,
            None,
        )
    };
    let (conversation, record) = match append(services, caller, &draft).await? {
        Appended::New {
            applied: Some(applied),
            ..
        } => {
            return Ok(ServerFrame::Group {
                id,
                conversation: draft.conversation,
                name: applied.name,
                members: applied.members.into_iter().collect(),
                admins: applied.admins.into_iter().collect(),
            })
        }
        Appended::New { applied: None, .. } => {
            return Err(Error::internal("a group change stored no change"))
        }
        Appended::Duplicate { earlier, record } => {
            let earlier = ConversationId::parse(&earlier.conversation).map_err(Error::internal)?;
            let same = match &requested {
                Some(requested) => requested == &earlier,
                None => earlier.kind() == Kind::Group,
            };
            if !same {
                return Err(Error::bad_request("this id was already used"));
            }
            // A retried createGroup asked for a fresh random id: its group was not read.
            let record = match record {
                Some(record) if earlier == draft.conversation => Some(record),
                _ => services.store.conversation(&earlier).await?,
            };
            (earlier, record)
        }
        Appended::Unchanged(record) => (draft.conversation, record),
    };
    let record = record.ok_or_else(|| Error::client(ErrorCode::NotFound, "no such group"))?;
    Ok(ServerFrame::Group {
        id,
        conversation,
        name: record.name.unwrap_or_default(),
        members: record.members,
        admins: record.admins,
    })
}
