//! `parley send`: one text message (maybe a reply, maybe mentioning members); exits once the
//! server stored it (`sent`), printing where it went (conversation, seq, id). A final
//! refusal is exit 2.

use parley_client::store::Tick;
use parley_client::{Event, SendOptions, To};
use parley_protocol::{ConversationId, Kind};
use serde_json::json;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

pub async fn run(
    cli: &Cli,
    out: Out,
    to: &str,
    text: &str,
    reply: Option<u64>,
    mention: &[String],
) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let to = target::resolve(&mut online, to).await?;
    let mut mentions = target::user_ids(&mut online, mention).await?;
    let in_group = matches!(&to, To::Conversation(c) if c.kind() == Kind::Group);
    // A quote is made from the message as this device holds it, and `@` names from the
    // group as it knows it: both once caught up.
    if reply.is_some() || in_group {
        online.until_synced().await?;
    }
    if let To::Conversation(conversation) = &to {
        for member in online.client.mentions_in(conversation, text)? {
            if !mentions.contains(&member) {
                mentions.push(member);
            }
        }
    }
    let body = text.to_owned();
    let options = SendOptions {
        reply_to: reply,
        mentions,
        forwarded: false,
    };
    let id = online
        .call(|client| async move { client.send_text_with(to, body, options).await })
        .await?;
    let (conversation, seq) = until_sent(&mut online, &id).await?;
    print_sent(out, &conversation, seq, &id);
    Ok(())
}

/// Waits for the `sent` of this device's message `id`: its conversation and seq.
pub async fn until_sent(online: &mut Online, id: &str) -> Result<(ConversationId, u64), Failure> {
    loop {
        match online.next().await? {
            Event::Tick {
                id: sent,
                conversation,
                seq,
                tick: Tick::Sent,
            } if sent == id => return Ok((conversation, seq)),
            Event::SendFailed {
                id: failed,
                code,
                message,
            } if failed == id => {
                return Err(Failure::refused(format!("refused ({code}): {message}")))
            }
            _ => {}
        }
    }
}

pub fn print_sent(out: Out, conversation: &ConversationId, seq: u64, id: &str) {
    out.line(
        json!({"event": "sent", "conversation": conversation, "seq": seq, "id": id}),
        format!("✓ sent: {conversation} #{seq} (id {id})"),
    );
}
