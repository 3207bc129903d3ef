//! `parley timer <who> off|24h|7d|90d`: sets a chat's disappearing-messages timer, and
//! exits once the server stored it (it is then announced to every member, as an entry of the
//! chat). Not a group's admin, it is refused (exit 2).

use serde_json::json;

use super::changes::conversation_of;
use super::send::until_sent;
use crate::args::{Cli, TimerFor};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::{timer_text, Out};

pub async fn run(cli: &Cli, out: Out, to: &str, after: TimerFor) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let conversation = conversation_of(&mut online, to).await?;
    let seconds = after.seconds();
    let target = conversation.clone();
    let id = online
        .call(|client| async move { client.set_timer(target, seconds).await })
        .await?;
    let (conversation, seq) = until_sent(&mut online, &id).await?;
    out.line(
        json!({"event": "timer", "conversation": conversation, "seq": seq, "id": id, "seconds": seconds}),
        format!("✓ {}: {conversation} #{seq}", timer_text(seconds)),
    );
    Ok(())
}
