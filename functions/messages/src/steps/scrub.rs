//! Step 3b, a delete for everyone's scrub after its commit ([`parley_core::store::Scrub`]):
//! a group's copies (the commit scrubbed its log, and a direct chat whole), then the deleted
//! message's attachment: its S3 object (`s3:DeleteObject` under `c/`, the only S3 right
//! this function has) and the uploader's reservation, which names the file. `sent` waits
//! for it, so a failure makes the client retry with the same id, which runs it again from
//! what the store holds ([`super::commit::complete`]); every part is idempotent.

use parley_core::store::{Scrub, Store};
use parley_core::Error;
use parley_protocol::Kind;

use crate::services::Files;

pub async fn finish(store: &Store, files: &Files, scrub: &Scrub) -> Result<(), Error> {
    if scrub.conversation.kind() == Kind::Group {
        store.scrub_copies(scrub).await?;
    }
    if let Some((key, _)) = &scrub.attachment {
        files.delete(key).await?;
        store.forget_attachment(scrub).await?;
    }
    tracing::info!(
        conversation = %scrub.conversation,
        entries = scrub.entries.len(),
        owners = scrub.owners.len(),
        attachment = scrub.attachment.is_some(),
        "deleted for everyone"
    );
    Ok(())
}
