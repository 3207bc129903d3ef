//! `parley lookup`: the user ids of registered users by email or phone number. One line
//! per address asked for, `userId` null for one nobody registered (confirmed).

use serde_json::json;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;

pub async fn run(cli: &Cli, out: Out, addresses: &[String]) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let (emails, phones): (Vec<String>, Vec<String>) =
        addresses.iter().cloned().partition(|a| a.contains('@'));
    let users = online
        .call(|client| async move { client.lookup(emails, phones).await })
        .await?;
    for address in addresses {
        let found = users.iter().find(|user| {
            // The server matches emails whatever their case.
            user.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(address))
                || user.phone.as_deref() == Some(address.as_str())
        });
        let user_id = found.map(|user| user.user_id.as_str());
        out.line(
            json!({"address": address, "userId": user_id}),
            format!("{address}\t{}", user_id.unwrap_or("(not registered)")),
        );
    }
    Ok(())
}
