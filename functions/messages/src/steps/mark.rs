//! Step 5, mark for push what could not be delivered: members who looked online (so their
//! copies were written unmarked) but every device of whom turned out gone when posted to.
//! One UpdateItem each ([`parley_core::store::Store::mark_offline`]), whose stream MODIFY
//! the push function's filter lets through. The sender's own copy is never marked, nor a
//! copy the message does not push to ([`Message::pushes_to`]).

use parley_core::delivery::Report;
use parley_core::message::Message;
use parley_core::store::Store;

pub async fn mark(store: &Store, sender: &str, message: &Message, report: &Report) {
    let gone: Vec<String> = report
        .all_gone
        .iter()
        .filter(|user| *user != sender && message.pushes_to(user))
        .cloned()
        .collect();
    if gone.is_empty() {
        return;
    }
    if let Err(error) = store.mark_offline(message, &gone).await {
        tracing::warn!(%error, "could not mark copies for push; those members will sync");
    }
}
