//! The rules of a user's chat settings: what a `mute` comes to in time (on the server's
//! clock, so that every device agrees), and the refusal of one pin too many.

use parley_protocol::client::Mute;
use parley_protocol::limits::MAX_PINNED_CHATS;
use parley_protocol::{ErrorCode, MUTED_ALWAYS};

use crate::Error;

const HOUR_MS: i64 = 60 * 60 * 1000;

/// What `mute` sets `mutedUntil` to at `now_ms`; `None` removes it (unmuted).
pub fn muted_until(mute: Mute, now_ms: i64) -> Option<i64> {
    match mute {
        Mute::EightHours => Some(now_ms + 8 * HOUR_MS),
        Mute::Week => Some(now_ms + 7 * 24 * HOUR_MS),
        Mute::Always => Some(MUTED_ALWAYS),
        Mute::Off => None,
    }
}

/// The refusal of a pin beyond [`MAX_PINNED_CHATS`].
pub fn too_many_pins() -> Error {
    Error::client(
        ErrorCode::TooLarge,
        format!("at most {MAX_PINNED_CHATS} chats are pinned: unpin one first"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutes_run_from_the_servers_now() {
        let now = 1_764_070_100_000;
        assert_eq!(muted_until(Mute::EightHours, now), Some(now + 28_800_000));
        assert_eq!(muted_until(Mute::Week, now), Some(now + 604_800_000));
        assert_eq!(muted_until(Mute::Always, now), Some(-1));
        assert_eq!(muted_until(Mute::Off, now), None);
    }

    #[test]
    fn the_pin_refusal_is_too_large_and_says_the_cap() {
        let refusal = too_many_pins();
        assert!(refusal.to_string().starts_with("too_large"));
        assert!(refusal.to_string().contains("at most 3 chats are pinned"));
    }
}
