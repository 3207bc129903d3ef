//! Presence: the users this device watches while their chat is open. A watch is a lease of
//! the server's (5 minutes, on one connection), so the watch goes again every
//! [`RENEW_WATCH_AFTER`] and on every new connection, until the application unwatches.
//! Every `presence` frame (the answer to a watch, or a flip posted to a watcher) is handed
//! out as [`Event::Presence`]; nothing is stored.

use parley_protocol::client::Presence;
use parley_protocol::ClientFrame;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Chat;
use crate::events::Event;

/// Watch again this often: inside the server's 5-minute lease, with a minute to spare.
pub const RENEW_WATCH_AFTER: Duration = Duration::from_secs(4 * 60);

/// The watched users, and when each watch goes again.
#[derive(Default)]
pub(super) struct Watches {
    due: BTreeMap<String, Instant>,
}

impl Watches {
    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// A new connection holds no watch: every one is due at once.
    pub(super) fn connected(&mut self, now: Instant) {
        for due in self.due.values_mut() {
            *due = now;
        }
    }
}

impl Chat {
    /// Watches `user` (`watch: true`) until told to stop (`false`, which the server is
    /// told at once while connected; offline there is no watch to stop).
    pub fn watch(&mut self, user: String, watch: bool, now: Instant) {
        if watch {
            self.presence.due.insert(user, now);
            self.poll_presence(now);
        } else if self.presence.due.remove(&user).is_some() && self.connected {
            self.send_frame(presence_frame(user, false));
        }
    }

    pub(super) fn poll_presence(&mut self, now: Instant) {
        if !self.connected {
            return;
        }
        let due: Vec<String> = self
            .presence
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(user, _)| user.clone())
            .collect();
        for user in due {
            self.presence
                .due
                .insert(user.clone(), now + RENEW_WATCH_AFTER);
            self.send_frame(presence_frame(user, true));
        }
    }

    /// A `presence` frame, answered or posted.
    pub(super) fn on_presence(
        &mut self,
        user: String,
        online: Option<bool>,
        last_seen: Option<i64>,
    ) {
        self.emit(Event::Presence {
            user,
            online,
            last_seen,
        });
    }
}

/// Its answer is not awaited (it comes as an event), so its id only has to be fresh.
fn presence_frame(user: String, watch: bool) -> ClientFrame {
    ClientFrame::Presence(Presence {
        id: format!("presence-{}", uuid::Uuid::new_v4()),
        user,
        watch,
    })
}
