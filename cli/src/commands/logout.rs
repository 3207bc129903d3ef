//! `parley logout`: forget the session and everything kept locally with it (tokens, cursor,
//! messages, outbox), as a chat app's logout does: the next login, whoever it is, starts
//! from a clean database and syncs what the server keeps.

use serde_json::json;

use crate::failure::Failure;
use crate::output::Out;
use crate::store;

pub fn run(out: Out) -> Result<(), Failure> {
    let mut was = false;
    if let Some(db) = store::open_existing()? {
        was = db
            .tokens()
            .map_err(|e| Failure::other(e.to_string()))?
            .is_some();
        drop(db);
        let path = store::path()?;
        std::fs::remove_file(&path)
            .map_err(|e| Failure::other(format!("cannot remove {}: {e}", path.display())))?;
    }
    out.line(
        json!({"loggedOut": was}),
        if was { "Logged out." } else { "Not logged in." },
    );
    Ok(())
}
