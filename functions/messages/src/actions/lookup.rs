//! `lookup`: which of these emails and phone numbers belong to registered users.

use parley_core::Error;
use parley_protocol::ServerFrame;

use crate::services::Services;
use parley_protocol::client::Lookup;

pub async fn run(services: &Services, lookup: Lookup) -> Result<ServerFrame, Error> {
    let users = services.users.find(&lookup.emails, &lookup.phones).await?;
    Ok(ServerFrame::Users {
        id: lookup.id,
        users,
    })
}
