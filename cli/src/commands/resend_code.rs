//! `parley resend-code`: a new confirmation code (the previous one stops working).

use parley_client::account::{local_outbox_url, Account};
use serde_json::json;

use super::stack;
use crate::args::Cli;
use crate::failure::Failure;
use crate::output::Out;

pub async fn run(cli: &Cli, out: Out, username: &str) -> Result<(), Failure> {
    let stack = stack(cli)?;
    let delivery = Account::new(&stack).resend_code(username).await?;
    out.line(
        json!({
            "username": username,
            "delivery": delivery,
            "outbox": local_outbox_url(&stack, username),
        }),
        format!(
            "A new code was sent by {} to {}.",
            delivery.medium, delivery.destination
        ),
    );
    Ok(())
}
