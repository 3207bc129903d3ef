//! The local database: the client library's one `Store` file in the data folder (tokens,
//! sync cursor, messages, outbox; readable by the user only). Every command reaches it
//! through here, so all name the same file and explain the same failures.

use parley_client::{Store, Tokens};
use std::path::PathBuf;
use std::sync::Arc;

use crate::data_dir::data_dir;
use crate::failure::Failure;

pub const FILE: &str = "parley.redb";

pub fn path() -> Result<PathBuf, Failure> {
    Ok(data_dir()?.join(FILE))
}

/// The folder of this device's end-to-end encryption keys (beside the database, as the
/// client library keeps it: `parley.crypto`).
pub fn crypto_path() -> Result<PathBuf, Failure> {
    Ok(path()?.with_extension("crypto"))
}

/// Opens (or creates) the database. redb allows one process at a time, so a second
/// `parley` on the same data folder (say, beside a running `parley chat`) is told so.
pub fn open() -> Result<Arc<Store>, Failure> {
    let path = path()?;
    Store::open(&path).map(Arc::new).map_err(|e| {
        Failure::other(format!(
            "cannot open the local database {} ({e}); another parley using the same data \
             folder (PARLEY_HOME) must end first",
            path.display()
        ))
    })
}

/// The database, when there is one: commands that only read it do not create it.
pub fn open_existing() -> Result<Option<Arc<Store>>, Failure> {
    if path()?.exists() {
        open().map(Some)
    } else {
        Ok(None)
    }
}

/// The signed-in user's tokens, else "not logged in" (exit 1).
pub fn signed_in(store: &Store) -> Result<Tokens, Failure> {
    store
        .tokens()
        .map_err(|e| Failure::other(format!("the local database: {e}")))?
        .ok_or_else(Failure::not_logged_in)
}
