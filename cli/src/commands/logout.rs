//! `parley logout`: end the session on the server (the refresh token is revoked, so a copy
//! of the data folder signs no one in) and forget everything kept locally with it (tokens,
//! cursor, messages, outbox, this device's encryption keys), as a chat app's logout does: the next login, whoever it is,
//! starts from a clean database and syncs what the server keeps.
//!
//! The local part never waits on the network: when the stack cannot be reached, the data
//! is still removed and the output says the token was not revoked (it expires on its own,
//! after the pool's refresh-token validity).

use parley_client::account::Account;
use serde_json::json;

use super::stack;
use crate::args::Cli;
use crate::failure::Failure;
use crate::output::Out;
use crate::store;

pub async fn run(cli: &Cli, out: Out) -> Result<(), Failure> {
    let mut tokens = None;
    if let Some(db) = store::open_existing()? {
        tokens = db.tokens().map_err(|e| Failure::other(e.to_string()))?;
        drop(db);
        let path = store::path()?;
        std::fs::remove_file(&path)
            .map_err(|e| Failure::other(format!("cannot remove {}: {e}", path.display())))?;
    }
    // This device's end-to-end encryption keys go with it: the next login, whoever it is,
    // is a new device. (The server keeps the old device's public keys: it has no action to
    // remove a device yet.)
    let crypto = store::crypto_path()?;
    if crypto.exists() {
        std::fs::remove_dir_all(&crypto)
            .map_err(|e| Failure::other(format!("cannot remove {}: {e}", crypto.display())))?;
    }
    let Some(tokens) = tokens else {
        out.line(json!({"loggedOut": false}), "Not logged in.");
        return Ok(());
    };
    let revoked = match stack(cli) {
        Ok(stack) => Account::new(&stack)
            .revoke(&tokens)
            .await
            .map_err(Failure::from),
        Err(failure) => Err(failure),
    };
    match revoked {
        Ok(()) => out.line(json!({"loggedOut": true, "revoked": true}), "Logged out."),
        Err(failure) => out.line(
            json!({"loggedOut": true, "revoked": false, "error": failure.message}),
            format!(
                "Logged out here; the session could not be ended on the server: {}",
                failure.message
            ),
        ),
    }
    Ok(())
}
