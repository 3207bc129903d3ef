//! Which actions spend a per-user token ([`parley_core::rate_limit`]): `send` (a burst of 60,
//! then one a second) and `lookup` (a burst of 20, then one every 30 s). The others are
//! cheap reads or ephemeral (`sync`, `ack`, `typing`) and are bounded by the stage's
//! throttling. `uploadUrl` (the files function) takes [`parley_core::rate_limit::UPLOAD_URL`].
//!
//! `lookup`'s token is taken before the action runs. `send`'s is taken by the store, in the
//! transaction that stores the message ([`parley_core::store::Draft::limit`]): a refused
//! send stores nothing, a retry of a stored id spends nothing, and the token costs no
//! request of its own.

use parley_core::rate_limit::{Limit, LOOKUP};

use parley_protocol::ClientFrame;

/// The limit `frame` counts against before it runs, if any.
pub fn limit_of(frame: &ClientFrame) -> Option<&'static Limit> {
    match frame {
        ClientFrame::Lookup(_) => Some(&LOOKUP),
        _ => None,
    }
}
