//! One invocation: who is asking and from which device (the authorizer context), what they
//! ask (the frame), and the reply that goes back through the route response.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::{expiry, websocket, Error};

use crate::actions;
use crate::services::{Caller, Services};

pub async fn handle(
    services: &Services,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let event = event.payload;
    let identity = websocket::identity(&event)?;
    if let Some(closed) =
        expiry::refuse_if_expired(services.delivery.api(), &event, &identity, now_ms()).await?
    {
        return Ok(closed);
    }
    let caller = Caller::new(identity, websocket::connection_id(&event)?);
    let frame = match websocket::client_frame(&event) {
        Ok(frame) => frame,
        Err(refused) => return Ok(websocket::reply(&refused.into())),
    };
    let (action, id) = (frame.action(), frame.id().map(str::to_owned));
    Ok(match actions::run(services, &caller, frame).await {
        Ok(frame) => websocket::reply(&frame),
        Err(error) => websocket::refusal(action, id, &error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::ClientFrame;

    #[test]
    fn the_sample_events_carry_valid_frames_for_their_routes() {
        for json in [
            include_str!("../../../events/keys-keys-upload.json"),
            include_str!("../../../events/keys-keys-query.json"),
            include_str!("../../../events/keys-keys-claim.json"),
            include_str!("../../../events/keys-send-to-device.json"),
            include_str!("../../../events/keys-to-device-sync.json"),
            include_str!("../../../events/keys-to-device-ack.json"),
            include_str!("../../../events/keys-device-changes.json"),
            include_str!("../../../events/keys-remove-device.json"),
        ] {
            let event: ApiGatewayWebsocketProxyRequest = serde_json::from_str(json).unwrap();
            let identity = websocket::identity(&event).expect("the authorizer context");
            assert!(identity.device_id.is_some(), "the sample names its device");
            let frame = ClientFrame::parse(event.body.as_deref().unwrap()).unwrap();
            assert_eq!(
                event.request_context.route_key.as_deref(),
                Some(frame.action())
            );
        }
    }
}
