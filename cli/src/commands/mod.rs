//! The commands, one file each; this picks one and holds what several share (the stack,
//! the password, the clock).

mod block;
mod changes;
mod chat;
mod confirm;
mod devices;
mod download;
mod group;
mod login;
mod logout;
mod lookup;
mod presence;
mod push;
mod resend_code;
mod send;
mod settings;
mod signup;
mod sync;
mod timer;
mod upload;
mod verify;
mod whoami;

use parley_client::stack::StackInfo;

use crate::args::{Cli, Command, PasswordArg};
use crate::failure::Failure;
use crate::output::Out;

pub async fn run(cli: &Cli) -> Result<(), Failure> {
    let out = Out { json: cli.json };
    match &cli.command {
        Command::Signup { username, password } => signup::run(cli, out, username, password).await,
        Command::Confirm { username, code } => confirm::run(cli, out, username, code).await,
        Command::ResendCode { username } => resend_code::run(cli, out, username).await,
        Command::Login {
            username,
            password,
            auth,
        } => login::run(cli, out, username, password, *auth).await,
        Command::Logout => logout::run(cli, out).await,
        Command::Whoami => whoami::run(out),
        Command::Lookup { addresses } => lookup::run(cli, out, addresses).await,
        Command::Send {
            to,
            text,
            reply,
            mention,
        } => send::run(cli, out, to, text, *reply, mention).await,
        Command::Edit { to, seq, text } => {
            changes::change(cli, out, to, *seq, changes::Change::Edit(text)).await
        }
        Command::Delete { to, seq } => {
            changes::change(cli, out, to, *seq, changes::Change::Delete).await
        }
        Command::React {
            to,
            seq,
            emoji,
            undo,
        } => {
            let change = match (emoji, undo) {
                (Some(emoji), false) => changes::Change::React(emoji),
                _ => changes::Change::Unreact,
            };
            changes::change(cli, out, to, *seq, change).await
        }
        Command::Forward { from, seq, to } => changes::forward(cli, out, from, *seq, to).await,
        Command::Presence { who, watch } => presence::presence(cli, out, who, *watch).await,
        Command::Privacy {
            last_seen,
            reaction_push,
        } => presence::privacy(cli, out, *last_seen, *reaction_push).await,
        Command::Sync => sync::run(cli, out).await,
        Command::Chat { to } => chat::run(cli, out, to).await,
        Command::Group(action) => group::run(cli, out, action).await,
        Command::Upload {
            to,
            file,
            content_type,
        } => upload::run(cli, out, to, file, content_type.as_deref()).await,
        Command::Download { key, path } => download::run(cli, out, key, path).await,
        Command::Push(action) => push::run(cli, out, action).await,
        Command::Settings(action) => settings::change(cli, out, action).await,
        Command::Chats => settings::list(cli, out).await,
        Command::Devices { who } => devices::run(cli, out, who.as_deref()).await,
        Command::Block { who, undo } => block::block(cli, out, who, *undo).await,
        Command::Blocks => block::list(cli, out).await,
        Command::Timer { to, after } => timer::run(cli, out, to, *after).await,
        Command::Verify {
            who,
            device,
            accept,
            yes,
        } => match (who, accept) {
            (Some(who), false) => verify::start(cli, out, who, device.as_deref(), *yes).await,
            _ => verify::accept(cli, out, *yes).await,
        },
    }
}

/// The stack the flags name, else the local one found walking up from here.
pub fn stack(cli: &Cli) -> Result<StackInfo, Failure> {
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Who is signed in, as `login` and `whoami` print it (never a token).
fn identity(tokens: &parley_client::Tokens) -> serde_json::Value {
    serde_json::json!({
        "userId": tokens.user_id,
        "username": tokens.username,
        "expiresAt": tokens.expires_at,
        "expired": tokens.expires_at <= now(),
    })
}
