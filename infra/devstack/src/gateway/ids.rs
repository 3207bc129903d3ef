//! Identifiers shaped like API Gateway's: connection and request ids are 16 base64
//! characters ending in `=` (10 random bytes), e.g. `L0SM9cOFvHcCIhw=`; API ids are 10
//! lowercase alphanumerics. Functions store and log these, so they should look real.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;

/// A process-wide counter mixed into every id, so ids minted by one process stay distinct
/// even if the random part repeated.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Ten bytes: eight random ones and the low two bytes of the counter.
fn ten_bytes() -> [u8; 10] {
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&fastrand::u64(..).to_be_bytes());
    bytes[8..].copy_from_slice(&(count as u16).to_be_bytes());
    bytes
}

/// A new connection id. The URL-safe alphabet keeps ids usable unescaped in the
/// `@connections/{id}` path (API Gateway's own ids are plain base64, `/` included).
pub fn connection_id() -> String {
    base64::engine::general_purpose::URL_SAFE.encode(ten_bytes())
}

/// A new request id (`requestId`, `extendedRequestId`, `messageId`), same shape.
pub fn request_id() -> String {
    connection_id()
}

/// A new API id, e.g. `k3x9q0abcd`.
pub fn api_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut value = fastrand::u64(..);
    (0..10)
        .map(|_| {
            let c = ALPHABET[(value % ALPHABET.len() as u64) as usize];
            value /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect()
}

/// An X-Ray trace header value, `Root=1-{8 hex epoch seconds}-{24 hex}`.
pub fn trace_id(epoch_ms: i64) -> String {
    let high = fastrand::u64(..);
    let low = fastrand::u32(..);
    format!("Root=1-{:08x}-{high:016x}{low:08x}", epoch_ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn connection_ids_look_like_api_gateways_and_are_unique() {
        let ids: HashSet<String> = (0..10_000).map(|_| connection_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.ends_with('='), "{id}");
            assert!(!id.contains('/'), "{id}");
        }
    }

    #[test]
    fn api_ids_are_ten_lowercase_alphanumerics() {
        let id = api_id();
        assert_eq!(id.len(), 10);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
