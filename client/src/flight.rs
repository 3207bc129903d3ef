//! Where one frame that needs an answer stands (a send in the outbox, or a request such as
//! `createGroup`): due to be put on the socket, or on it and awaiting its reply. A frame
//! whose reply does not come within [`REPLY_TIMEOUT`] is sent again, with the same id.

use std::time::{Duration, Instant};

use crate::backoff::Backoff;

/// API Gateway gives an integration 29 s, then answers "Internal server error" itself: a
/// frame unanswered for longer than that was lost with its connection.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flight {
    /// Transient refusals and timeouts so far: the backoff grows with them.
    pub failures: u32,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Due(Instant),
    Sent(Instant),
}

impl Flight {
    pub fn due_now(now: Instant) -> Self {
        Self {
            failures: 0,
            state: State::Due(now),
        }
    }

    /// Not before `at`.
    pub fn due_at(at: Instant) -> Self {
        Self {
            failures: 0,
            state: State::Due(at),
        }
    }

    /// Whether it should be put on the socket at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        matches!(self.state, State::Due(at) if at <= now)
    }

    pub fn is_sent(&self) -> bool {
        matches!(self.state, State::Sent(_))
    }

    /// It was put on the socket.
    pub fn sent(&mut self, now: Instant) {
        self.state = State::Sent(now);
    }

    /// Whether its reply is overdue.
    pub fn timed_out(&self, now: Instant) -> bool {
        matches!(self.state, State::Sent(at) if now >= at + REPLY_TIMEOUT)
    }

    /// A transient refusal or a timeout: try again after a backoff.
    pub fn failed(&mut self, now: Instant, backoff: Backoff) {
        self.failures += 1;
        self.state = State::Due(now + backoff.delay(self.failures));
    }

    /// The connection closed while it was on the socket: send it again on the next one
    /// (reconnecting already waits its own backoff).
    pub fn disconnected(&mut self, now: Instant) {
        if self.is_sent() {
            self.state = State::Due(now);
        }
    }

    /// When something next happens to it: it falls due, or its reply is overdue.
    pub fn wakeup(&self) -> Instant {
        match self.state {
            State::Due(at) => at,
            State::Sent(at) => at + REPLY_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_goes_due_sent_then_due_again_after_a_failure() {
        let start = Instant::now();
        let mut flight = Flight::due_now(start);
        assert!(flight.is_due(start));
        flight.sent(start);
        assert!(!flight.is_due(start));
        assert!(!flight.timed_out(start + REPLY_TIMEOUT - Duration::from_millis(1)));
        assert!(flight.timed_out(start + REPLY_TIMEOUT));
        flight.failed(start, Backoff::RETRY);
        assert_eq!(flight.failures, 1);
        assert!(!flight.is_due(start), "a failure waits a backoff");
        assert!(flight.is_due(start + Backoff::RETRY.base));
    }

    #[test]
    fn a_disconnect_makes_a_sent_frame_due_at_once_without_counting_a_failure() {
        let start = Instant::now();
        let mut flight = Flight::due_now(start);
        flight.sent(start);
        flight.disconnected(start + Duration::from_secs(1));
        assert!(flight.is_due(start + Duration::from_secs(1)));
        assert_eq!(flight.failures, 0);
        // A frame waiting out a backoff keeps waiting.
        let mut waiting = Flight::due_now(start);
        waiting.failed(start, Backoff::RETRY);
        waiting.disconnected(start);
        assert!(!waiting.is_due(start));
    }
}
