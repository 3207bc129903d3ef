//! `registerPush {id, platform, token}` → `pushRegistered {id}`: the token's SNS endpoint,
//! created or reused under its platform's application, recorded as a device of the caller
//! (and taken from any other user who had it).

use parley_core::Error;
use parley_protocol::client::RegisterPush;
use parley_protocol::ServerFrame;

use crate::services::Services;

pub async fn run(
    services: &Services,
    user_id: &str,
    registration: RegisterPush,
) -> Result<ServerFrame, Error> {
    let endpoint_arn = services
        .sns
        .endpoint_for(registration.platform, &registration.token)
        .await?;
    services
        .devices
        .register(
            user_id,
            registration.platform,
            &registration.token,
            &endpoint_arn,
        )
        .await?;
    tracing::info!(user = user_id, platform = registration.platform.as_str(), endpoint = %endpoint_arn, "push registered");
    Ok(ServerFrame::PushRegistered {
        id: registration.id,
    })
}
