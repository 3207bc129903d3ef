//! How many stream records each event source mapping read and how many its filters let
//! through to the function, since the stack started or the counters were last reset: what a
//! benchmark needs to say how many records a write made and how many reached the function.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// One mapping's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamCounts {
    /// Records read from the stream (every write to the table makes one).
    pub read: u64,
    /// Records the mapping's filters admitted (what the function is invoked for).
    pub admitted: u64,
}

static COUNTS: LazyLock<Mutex<BTreeMap<String, StreamCounts>>> = LazyLock::new(Default::default);

/// Adds `read` records read and `admitted` admitted to `mapping`'s counts.
pub fn record(mapping: &str, read: u64, admitted: u64) {
    let mut counts = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = counts.entry(mapping.to_owned()).or_default();
    entry.read += read;
    entry.admitted += admitted;
}

/// Every mapping's counts, by mapping name.
pub fn snapshot() -> BTreeMap<String, StreamCounts> {
    COUNTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

pub fn reset() {
    COUNTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}
