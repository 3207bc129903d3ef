//! `parley edit|delete|react|forward`: changes to a message (each a new entry of its
//! conversation, sent like a message) and forwarding. Each exits once the server stored it
//! (`sent`), printing where it went; a refusal (another person's message, a window past, no
//! such message) is exit 2.

use parley_client::To;
use parley_protocol::ConversationId;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

use super::send::{print_sent, until_sent};

/// What is done to the message at `seq` of the chat `to`.
pub enum Change<'a> {
    Edit(&'a str),
    Delete,
    React(&'a str),
    Unreact,
}

pub async fn change(
    cli: &Cli,
    out: Out,
    to: &str,
    seq: u64,
    change: Change<'_>,
) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let conversation = conversation_of(&mut online, to).await?;
    let id = match change {
        Change::Edit(text) => {
            let text = text.to_owned();
            online
                .call(|client| async move { client.edit(conversation, seq, text).await })
                .await?
        }
        Change::Delete => {
            online
                .call(|client| async move { client.delete_for_everyone(conversation, seq).await })
                .await?
        }
        Change::React(emoji) => {
            let emoji = emoji.to_owned();
            online
                .call(|client| async move { client.react(conversation, seq, emoji).await })
                .await?
        }
        Change::Unreact => {
            online
                .call(|client| async move { client.unreact(conversation, seq).await })
                .await?
        }
    };
    let (conversation, at) = until_sent(&mut online, &id).await?;
    print_sent(out, &conversation, at, &id);
    Ok(())
}

/// `parley forward <from> <seq> <to>`: the message's text as this device holds it (after
/// catching up), sent to `to` marked forwarded.
pub async fn forward(cli: &Cli, out: Out, from: &str, seq: u64, to: &str) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let from = conversation_of(&mut online, from).await?;
    let to = target::resolve(&mut online, to).await?;
    online.until_synced().await?;
    let id = online
        .call(|client| async move { client.forward(&from, seq, to).await })
        .await?;
    let (conversation, at) = until_sent(&mut online, &id).await?;
    print_sent(out, &conversation, at, &id);
    Ok(())
}

/// The conversation `who` names: a conversation id as given, else the direct chat with
/// the user it names (its id as the protocol crate, the server's own, makes it).
pub async fn conversation_of(online: &mut Online, who: &str) -> Result<ConversationId, Failure> {
    Ok(match target::resolve(online, who).await? {
        To::Conversation(conversation) => conversation,
        To::User(user) => ConversationId::direct(online.client.user_id(), &user),
    })
}
