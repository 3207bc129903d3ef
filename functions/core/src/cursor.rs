//! Sync positions and the opaque cursors clients hold.
//!
//! Every copy of a message in a user's mailbox sits at a position
//! `p#<ts ms, 13 digits>#<conversation>#<seq, 12 digits>`, so one Query pages a sync in time
//! order across all conversations. A send's timestamp is taken before its write commits, so a
//! message can become visible up to a request timeout after a later-stamped one. Cursors
//! therefore never point closer than [`SETTLE_MS`] to the time they are made: a sync from a
//! cursor may repeat the last seconds before it (clients drop what they hold, by conversation
//! and seq), and never misses a late commit.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::Error;

/// How far behind "now" a cursor stays: longer than any send can take to commit.
pub const SETTLE_MS: i64 = 30_000;
const PREFIX: &str = "p#";
/// Sorts after every position: the end of a user's messages.
pub const END: &str = "p$";
const MAX_CURSOR_LEN: usize = 512;

/// Where a message copy sits in its user's mailbox.
pub fn position(ts_ms: i64, conversation: &str, seq: u64) -> String {
    format!("{PREFIX}{ts_ms:013}#{conversation}#{seq:012}")
}

/// A point in a user's mailbox: sync returns what comes after it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(String);

impl Cursor {
    /// Before every message: a sync from here returns the whole retention.
    pub fn start() -> Self {
        Self(PREFIX.to_owned())
    }

    /// The latest cursor that is safe to hand out at `now_ms` for a reader that has seen
    /// everything up to `position`.
    pub fn settled(position: &str, now_ms: i64) -> Self {
        let horizon = format!("{PREFIX}{:013}", (now_ms - SETTLE_MS).max(0));
        Self(position.min(horizon.as_str()).to_owned())
    }

    /// Exactly at `position`: for a page whose successor is already known to exist in
    /// settled time (see [`Cursor::settled`]).
    pub fn at(position: &str) -> Self {
        Self(position.to_owned())
    }

    pub fn position(&self) -> &str {
        &self.0
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// Reads a cursor a client sent back.
    pub fn decode(text: &str) -> Result<Self, Error> {
        let invalid = || Error::bad_request("cursor is not one this server gave out");
        if text.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let position = String::from_utf8(bytes).map_err(|_| invalid())?;
        if !position.starts_with(PREFIX) || position.as_str() >= END {
            return Err(invalid());
        }
        Ok(Self(position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_sort_by_time_then_conversation_then_seq() {
        let a = position(1_700_000_000_000, "d:a:b", 2);
        let b = position(1_700_000_000_000, "d:a:b", 10);
        let c = position(1_700_000_000_001, "d:a:a", 1);
        assert!(a < b && b < c);
        assert!(c.as_str() < END);
        assert!(Cursor::start().position() < a.as_str());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor::at(&position(1_700_000_000_000, "d:a:b", 7));
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert_eq!(
            Cursor::decode(&Cursor::start().encode()).unwrap(),
            Cursor::start()
        );
        for bad in [
            "",
            "!!",
            "eA",
            &URL_SAFE_NO_PAD.encode("p$"),
            &"A".repeat(600),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn settled_cursors_stay_behind_recent_writes() {
        let now = 1_700_000_100_000;
        let old = position(now - 60_000, "d:a:b", 1);
        assert_eq!(
            Cursor::settled(&old, now),
            Cursor::at(&old),
            "old positions are exact"
        );
        let recent = position(now - 1_000, "d:a:b", 2);
        let settled = Cursor::settled(&recent, now);
        assert!(settled.position() < recent.as_str());
        // A write stamped within the settle window but committed later is still after it.
        let late = position(now - SETTLE_MS + 1, "d:x:y", 1);
        assert!(settled.position() < late.as_str());
    }
}
