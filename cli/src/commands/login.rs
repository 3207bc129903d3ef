//! `parley login`: sign in, keep the tokens in the local database, and register this
//! device's encryption keys (one connection), so that others write to this user end-to-end
//! encrypted from the first message: a user with no device keys is written to in the clear.

use parley_client::account::Account;

use super::{identity, password_of, stack};
use crate::args::{Auth, Cli, PasswordArg};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::store;

pub async fn run(
    cli: &Cli,
    out: Out,
    username: &str,
    password: &PasswordArg,
    auth: Auth,
) -> Result<(), Failure> {
    // Opened first: a database another parley holds fails before the password is asked.
    let db = store::open()?;
    let stack = stack(cli)?;
    let account = Account::new(&stack);
    let password = password_of(password)?;
    let by_password = match auth {
        Auth::Password => true,
        Auth::Srp => false,
        // Only the local stack has a Cognito endpoint of its own.
        Auth::Auto => stack.cognito_endpoint.is_some(),
    };
    let tokens = if by_password {
        account.sign_in_with_password(username, &password).await?
    } else {
        account.sign_in(username, &password).await?
    };
    // The database holds one user's cursor, messages and outbox: another user's would be
    // synced from the wrong place and sent as the wrong person.
    let kept = db
        .tokens()
        .map_err(|e| Failure::other(format!("the local database: {e}")))?;
    if let Some(other) = kept.filter(|kept| kept.user_id != tokens.user_id) {
        return Err(Failure::other(format!(
            "this data folder is {}'s: `parley logout` first, or use another PARLEY_HOME",
            other.username
        )));
    }
    db.save_tokens(&tokens)
        .map_err(|e| Failure::other(format!("cannot keep the session: {e}")))?;
    // The connection's client opens the database itself.
    drop(db);
    let keys = register_keys(cli).await;
    let mut json = identity(&tokens);
    json["deviceKeys"] = keys.is_ok().into();
    let keys_text = match &keys {
        Ok(()) => "this device's encryption keys are registered".to_owned(),
        Err(failure) => format!(
            "this device's encryption keys are not registered yet ({}): the next command that \
             connects registers them",
            failure.message
        ),
    };
    out.line(
        json,
        format!(
            "Logged in as {} (user id {}); session kept in {}; {keys_text}.",
            tokens.username,
            tokens.user_id,
            store::path()?.display()
        ),
    );
    Ok(())
}

/// Connects once: the library uploads the device's keys before its first sync ends.
async fn register_keys(cli: &Cli) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    online.until_synced().await
}
