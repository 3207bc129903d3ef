//! One invocation: who is asking (from the authorizer context), what they ask (the frame),
//! and the reply that goes back through the route response.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::expiry;
use parley_core::{websocket, Error};
use parley_protocol::ServerFrame;

use crate::actions;
use crate::services::Services;

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
        Err(refused) => return Ok(reply(refused.into())),
    };
    let (action, id) = (frame.action(), frame.id().map(str::to_owned));
    let outcome = actions::run(services, &identity.user_id, frame).await;
    Ok(match outcome {
        Ok(frame) => reply(frame),
        Err(error) => websocket::refusal(action, id, &error),
    })
}

fn reply(frame: ServerFrame) -> ApiGatewayProxyResponse {
    websocket::reply(&frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::ClientFrame;

    #[test]
    fn the_sample_events_carry_valid_frames_for_their_routes() {
        for json in [
            include_str!("../../../events/files-upload-url.json"),
            include_str!("../../../events/files-download-url.json"),
        ] {
            let event: ApiGatewayWebsocketProxyRequest = serde_json::from_str(json).unwrap();
            websocket::identity(&event).expect("the sample carries the authorizer context");
            let frame = ClientFrame::parse(event.body.as_deref().unwrap()).unwrap();
            assert_eq!(
                event.request_context.route_key.as_deref(),
                Some(frame.action())
            );
        }
    }
}
