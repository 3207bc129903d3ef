//! Identifiers and timestamps in the shapes Lambda uses: request ids, X-Ray trace ids, log
//! stream names and epoch-millisecond deadlines. Only uniqueness matters locally, so the
//! randomness comes from std's per-process hash keys rather than a random-number crate.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A request id in Lambda's UUID shape, e.g. `8f5a2c1e-0b7d-4e3a-9c61-2f4d8e7a1b30`.
pub(crate) fn request_id() -> String {
    let high = random_u64();
    let low = random_u64();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header as Lambda passes it in `Lambda-Runtime-Trace-Id`.
pub(crate) fn trace_id() -> String {
    let epoch_seconds = since_epoch(SystemTime::now()).as_secs();
    format!(
        "Root=1-{:08x}-{:08x}{:016x};Parent={:016x};Sampled=0",
        epoch_seconds & 0xffff_ffff,
        random_u64() & 0xffff_ffff,
        random_u64(),
        random_u64()
    )
}

/// A log stream name in Lambda's shape: `YYYY/MM/DD/[$LATEST]` and 32 hex digits.
pub(crate) fn log_stream_name() -> String {
    let days = since_epoch(SystemTime::now()).as_secs() / 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}/{month:02}/{day:02}/[$LATEST]{:016x}{:016x}",
        random_u64(),
        random_u64()
    )
}

/// Milliseconds since the Unix epoch, as `Lambda-Runtime-Deadline-Ms` carries them.
pub(crate) fn epoch_millis(at: SystemTime) -> u128 {
    since_epoch(at).as_millis()
}

fn since_epoch(at: SystemTime) -> Duration {
    // A clock before 1970 is not worth failing an invocation over.
    at.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// 64 unpredictable-enough bits: hashing a counter with std's randomly keyed SipHash.
fn random_u64() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = KEYS.get_or_init(RandomState::new).build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(20_454), (2026, 1, 1));
    }

    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let first = request_id();
        let second = request_id();
        assert_ne!(first, second);
        let groups: Vec<usize> = first.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn log_stream_names_have_lambdas_shape() {
        let name = log_stream_name();
        let (date, rest) = name.split_at(10);
        assert_eq!(date.matches('/').count(), 2);
        assert!(rest.starts_with("/[$LATEST]"), "{name}");
        assert_eq!(rest.len(), "/[$LATEST]".len() + 32);
    }
}
