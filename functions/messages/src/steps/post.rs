//! Step 4, post: the new message to every device found for its members but the sender's
//! own (which has its answer), 32 posts in flight; the devices of members who block the
//! sender get a `skip` for its seq instead (nothing of the sender or the content). A failed
//! post loses nothing: the message is stored, and the device gets it by sync.

use futures_util::future::join;
use std::collections::BTreeSet;

use parley_core::clock::now_ms;
use parley_core::cursor::Cursor;
use parley_core::delivery::{Delivery, Report};
use parley_core::message::Message;

use super::devices::Reach;
use crate::services::Caller;

/// Posts `message`; `hidden` (who block its sender) are posted a `skip`. The report is the
/// message's: who block the sender are never marked for push.
pub async fn post(
    delivery: &Delivery,
    caller: &Caller,
    message: &Message,
    reach: &Reach,
    hidden: &BTreeSet<String>,
) -> Report {
    let (skipped, others): (Vec<_>, Vec<_>) = reach
        .devices
        .iter()
        .filter(|d| d.connection_id != caller.connection_id)
        .cloned()
        .partition(|d| hidden.contains(&d.user_id));
    let cursor = Cursor::settled(&message.position(), now_ms());
    let (report, _) = join(
        delivery.post_all(&others, &message.frame(&cursor)),
        delivery.post_all(&skipped, &message.skip_frame(&cursor)),
    )
    .await;
    report
}
