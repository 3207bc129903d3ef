//! One invocation, told apart by its shape: a DynamoDB Stream batch (`Records`) from the
//! event source mapping, or an API Gateway WebSocket event of the `registerPush` route.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::expiry;
use parley_core::identity::Identity;
use parley_core::{websocket, Error};
use parley_protocol::ServerFrame;
use serde_json::Value;

use crate::actions;
use crate::services::Services;
use crate::stream;

pub async fn handle(services: &Services, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = event.payload;
    if payload.get("Records").is_some() {
        let batch: Event = serde_json::from_value(payload)
            .map_err(|e| Error::internal(format!("not a DynamoDB Stream event: {e}")))?;
        let response = stream::handle(services, batch).await;
        return serde_json::to_value(response).map_err(Error::internal);
    }
    let request: ApiGatewayWebsocketProxyRequest = serde_json::from_value(payload)
        .map_err(|e| Error::internal(format!("neither a stream nor a WebSocket event: {e}")))?;
    let identity = websocket::identity(&request)?;
    if let Some(closed) =
        expiry::refuse_if_expired(&services.management, &request, &identity, now_ms()).await?
    {
        return serde_json::to_value(closed).map_err(Error::internal);
    }
    let frame = route(services, &request, &identity).await?;
    serde_json::to_value(websocket::reply(&frame)).map_err(Error::internal)
}

/// The reply to a `registerPush` frame.
async fn route(
    services: &Services,
    request: &ApiGatewayWebsocketProxyRequest,
    identity: &Identity,
) -> Result<ServerFrame, Error> {
    let frame = match websocket::client_frame(request) {
        Ok(frame) => frame,
        Err(refused) => return Ok(refused.into()),
    };
    let (action, id) = (frame.action(), frame.id().map(str::to_owned));
    let outcome = actions::run(services, &identity.user_id, frame).await;
    Ok(outcome.unwrap_or_else(|error| {
        tracing::info!(action, code = %error.code(), "refused");
        error.to_frame(id)
    }))
}
