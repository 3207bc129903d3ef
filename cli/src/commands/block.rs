//! `parley block <who>` blocks a user (`--undo` unblocks): nothing of theirs reaches you any
//! more, in your direct chat or a shared group, and they are not told. `parley blocks`
//! lists whom you block.

use serde_json::json;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

pub async fn block(cli: &Cli, out: Out, who: &str, undo: bool) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let user = target::user_ids(&mut online, &[who.to_owned()])
        .await?
        .remove(0);
    let asked = user.clone();
    let blocked = online
        .call(|client| async move { client.block(asked, !undo).await })
        .await?;
    out.line(
        json!({"user": user, "blocked": blocked}),
        if blocked {
            format!("{who}: blocked (nothing of theirs reaches you; they are not told)")
        } else {
            format!("{who}: unblocked")
        },
    );
    Ok(())
}

pub async fn list(cli: &Cli, out: Out) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let users = online
        .call(|client| async move { client.blocks().await })
        .await?;
    if out.json {
        out.line(json!({"blocks": users}), "");
    } else if users.is_empty() {
        println!("you block no one");
    } else {
        for user in &users {
            println!("{user}");
        }
    }
    Ok(())
}
