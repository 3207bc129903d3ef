//! Exponential backoff with jitter, for resending a frame and for reconnecting: waits
//! double from `base` up to `cap`, and each is drawn from its upper half so that many
//! clients cut off at once (a gateway restart) do not come back in step.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// Resending a refused or unanswered frame.
    pub const RETRY: Self = Self {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(60),
    };
    /// Reconnecting after a close or a refused handshake.
    pub const RECONNECT: Self = Self {
        base: Duration::from_millis(250),
        cap: Duration::from_secs(30),
    };

    /// The wait before attempt `failures + 1`, with a jitter drawn at random.
    pub fn delay(&self, failures: u32) -> Duration {
        self.delay_with(failures, fastrand::f64())
    }

    /// The wait for a given draw in `[0, 1)`: between half and all of
    /// `min(cap, base * 2^(failures - 1))`.
    pub fn delay_with(&self, failures: u32, draw: f64) -> Duration {
        let doubled = self.base.saturating_mul(
            1u32.checked_shl(failures.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = doubled.min(self.cap);
        ceiling / 2 + ceiling.mul_f64(draw.clamp(0.0, 1.0) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(60),
    };

    #[test]
    fn waits_double_up_to_the_cap() {
        let top: Vec<u64> = (1..=9)
            .map(|n| B.delay_with(n, 0.999_999).as_secs())
            .collect();
        assert_eq!(top, [0, 1, 3, 7, 15, 31, 59, 59, 59]);
        assert_eq!(B.delay_with(1, 0.0), Duration::from_millis(500));
        assert_eq!(B.delay_with(3, 0.0), Duration::from_secs(2));
        assert_eq!(B.delay_with(40, 0.0), Duration::from_secs(30));
    }

    #[test]
    fn the_jitter_stays_within_the_upper_half() {
        for failures in 1..12 {
            let ceiling = B.base.saturating_mul(1 << (failures - 1)).min(B.cap);
            for _ in 0..50 {
                let wait = B.delay(failures);
                assert!(
                    wait >= ceiling / 2 && wait <= ceiling,
                    "{wait:?} for {failures}"
                );
            }
        }
    }
}
