//! `parley signup`: make an account; says where the confirmation code went (locally, the
//! outbox URL that lists it).

use parley_client::account::{local_outbox_page, local_outbox_url, Account};
use serde_json::json;

use super::{password_of, stack};
use crate::args::{Cli, PasswordArg};
use crate::failure::Failure;
use crate::output::Out;

pub async fn run(
    cli: &Cli,
    out: Out,
    username: &str,
    password: &PasswordArg,
) -> Result<(), Failure> {
    let stack = stack(cli)?;
    let password = password_of(password)?;
    let signed_up = Account::new(&stack).sign_up(username, &password).await?;
    let outbox = local_outbox_url(&stack, username);
    let mut text = format!("Signed up {username}.");
    if let Some(delivery) = &signed_up.delivery {
        text.push_str(&format!(
            " A confirmation code was sent by {} to {}.",
            delivery.medium, delivery.destination
        ));
    }
    if let (Some(url), Some(page)) = (&outbox, local_outbox_page(&stack)) {
        text.push_str(&format!(
            "\nLocal stack: no mail goes out; the code is at {url} (all codes: {page})."
        ));
    }
    text.push_str(&format!("\nThen: parley confirm {username} <code>"));
    out.line(
        json!({
            "userId": signed_up.user_id,
            "username": username,
            "delivery": signed_up.delivery,
            "outbox": outbox,
        }),
        text,
    );
    Ok(())
}
