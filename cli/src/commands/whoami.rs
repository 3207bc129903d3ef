//! `parley whoami`: who is logged in, and until when (never a token).

use super::{identity, now};
use crate::failure::Failure;
use crate::output::Out;
use crate::store;

pub fn run(out: Out) -> Result<(), Failure> {
    let db = store::open_existing()?.ok_or_else(Failure::not_logged_in)?;
    let tokens = store::signed_in(&db)?;
    let expired = tokens.expires_at <= now();
    out.line(
        identity(&tokens),
        format!(
            "{} (user id {}); token {} at {} (epoch seconds)",
            tokens.username,
            tokens.user_id,
            if expired { "expired" } else { "expires" },
            tokens.expires_at
        ),
    );
    Ok(())
}
