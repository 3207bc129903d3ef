//! What each push action does, one file each (the stream's work is `crate::stream`).

use parley_core::Error;
use parley_protocol::{ClientFrame, ServerFrame};

use crate::services::Services;

mod register_push;

pub async fn run(
    services: &Services,
    user: &str,
    frame: ClientFrame,
) -> Result<ServerFrame, Error> {
    match frame {
        ClientFrame::RegisterPush(registration) => {
            register_push::run(services, user, registration).await
        }
        // Routed to the messages and files functions: never here.
        other => Err(Error::bad_request(format!(
            "unknown action \"{}\"",
            other.action()
        ))),
    }
}
