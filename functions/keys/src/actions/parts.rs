//! Replies too big for one frame: entries are split into parts that each stay under
//! [`MAX_REPLY_PART_BYTES`] (API Gateway posts at most 128 KB), and parts are posted to the
//! caller's connection before the route response.

use parley_core::delivery::Posted;
use parley_core::Error;
use parley_protocol::limits::MAX_REPLY_PART_BYTES;
use parley_protocol::ServerFrame;
use serde::Serialize;

use crate::services::{Caller, Services};

/// Room left in a part for what surrounds the entries (the frame's other fields).
const FRAME_OVERHEAD: usize = 512;

/// `entries` in order, in consecutive parts of at most [`MAX_REPLY_PART_BYTES`] of JSON each
/// (an entry never splits); always at least one part, possibly empty.
pub fn split<T: Serialize>(entries: Vec<T>) -> Vec<Vec<T>> {
    let mut parts = vec![Vec::new()];
    let mut size = FRAME_OVERHEAD;
    for entry in entries {
        let entry_size = serde_json::to_string(&entry).map_or(0, |json| json.len()) + 1;
        let current = parts.last_mut().expect("at least one part");
        if !current.is_empty() && size + entry_size > MAX_REPLY_PART_BYTES {
            parts.push(Vec::new());
            size = FRAME_OVERHEAD;
        }
        size += entry_size;
        parts.last_mut().expect("at least one part").push(entry);
    }
    parts
}

/// Posts each of `frames` to the caller's connection, in order.
pub async fn post(
    services: &Services,
    caller: &Caller,
    frames: &[ServerFrame],
) -> Result<(), Error> {
    let connection = caller.connection();
    for frame in frames {
        if services.delivery.post(&connection, frame).await != Posted::Delivered {
            return Err(Error::internal("could not post a part of a reply"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_under_the_limit_and_keep_the_order() {
        assert_eq!(split(Vec::<String>::new()), vec![Vec::<String>::new()]);
        let entries: Vec<String> = (0..50).map(|i| format!("{i:0>10000}")).collect();
        let parts = split(entries.clone());
        assert!(parts.len() > 1);
        for part in &parts {
            assert!(
                serde_json::to_string(part).unwrap().len() + FRAME_OVERHEAD <= MAX_REPLY_PART_BYTES
            );
        }
        assert_eq!(parts.concat(), entries);
        let huge = vec!["x".repeat(MAX_REPLY_PART_BYTES)];
        assert_eq!(split(huge.clone()), vec![huge]);
    }
}
