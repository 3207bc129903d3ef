//! One invocation: who is asking (from the authorizer context), what they ask (the frame),
//! and the reply that goes back through the route response.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::protocol::ServerFrame;
use parley_core::store::now_ms;
use parley_core::{expiry, websocket, Error};

use crate::actions::{self, Caller, Services};
use crate::command::Command;

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
        Err(refusal) => return Ok(reply(*refusal)),
    };
    let outcome = match Command::parse(&frame) {
        Ok(command) => actions::run(services, &caller, command).await,
        Err(error) => Err(error),
    };
    Ok(match outcome {
        Ok(Some(frame)) => reply(frame),
        Ok(None) => websocket::ok(),
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

    /// The command each sample event in `events/` carries.
    fn command_of(event_json: &str) -> (ApiGatewayWebsocketProxyRequest, Command) {
        let event: ApiGatewayWebsocketProxyRequest = serde_json::from_str(event_json).unwrap();
        websocket::identity(&event).expect("the sample carries the authorizer context");
        let frame = ClientFrame::parse(event.body.as_deref().unwrap()).unwrap();
        let command = Command::parse(&frame).unwrap();
        (event, command)
    }

    #[test]
    fn the_sample_events_carry_valid_commands() {
        let samples = [
            (include_str!("../../../events/messages-send.json"), "send"),
            (include_str!("../../../events/messages-sync.json"), "sync"),
            (include_str!("../../../events/messages-ack.json"), "ack"),
            (
                include_str!("../../../events/messages-typing.json"),
                "typing",
            ),
            (
                include_str!("../../../events/messages-lookup.json"),
                "lookup",
            ),
            (
                include_str!("../../../events/messages-create-group.json"),
                "createGroup",
            ),
            (
                include_str!("../../../events/messages-add-members.json"),
                "addMembers",
            ),
            (
                include_str!("../../../events/messages-remove-members.json"),
                "removeMembers",
            ),
            (
                include_str!("../../../events/messages-leave-group.json"),
                "leaveGroup",
            ),
        ];
        for (json, route) in samples {
            let (event, command) = command_of(json);
            assert_eq!(event.request_context.route_key.as_deref(), Some(route));
            let matches = matches!(
                (&command, route),
                (Command::Send(_), "send")
                    | (Command::Sync(_), "sync")
                    | (Command::Ack(_), "ack")
                    | (Command::Typing(_), "typing")
                    | (Command::Lookup(_), "lookup")
            ) || matches!(&command, Command::Group(_))
                && messages::group_command::ACTIONS.contains(&route);
            assert!(matches, "{route}: {command:?}");
        }
    }
}
