//! Time as API Gateway writes it: epoch milliseconds in events, `07/Jan/2019:09:20:57 +0000`
//! for `requestTime`, and ISO-8601 for the management API. Hand-written (the civil-date
//! conversion is Howard Hinnant's `civil_from_days`) to avoid a date crate for three formats.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC instant broken into calendar fields.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
}

fn civil(epoch_ms: i64) -> Civil {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    // civil_from_days: days since 1970-01-01 to (year, month, day), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let secs = ms_of_day / 1000;
    Civil {
        year,
        month: month as u32,
        day: day as u32,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
        millis: (ms_of_day % 1000) as u32,
    }
}

/// `requestTime` of API Gateway events, e.g. `07/Jan/2019:09:20:57 +0000`.
pub fn request_time(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    let month = MONTHS[(c.month as usize).saturating_sub(1) % 12];
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day, month, c.year, c.hour, c.minute, c.second
    )
}

/// ISO-8601 with milliseconds, e.g. `2019-01-07T09:20:57.123Z`, as the management API's
/// `connectedAt` / `lastActiveAt` (the SDK parses them as date-time with offset).
pub fn iso8601(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
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
