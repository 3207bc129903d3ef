//! The message store: conversations (seq counters and group membership) and each user's
//! mailbox (message copies, send records, acknowledgements). Every request path reads by
//! key; nothing Scans.
//!
//! Mailbox sort keys, all in the user's partition:
//! - `ack#<conversation>` — how far the user acknowledged a conversation;
//! - `blk#<user>` and `blkby` — whom the user blocks, and who blocks them ([`blocks`]);
//! - `chat#<conversation>` and `pins` — the user's chat settings ([`chats`]);
//! - `id#<client id>` — the outcome of a send, which makes retries idempotent;
//! - `f#<file key>` — a file the user reserved with `uploadUrl` ([`reservations`]);
//! - `p#<ts>#<conversation>#<seq>` — a message copy ([`crate::cursor`]).
//! - `prefs` — the user's preferences: whom they show their presence to ([`presence`]);
//! - `rate#<limit>` — the user's rate-limit bucket ([`crate::rate_limit`]); sorts after `p$`.
//! - `prefs` — the user's preferences ([`prefs`]); sorts after `p$`.
//!
//! Other prefixes must sort outside [`p#`, `p$`], so that a sync sees positions only.
//! A conversation's own log lives in its partition (`userId` = `g:…` or `d:…`, [`log`]),
//! with the state of each changed message beside it ([`state`]).

mod acks;
mod append;
mod blocks;
mod chats;
mod conversations;
mod fanout;
mod log;
mod mailbox;
mod prefs;
mod presence;
mod reservations;
mod scrub;
mod state;
mod turns;

pub use acks::Acknowledged;
pub use append::{Appended, Draft, Read, Seen, SendRecord};
pub use blocks::BLOCKED_BY;
pub use chats::{settings_from_item, ChatChange, CHAT_PREFIX, PINS};
pub use conversations::ConversationRecord;
pub use mailbox::Page;
pub use prefs::Prefs;
pub use presence::PREFS;
pub use reservations::Reservation;
pub use scrub::{owners_of_group, Scrub};
pub use state::StateRecord;

/// The two tables, and the users table a direct message's recipient must be in, through a
/// client built once per cold start.
#[derive(Debug, Clone)]
pub struct Store {
    db: aws_sdk_dynamodb::Client,
    conversations_table: String,
    messages_table: String,
    users_table: String,
}

impl Store {
    pub fn new(db: aws_sdk_dynamodb::Client, config: &crate::Config) -> Self {
        Self {
            db,
            conversations_table: config.conversations_table.clone(),
            messages_table: config.messages_table.clone(),
            users_table: config.users_table.clone(),
        }
    }
}
