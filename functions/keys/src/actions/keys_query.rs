//! `keysQuery {id, users}` → `keys`: each user's registered devices and identity keys, for
//! anyone signed in (rate-limited). A user with no device appears with `{}`. Every user is
//! in exactly one part; parts before the last are posted (`more: true`), the last answers.

use parley_core::Error;
use parley_protocol::client::KeysQuery;
use parley_protocol::ServerFrame;

use crate::actions::parts;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    query: KeysQuery,
) -> Result<ServerFrame, Error> {
    let found = services.devices.query(&query.users).await?;
    let mut frames: Vec<ServerFrame> = parts::split(found.into_iter().collect())
        .into_iter()
        .map(|part| ServerFrame::Keys {
            id: query.id.clone(),
            devices: part.into_iter().collect(),
            more: true,
        })
        .collect();
    let Some(ServerFrame::Keys { more, .. }) = frames.last_mut() else {
        return Err(Error::internal("a query has at least one part"));
    };
    *more = false;
    let last = frames.pop().expect("at least one part");
    parts::post(services, caller, &frames).await?;
    Ok(last)
}
