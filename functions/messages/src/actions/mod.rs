//! What each messaging action does, one file each; [`run`] takes the action's rate-limit
//! token and hands the frame to its file.

use parley_core::Error;
use parley_protocol::{ClientFrame, ServerFrame};

use crate::services::{Caller, Services};

mod ack;
mod add_members;
mod block;
mod blocks;
mod chat;
mod chats;
mod create_group;
mod group_change;
mod leave_group;
mod lookup;
mod prefs;
mod presence;
mod privacy;
mod remove_members;
mod send;
mod sync;
mod typing;

/// Runs a frame's action; the frame returned goes back to the caller through the route
/// response.
pub async fn run(
    services: &Services,
    caller: &Caller,
    frame: ClientFrame,
) -> Result<Option<ServerFrame>, Error> {
    services
        .limits
        .take_before(&caller.user_id, frame.action())
        .await?;
    match frame {
        ClientFrame::Send(send) => send::run(services, caller, send).await.map(Some),
        ClientFrame::Sync(sync) => sync::run(services, caller, sync).await.map(Some),
        ClientFrame::Ack(ack) => ack::run(services, caller, ack).await.map(|()| None),
        ClientFrame::Typing(typing) => typing::run(services, caller, typing).await.map(|()| None),
        ClientFrame::Lookup(lookup) => lookup::run(services, lookup).await.map(Some),
        ClientFrame::CreateGroup(create) => {
            create_group::run(services, caller, create).await.map(Some)
        }
        ClientFrame::AddMembers(add) => add_members::run(services, caller, add).await.map(Some),
        ClientFrame::RemoveMembers(remove) => remove_members::run(services, caller, remove)
            .await
            .map(Some),
        ClientFrame::LeaveGroup(leave) => leave_group::run(services, caller, leave).await.map(Some),
        ClientFrame::Prefs(prefs) => prefs::run(services, caller, prefs).await.map(Some),
        ClientFrame::Chat(chat) => chat::run(services, caller, chat).await.map(Some),
        ClientFrame::Chats(chats) => chats::run(services, caller, chats).await.map(Some),
        ClientFrame::Presence(presence) => {
            presence::run(services, caller, presence).await.map(Some)
        }
        ClientFrame::Privacy(privacy) => privacy::run(services, caller, privacy).await.map(Some),
        ClientFrame::Block(block) => block::run(services, caller, block).await.map(Some),
        ClientFrame::Blocks(blocks) => blocks::run(services, caller, blocks).await.map(Some),
        // Routed to the files, push and default functions: never here.
        other => Err(Error::bad_request(format!(
            "unknown action \"{}\"",
            other.action()
        ))),
    }
}
