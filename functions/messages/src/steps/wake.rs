//! Step 2b, who a reaction wakes: only the reacted-to message's author, only when step 2
//! found none of their devices live, and only when they asked for it (`prefs`
//! `reactionPush`): one GetItem of their preferences, in that case alone. Every other change
//! wakes nobody, and a message wakes every member without a live device
//! ([`parley_core::message::Message::pushes_to`]).

use parley_core::store::{Draft, Seen, Store};
use parley_protocol::ChangeKind;

use super::devices::Reach;

/// The member `draft` (a reaction) is to wake, if any.
pub async fn wakes(store: &Store, draft: &Draft, seen: &Seen, reach: &Reach) -> Option<String> {
    if draft.kind != Some(ChangeKind::React) {
        return None;
    }
    let author = &seen.named()?.from;
    if *author == draft.sender || reach.reachable.contains(author) {
        return None;
    }
    match store.prefs(author).await {
        Ok(prefs) if prefs.reaction_push => Some(author.clone()),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "could not read preferences; the reaction wakes nobody");
            None
        }
    }
}
