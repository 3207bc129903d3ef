//! What each command does, and what it prints (text, or one JSON object with `--json`).

use parley_client::account::{local_outbox_page, local_outbox_url, Account};
use parley_client::stack::StackInfo;
use serde_json::{json, Value};

use crate::args::{Auth, Cli, Command, PasswordArg};
use crate::data_dir::data_dir;
use crate::failure::Failure;
use crate::session::Session;

/// What a command says when it succeeds: the JSON form and the text form.
pub struct Report {
    pub json: Value,
    pub text: String,
}

pub async fn run(cli: &Cli) -> Result<Report, Failure> {
    match &cli.command {
        Command::Signup { username, password } => {
            let stack = stack(cli)?;
            let password = password_of(password)?;
            let signed_up = Account::new(&stack).sign_up(username, &password).await?;
            let outbox = local_outbox_url(&stack, username);
            let mut text = format!("Signed up {username}.");
            if let Some(delivery) = &signed_up.delivery {
                text += &format!(
                    " A confirmation code was sent by {} to {}.",
                    delivery.medium, delivery.destination
                );
            }
            if let (Some(url), Some(page)) = (&outbox, local_outbox_page(&stack)) {
                text += &format!(
                    "\nLocal stack: no mail goes out; the code is at {url} (all codes: {page})."
                );
            }
            text += &format!("\nThen: parley confirm {username} <code>");
            Ok(Report {
                json: json!({
                    "userId": signed_up.user_id,
                    "username": username,
                    "delivery": signed_up.delivery,
                    "outbox": outbox,
                }),
                text,
            })
        }
        Command::Confirm { username, code } => {
            Account::new(&stack(cli)?).confirm(username, code).await?;
            Ok(Report {
                json: json!({"confirmed": true, "username": username}),
                text: format!("Confirmed {username}. Next: parley login {username}"),
            })
        }
        Command::ResendCode { username } => {
            let stack = stack(cli)?;
            let delivery = Account::new(&stack).resend_code(username).await?;
            Ok(Report {
                text: format!(
                    "A new code was sent by {} to {}.",
                    delivery.medium, delivery.destination
                ),
                json: json!({
                    "username": username,
                    "delivery": delivery,
                    "outbox": local_outbox_url(&stack, username),
                }),
            })
        }
        Command::Login {
            username,
            password,
            auth,
        } => {
            let session = session()?;
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
            session.save(&tokens)?;
            Ok(Report {
                json: identity(&tokens),
                text: format!(
                    "Logged in as {} (user id {}); session kept in {}.",
                    tokens.username,
                    tokens.user_id,
                    session.path().display()
                ),
            })
        }
        Command::Logout => {
            let was = session()?.clear()?;
            Ok(Report {
                json: json!({"loggedOut": was}),
                text: if was { "Logged out." } else { "Not logged in." }.into(),
            })
        }
        Command::Whoami => {
            let tokens = session()?
                .load()?
                .ok_or_else(|| Failure::other("not logged in: parley login <email or phone>"))?;
            let expired = tokens.expires_at <= now();
            Ok(Report {
                text: format!(
                    "{} (user id {}); token {} at {} (epoch seconds)",
                    tokens.username,
                    tokens.user_id,
                    if expired { "expired" } else { "expires" },
                    tokens.expires_at
                ),
                json: identity(&tokens),
            })
        }
    }
}

fn identity(tokens: &parley_client::Tokens) -> Value {
    json!({
        "userId": tokens.user_id,
        "username": tokens.username,
        "expiresAt": tokens.expires_at,
        "expired": tokens.expires_at <= now(),
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn session() -> Result<Session, Failure> {
    Ok(Session::in_dir(&data_dir()?))
}

/// The stack the flags name, else the local one found walking up from here.
fn stack(cli: &Cli) -> Result<StackInfo, Failure> {
    let found = if let Some(path) = &cli.stack {
        StackInfo::local(path)
    } else if let Some(path) = &cli.cloudformation {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::other(format!("cannot read {}: {e}", path.display())))?;
        StackInfo::from_cloudformation(&text)
    } else {
        let here = std::env::current_dir()
            .map_err(|e| Failure::other(format!("no current folder: {e}")))?;
        StackInfo::find_local(&here)
    };
    found.map_err(|e| Failure::other(e.to_string()))
}

fn password_of(arg: &PasswordArg) -> Result<String, Failure> {
    if let Some(password) = &arg.password {
        return Ok(password.clone());
    }
    rpassword::prompt_password("Password: ").map_err(|e| {
        Failure::other(format!(
            "cannot ask for the password ({e}): give --password or PARLEY_PASSWORD"
        ))
    })
}
