//! Step 4, post: the new message to every device found for its members but the sender's
//! own (which has its answer), 32 posts in flight. A failed post loses nothing: the message
//! is stored, and the device gets it by sync.

use parley_core::clock::now_ms;
use parley_core::cursor::Cursor;
use parley_core::delivery::{Delivery, Report};
use parley_core::message::Message;

use super::devices::Reach;
use crate::services::Caller;

pub async fn post(
    delivery: &Delivery,
    caller: &Caller,
    message: &Message,
    reach: &Reach,
) -> Report {
    let others: Vec<_> = reach
        .devices
        .iter()
        .filter(|d| d.connection_id != caller.connection_id)
        .cloned()
        .collect();
    let cursor = Cursor::settled(&message.position(), now_ms());
    delivery.post_all(&others, &message.frame(&cursor)).await
}
