//! One invocation: who is asking (from the authorizer context), what they ask (the frame),
//! and the reply that goes back through the route response.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::{expiry, websocket, Error};
use parley_protocol::ServerFrame;

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
    let caller = Caller {
        user_id: identity.user_id,
        connection_id: websocket::connection_id(&event)?.to_owned(),
    };

    let frame = match websocket::client_frame(&event) {
        Ok(frame) => frame,
        Err(refused) => return Ok(reply(refused.into())),
    };
    let (action, id) = (frame.action(), frame.id().map(str::to_owned));
    Ok(match actions::run(services, &caller, frame).await {
        Ok(Some(frame)) => reply(frame),
        Ok(None) => websocket::ok(),
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
        let samples = [
            include_str!("../../../events/messages-send.json"),
            include_str!("../../../events/messages-sync.json"),
            include_str!("../../../events/messages-ack.json"),
            include_str!("../../../events/messages-typing.json"),
            include_str!("../../../events/messages-lookup.json"),
            include_str!("../../../events/messages-prefs.json"),
            include_str!("../../../events/messages-create-group.json"),
            include_str!("../../../events/messages-add-members.json"),
            include_str!("../../../events/messages-remove-members.json"),
            include_str!("../../../events/messages-leave-group.json"),
            include_str!("../../../events/messages-chat.json"),
            include_str!("../../../events/messages-chats.json"),
        ];
        for json in samples {
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
