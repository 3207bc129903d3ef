//! One invocation: who is asking (from the authorizer context), what they ask (the frame),
//! and the reply that goes back through the route response.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::expiry::{self, ManagementApi};
use parley_core::protocol::ServerFrame;
use parley_core::rate_limit::{RateLimiter, UPLOAD_URL};
use parley_core::store::{now_ms, Store};
use parley_core::{websocket, Error};

use crate::actions;
use crate::command::Command;
use crate::presign::Presigner;

/// The AWS-backed services, built once per cold start.
pub struct Services {
    pub store: Store,
    pub presigner: Presigner,
    /// Per-user rate limits: `uploadUrl` spends a [`UPLOAD_URL`] token.
    pub limits: RateLimiter,
    /// `@connections`, to close a connection whose token expired.
    pub management: ManagementApi,
}

pub async fn handle(
    services: &Services,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let event = event.payload;
    let identity = websocket::identity(&event)?;
    if let Some(closed) =
        expiry::refuse_if_expired(&services.management, &event, &identity, now_ms()).await?
    {
        return Ok(closed);
    }
    let frame = match websocket::client_frame(&event) {
        Ok(frame) => frame,
        Err(refusal) => return Ok(reply(*refusal)),
    };
    let outcome = match Command::parse(&frame) {
        Ok(Command::UploadUrl(upload)) => {
            // Taken first, so a refused request reserves nothing and presigns nothing.
            match services.limits.take(&identity.user_id, &UPLOAD_URL).await {
                Ok(()) => actions::upload_url(services, &identity.user_id, upload).await,
                Err(refused) => Err(refused),
            }
        }
        Ok(Command::DownloadUrl(download)) => {
            actions::download_url(services, &identity.user_id, download).await
        }
        Err(error) => Err(error),
    };
    Ok(match outcome {
        Ok(frame) => reply(frame),
        Err(error) => websocket::refusal(&frame, &error),
    })
}

fn reply(frame: ServerFrame) -> ApiGatewayProxyResponse {
    websocket::reply(&frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::protocol::ClientFrame;

    #[test]
    fn the_sample_events_carry_valid_commands() {
        for (json, route) in [
            (
                include_str!("../../../events/files-upload-url.json"),
                "uploadUrl",
            ),
            (
                include_str!("../../../events/files-download-url.json"),
                "downloadUrl",
            ),
        ] {
            let event: ApiGatewayWebsocketProxyRequest = serde_json::from_str(json).unwrap();
            assert_eq!(event.request_context.route_key.as_deref(), Some(route));
            websocket::identity(&event).expect("the sample carries the authorizer context");
            let frame = ClientFrame::parse(event.body.as_deref().unwrap()).unwrap();
            let command = Command::parse(&frame).unwrap();
            let matches = matches!(
                (&command, route),
                (Command::UploadUrl(_), "uploadUrl") | (Command::DownloadUrl(_), "downloadUrl")
            );
            assert!(matches, "{route}: {command:?}");
        }
    }
}
