//! `parley confirm`: confirm an account with the code that was sent.

use parley_client::account::Account;
use serde_json::json;

use super::stack;
use crate::args::Cli;
use crate::failure::Failure;
use crate::output::Out;

pub async fn run(cli: &Cli, out: Out, username: &str, code: &str) -> Result<(), Failure> {
    Account::new(&stack(cli)?).confirm(username, code).await?;
    out.line(
        json!({"confirmed": true, "username": username}),
        format!("Confirmed {username}. Next: parley login {username}"),
    );
    Ok(())
}
