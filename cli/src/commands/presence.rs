//! `parley presence <who>`: someone's online / last seen, once, or with `--watch` each change
//! until Ctrl-C (a watch lease the library renews). `parley privacy`: whom you show yours
//! to, and whether reactions push while you are offline; each given setting is changed, and
//! both are printed as they then stand.

use parley_client::Event;
use serde_json::json;

use crate::args::{Cli, LastSeen, OnOff};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::{presence_json, presence_text, Out};
use crate::target;

pub async fn presence(cli: &Cli, out: Out, who: &str, watch: bool) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let user = target::user_ids(&mut online, &[who.to_owned()])
        .await?
        .remove(0);
    if !watch {
        let asked = user.clone();
        let state = online
            .call(|client| async move { client.presence(asked).await })
            .await?;
        print(out, who, &user, state.online, state.last_seen);
        return Ok(());
    }
    online.client.watch_presence(user.clone())?;
    loop {
        if let Event::Presence {
            user: of,
            online: is_online,
            last_seen,
        } = online.next().await?
        {
            if of == user {
                print(out, who, &user, is_online, last_seen);
            }
        }
    }
}

fn print(out: Out, who: &str, user: &str, online: Option<bool>, last_seen: Option<i64>) {
    out.line(
        presence_json(user, online, last_seen),
        format!(
            "{who}: {}",
            presence_text(online, last_seen, super::now() * 1000)
        ),
    );
}

pub async fn privacy(
    cli: &Cli,
    out: Out,
    last_seen: Option<LastSeen>,
    reaction_push: Option<OnOff>,
) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let audience = last_seen.map(LastSeen::protocol);
    let shown_to = online
        .call(|client| async move { client.privacy(audience).await })
        .await?;
    let push = reaction_push.map(|on| on == OnOff::On);
    let pushes = online
        .call(|client| async move { client.reaction_push(push).await })
        .await?;
    let name = serde_json::to_value(shown_to)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    out.line(
        json!({"lastSeen": name, "reactionPush": pushes}),
        format!(
            "presence shown to: {name}; reactions push while offline: {}",
            if pushes { "on" } else { "off" }
        ),
    );
    Ok(())
}
