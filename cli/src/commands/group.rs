//! `parley group create|add|remove|leave`: group actions, each answered with the group as
//! it then stands. Members may be named by email, phone number or user id.

use parley_client::GroupReply;
use parley_protocol::ConversationId;
use serde_json::json;

use crate::args::{Cli, GroupAction};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

pub async fn run(cli: &Cli, out: Out, action: &GroupAction) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let reply = match action {
        GroupAction::Create { name, members } => {
            let members = target::user_ids(&mut online, members).await?;
            let name = name.clone();
            online
                .call(|client| async move { client.create_group(name, members).await })
                .await?
        }
        GroupAction::Add {
            conversation,
            members,
        } => {
            let conversation = conversation_id(conversation)?;
            let members = target::user_ids(&mut online, members).await?;
            online
                .call(|client| async move { client.add_members(conversation, members).await })
                .await?
        }
        GroupAction::Remove {
            conversation,
            members,
        } => {
            let conversation = conversation_id(conversation)?;
            let members = target::user_ids(&mut online, members).await?;
            online
                .call(|client| async move { client.remove_members(conversation, members).await })
                .await?
        }
        GroupAction::Leave { conversation } => {
            let conversation = conversation_id(conversation)?;
            online
                .call(|client| async move { client.leave_group(conversation).await })
                .await?
        }
    };
    print(out, &reply);
    Ok(())
}

fn conversation_id(text: &str) -> Result<ConversationId, Failure> {
    ConversationId::parse(text)
        .map_err(|_| Failure::other(format!("{text:?} is not a conversation id")))
}

fn print(out: Out, reply: &GroupReply) {
    let group = &reply.group;
    out.line(
        json!({
            "conversation": reply.conversation,
            "name": group.name,
            "members": group.members,
            "admins": group.admins,
        }),
        format!(
            "{} {:?}: {} member(s) ({}); admins: {}",
            reply.conversation,
            group.name,
            group.members.len(),
            group.members.join(", "),
            group.admins.join(", ")
        ),
    );
}
