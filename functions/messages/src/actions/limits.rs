//! Which actions spend a per-user token ([`parley_core::rate_limit`]): `send` (a burst of 60,
//! then one a second) and `lookup` (a burst of 20, then one every 30 s). The others are
//! cheap reads or ephemeral (`sync`, `ack`, `typing`) and are bounded by the stage's
//! throttling. `uploadUrl` (the files function) takes [`parley_core::rate_limit::UPLOAD_URL`].
//!
//! The token is taken before the action runs, so a refused send stores nothing and a retry
//! of it with the same id later is still safe.

use parley_core::rate_limit::{Limit, LOOKUP, SEND};

use crate::command::Command;

/// The limit `command` counts against, if any.
pub fn limit_of(command: &Command) -> Option<&'static Limit> {
    match command {
        Command::Send(_) => Some(&SEND),
        Command::Lookup(_) => Some(&LOOKUP),
        _ => None,
    }
}
