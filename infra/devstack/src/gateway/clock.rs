//! Time as API Gateway writes it: epoch milliseconds in events, `07/Jan/2019:09:20:57 +0000`
//! for `requestTime`, and ISO-8601 for the management API.

use std::time::{SystemTime, UNIX_EPOCH};
use time::macros::format_description;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, now.
pub fn now_epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The instant `epoch_ms` (an out-of-range one reads as the epoch: a local clock that far
/// off is not worth failing a request over).
fn utc(epoch_ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `requestTime` of API Gateway events, e.g. `07/Jan/2019:09:20:57 +0000`.
pub fn request_time(epoch_ms: i64) -> String {
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    utc(epoch_ms).format(format).unwrap_or_default()
}

/// ISO-8601 with milliseconds, e.g. `2019-01-07T09:20:57.123Z`, as the management API's
/// `connectedAt` / `lastActiveAt` (the SDK parses them as date-time with offset).
pub fn iso8601(epoch_ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    utc(epoch_ms).format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2019-01-07T09:20:57.092Z
        let ms = 1_546_852_857_092;
        assert_eq!(request_time(ms), "07/Jan/2019:09:20:57 +0000");
        assert_eq!(iso8601(ms), "2019-01-07T09:20:57.092Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        // A leap day.
        assert_eq!(iso8601(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
        assert_eq!(
            request_time(1_707_503_008_941),
            "09/Feb/2024:18:23:28 +0000"
        );
    }
}
