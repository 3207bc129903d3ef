//! The group actions: each is a `system` message appended to the group (the membership
//! change rides on the same conditional write that allocates its seq, see
//! `parley_core::store::append`), posted live to the members it concerns like any message,
//! and answered with the group as it stands.

use std::collections::BTreeSet;

use parley_core::conversation::{ConversationId, Kind};
use parley_core::protocol::{ErrorCode, ServerFrame};
use parley_core::store::{Appended, Draft};
use parley_core::Error;

use super::send::deliver;
use super::{Caller, Services};
use messages::group_command::GroupCommand;

pub async fn run(
    services: &Services,
    caller: &Caller,
    command: GroupCommand,
) -> Result<ServerFrame, Error> {
    let requested = command.conversation.clone();
    let draft = Draft {
        sender: caller.user_id.clone(),
        client_id: command.id.clone(),
        // A new group's id is random: a retried createGroup finds its send record first,
        // and two racing ones cannot both commit (the send record's condition).
        conversation: requested.clone().unwrap_or_else(ConversationId::new_group),
        body: None,
        attachment: None,
        system: None,
        limit: None,
        change: Some(command.change),
    };
    // Membership messages: every member's copy is marked offline, as for group sends.
    let appended = services
        .store
        .append(&draft, std::future::ready(BTreeSet::new()))
        .await?;
    let conversation = match &appended {
        Appended::Duplicate(earlier) => {
            let earlier = ConversationId::parse(&earlier.conversation)?;
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
        id: command.id,
        conversation: conversation.to_string(),
        name: record.name.unwrap_or_default(),
        members: record.members,
        admins: record.admins,
    })
}
