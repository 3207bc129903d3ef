//! Notifying one user of one stored message: one notification per registered device, unless
//! they sent it themselves. Whether they were online is not asked again here: the messages
//! function marked the copy for push only because it found no live device of theirs, or
//! because every one it posted to was gone (`functions/messages/src/steps`).
//!
//! Redelivered stream records must not notify a device twice, and a crash must not lose a
//! notification. Each device's notification is therefore claimed with a conditional write
//! (a marker keyed by message, owner and endpoint) before publishing, and marked sent after.
//! A redelivery skips what is marked sent; it takes over a claim whose invocation is gone
//! (older than the function's timeout) and publishes. At least once, deduplicated: the only
//! duplicate possible is a crash between SNS accepting the publish and the mark, and even
//! then APNs collapses the two by their collapse id (the message id).

use futures_util::stream::{self, StreamExt};
use parley_core::clock::now_ms;
use parley_core::Error;

use crate::devices::{Claim, Device, Devices};
use crate::payload::{publication, Notice};
use crate::sns::{Published, Sns};

/// Publishes in flight at once for one user.
const MAX_CONCURRENT_PUBLISHES: usize = 8;

/// What notifying one user came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The owner is the sender.
    NotNeeded,
    /// Every device has its notification (now or before); `published` went out now.
    Done { published: usize },
}

/// Notifies `owner` of `notice`. An error means some device may still lack its
/// notification: the record is to be retried, and what went out is not repeated.
pub async fn notify(
    devices: &Devices,
    sns: &Sns,
    owner: &str,
    notice: &Notice,
) -> Result<Outcome, Error> {
    if owner == notice.from {
        return Ok(Outcome::NotNeeded);
    }
    let now_secs = now_ms() / 1000;
    let targets = devices.of_user(owner).await?;
    let results: Vec<Result<bool, Error>> = stream::iter(&targets)
        .map(|device| notify_device(devices, sns, device, notice, now_secs))
        .buffer_unordered(MAX_CONCURRENT_PUBLISHES)
        .collect()
        .await;
    let mut published = 0;
    let mut failure = None;
    for result in results {
        match result {
            Ok(true) => published += 1,
            Ok(false) => {}
            Err(error) => failure = Some(error),
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(Outcome::Done { published }),
    }
}

/// Returns whether a notification went out now.
async fn notify_device(
    devices: &Devices,
    sns: &Sns,
    device: &Device,
    notice: &Notice,
    now_secs: i64,
) -> Result<bool, Error> {
    let (message_id, owner, endpoint) = (
        notice.message_id.as_str(),
        device.user_id.as_str(),
        device.endpoint_arn.as_str(),
    );
    match devices.claim(message_id, owner, endpoint, now_secs).await? {
        Claim::AlreadySent => return Ok(false),
        Claim::Busy => {
            return Err(Error::internal(format!(
                "the notification of {message_id} to {endpoint} is claimed by a running invocation"
            )))
        }
        Claim::Granted => {}
    }
    match sns
        .publish(endpoint, &publication(notice, device.platform))
        .await
    {
        Published::Sent => {
            // Published: a failure to mark only risks a duplicate if this record is
            // redelivered after the lease, so it is logged rather than retried.
            if let Err(error) = devices.mark_sent(message_id, owner, endpoint).await {
                tracing::warn!(%error, endpoint, "published but could not mark it sent");
            }
            Ok(true)
        }
        Published::Gone => {
            devices.forget(device).await?;
            sns.delete_endpoint(endpoint).await?;
            devices.release(message_id, owner, endpoint).await?;
            Ok(false)
        }
        Published::Failed(error) => {
            if let Err(release) = devices.release(message_id, owner, endpoint).await {
                tracing::warn!(error = %release, endpoint, "could not release a claim");
            }
            Err(error)
        }
    }
}
