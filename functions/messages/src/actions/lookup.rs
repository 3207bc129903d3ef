//! `lookup`: which of these emails and phone numbers belong to registered users.

use parley_core::protocol::ServerFrame;
use parley_core::Error;

use super::Services;
use crate::command::Lookup;

pub async fn run(services: &Services, lookup: Lookup) -> Result<ServerFrame, Error> {
    let users = services.users.find(&lookup.emails, &lookup.phones).await?;
    Ok(ServerFrame::Users {
        id: lookup.id,
        users,
    })
}
