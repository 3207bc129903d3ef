//! The rules of presence (online / last seen): who may see whose, how long a watch lasts,
//! and when a connect or disconnect is a change worth telling the watchers. Pure functions
//! of what the store read and the clock, so that they are tested with a fixed `now`.
//!
//! Privacy is reciprocal, as WhatsApp's is: a user who hides their presence from someone
//! sees nothing of that someone's either. Blocks (a later change) make presence invisible in
//! both directions: they hook in at [`visible`]'s caller, as one more `false`.

use parley_protocol::client::Audience;

/// How long a `presence` watch lasts unless the viewer renews it (the client renews every
/// [`RENEW_MS`] while the chat stays open).
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// How often a client renews its watch: a minute inside the lease.
pub const RENEW_MS: i64 = 4 * 60 * 1000;
const _: () = assert!(RENEW_MS < LEASE_MS, "a renewal must come inside the lease");

/// One side of a pair of users, as the viewer's `presence` request reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// Whom this user shows their presence to.
    pub audience: Audience,
    /// Whether this user counts the other one as a contact.
    pub counts_other_as_contact: bool,
}

impl Side {
    /// Whether this side's setting lets the other one see it.
    fn shows_to_other(self) -> bool {
        match self.audience {
            Audience::Everyone => true,
            Audience::Contacts => self.counts_other_as_contact,
            Audience::Nobody => false,
        }
    }
}

/// Whether `viewer` may see `owner`'s presence: the owner's setting lets the viewer see it,
/// and the viewer's own setting lets the owner see theirs (reciprocity).
pub fn visible(owner: Side, viewer: Side) -> bool {
    owner.shows_to_other() && viewer.shows_to_other()
}

/// Until when a watch made (or renewed) at `now_ms` lasts.
pub fn lease_until(now_ms: i64) -> i64 {
    now_ms + LEASE_MS
}

/// Whether a watch recorded `until` is still live at `now_ms`.
pub fn watching(until: i64, now_ms: i64) -> bool {
    until > now_ms
}

/// Whether a `$connect` brings its user online: no other live connection was there.
/// (`others_live` counts the user's live connections besides the new one.)
pub fn comes_online(others_live: usize) -> bool {
    others_live == 0
}

/// Whether a `$disconnect` takes its user offline: no live connection is left.
pub fn goes_offline(live_left: usize) -> bool {
    live_left == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use Audience::*;

    fn side(audience: Audience, counts_other_as_contact: bool) -> Side {
        Side {
            audience,
            counts_other_as_contact,
        }
    }

    #[test]
    fn the_owners_setting_decides_who_sees() {
        let open = side(Everyone, false);
        assert!(visible(side(Everyone, false), open));
        assert!(visible(side(Contacts, true), open));
        assert!(!visible(side(Contacts, false), open));
        assert!(!visible(side(Nobody, true), open));
    }

    #[test]
    fn who_hides_theirs_sees_no_one_elses() {
        let owner = side(Everyone, true);
        assert!(!visible(owner, side(Nobody, true)));
        // A viewer showing theirs to contacts only sees their contacts alone.
        assert!(visible(owner, side(Contacts, true)));
        assert!(!visible(owner, side(Contacts, false)));
    }

    #[test]
    fn a_watch_lasts_its_lease() {
        let now = 1_700_000_000_000;
        let until = lease_until(now);
        assert_eq!(until, now + 300_000);
        assert!(watching(until, now + RENEW_MS));
        assert!(!watching(until, until));
    }

    #[test]
    fn only_the_first_connect_and_the_last_disconnect_flip() {
        assert!(comes_online(0));
        assert!(!comes_online(1));
        assert!(goes_offline(0));
        assert!(!goes_offline(2));
    }
}
