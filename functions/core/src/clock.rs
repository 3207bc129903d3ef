//! The one clock the functions read: wall time in epoch milliseconds, for message
//! timestamps, token expiry, rate-limit buckets and connection expiry alike.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
