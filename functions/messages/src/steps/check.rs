//! Step 1, read and check: one read of what a commit starts from, and the domain's rules
//! asked about it ([`parley_core::rules::plan`], [`parley_core::rules::changes`]), so that a
//! refused message (not a member, no such user or group, a change the sender may not make,
//! a change or a reply to no such message) is refused before anything is looked up or
//! written. The commit asks again about what it writes on.

use parley_core::clock::now_ms;
use parley_core::rules::Plan;
use parley_core::store::{ConversationRecord, Draft, Read, Seen, SendRecord, Store};
use parley_core::Error;

/// What the read and the rules found.
pub enum Checked {
    /// May be written, for `members`, starting from `seen`.
    Fresh { seen: Seen, members: Vec<String> },
    /// Stored before under this id: its outcome, and the conversation as read.
    Stored {
        earlier: SendRecord,
        record: Option<ConversationRecord>,
    },
    /// A membership change that changes nothing: the conversation as read.
    Unchanged(Option<ConversationRecord>),
}

pub async fn read_and_check(store: &Store, draft: &Draft) -> Result<Checked, Error> {
    Ok(match store.read(draft).await? {
        Read::Stored { earlier, record } => Checked::Stored { earlier, record },
        Read::Fresh(seen) => match seen.plan(draft, now_ms())? {
            Plan::Append { members, .. } => Checked::Fresh { seen, members },
            Plan::Unchanged => Checked::Unchanged(seen.record().cloned()),
        },
    })
}
