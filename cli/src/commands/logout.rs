//! `parley logout`: forget the tokens (the messages stay in the local database).

use serde_json::json;

use crate::failure::Failure;
use crate::output::Out;
use crate::store;

pub fn run(out: Out) -> Result<(), Failure> {
    let mut was = false;
    if let Some(db) = store::open_existing()? {
        let fail = |e: parley_client::store::StoreError| Failure::other(e.to_string());
        was = db.tokens().map_err(fail)?.is_some();
        db.clear_tokens().map_err(fail)?;
    }
    out.line(
        json!({"loggedOut": was}),
        if was { "Logged out." } else { "Not logged in." },
    );
    Ok(())
}
