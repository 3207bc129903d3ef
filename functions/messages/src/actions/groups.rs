//! The group actions: each is a `system` message appended to the group (the membership
//! change rides on the same conditional write that allocates its seq, see
//! `parley_core::store::append`), posted live to the members it concerns like any message,
//! and answered with the group as it stands.

use std::collections::BTreeSet;

use parley_core::store::membership::Change;
use parley_core::store::{Appended, Draft};
use parley_core::Error;
use parley_protocol::client::{CreateGroup, LeaveGroup, Members};
use parley_protocol::{ConversationId, ErrorCode, Kind, ServerFrame};

use super::send::deliver;
use super::{Caller, Services};

pub async fn create(
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

pub async fn add(services: &Services, caller: &Caller, add: Members) -> Result<ServerFrame, Error> {
    let change = Change::Add(add.members);
    apply(services, caller, add.id, Some(add.conversation), change).await
}

pub async fn remove(
    services: &Services,
    caller: &Caller,
    remove: Members,
) -> Result<ServerFrame, Error> {
    let change = Change::Remove(remove.members);
    apply(
        services,
        caller,
        remove.id,
        Some(remove.conversation),
        change,
    )
    .await
}

pub async fn leave(
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

/// Appends the change as the group's next message (`requested`: the group changed; `None`
/// for a new group, whose id the server makes).
async fn apply(
    services: &Services,
    caller: &Caller,
    id: String,
    requested: Option<ConversationId>,
    change: Change,
) -> Result<ServerFrame, Error> {
    let draft = Draft {
        sender: caller.user_id.clone(),
        client_id: id.clone(),
        // A new group's id is random: a retried createGroup finds its send record first,
        // and two racing ones cannot both commit (the send record's condition).
        conversation: requested
            .clone()
            .unwrap_or_else(|| ConversationId::group(*uuid::Uuid::new_v4().as_bytes())),
        body: None,
        attachment: None,
        system: None,
        limit: None,
        change: Some(change),
    };
    // Membership messages: every member's copy is marked offline, as for group sends.
    let appended = services
        .store
        .append(&draft, std::future::ready(BTreeSet::new()))
        .await?;
    let conversation = match &appended {
        Appended::Duplicate(earlier) => {
            let earlier = ConversationId::parse(&earlier.conversation).map_err(Error::internal)?;
            let same = match &requested {
                Some(requested) => requested == &earlier,
                None => earlier.kind() == Kind::Group,
            };
            if !same {
                return Err(Error::bad_request("this id was already used"));
            }
            earlier
        }
        Appended::New { message, members } => {
            deliver(services, caller, message, members, None).await;
            draft.conversation.clone()
        }
        Appended::Unchanged => draft.conversation.clone(),
    };
    let record = services
        .store
        .conversation(&conversation)
        .await?
        .ok_or_else(|| Error::client(ErrorCode::NotFound, "no such group"))?;
    Ok(ServerFrame::Group {
        id,
        conversation,
        name: record.name.unwrap_or_default(),
        members: record.members,
        admins: record.admins,
    })
}
