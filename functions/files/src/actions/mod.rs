//! What each files action does, one file each; [`run`] takes the action's rate-limit token
//! first, so a refused request reserves nothing and presigns nothing.

use parley_core::Error;
use parley_protocol::{ClientFrame, ServerFrame};

use crate::services::Services;

mod download_url;
mod upload_url;

pub async fn run(
    services: &Services,
    user: &str,
    frame: ClientFrame,
) -> Result<ServerFrame, Error> {
    services.limits.take_before(user, frame.action()).await?;
    match frame {
        ClientFrame::UploadUrl(upload) => upload_url::run(services, user, upload).await,
        ClientFrame::DownloadUrl(download) => download_url::run(services, user, download).await,
        // Routed to the messages and push functions: never here.
        other => Err(Error::bad_request(format!(
            "unknown action \"{}\"",
            other.action()
        ))),
    }
}
