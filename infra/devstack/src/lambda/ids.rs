//! Identifiers and timestamps in the shapes Lambda uses: request ids, X-Ray trace ids, log
//! stream names and epoch-millisecond deadlines. Only uniqueness matters locally.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::macros::format_description;
use time::OffsetDateTime;

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
    let date = OffsetDateTime::from(SystemTime::now())
        .format(format_description!("[year]/[month]/[day]"))
        .unwrap_or_default();
    format!("{date}/[$LATEST]{:016x}{:016x}", random_u64(), random_u64())
}

/// Milliseconds since the Unix epoch, as `Lambda-Runtime-Deadline-Ms` carries them.
pub(crate) fn epoch_millis(at: SystemTime) -> u128 {
    since_epoch(at).as_millis()
}

fn since_epoch(at: SystemTime) -> Duration {
    // A clock before 1970 is not worth failing an invocation over.
    at.duration_since(UNIX_EPOCH).unwrap_or_default()
}

fn random_u64() -> u64 {
    fastrand::u64(..)
}

#[cfg(test)]
mod tests {
    use super::*;

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
