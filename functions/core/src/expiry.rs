//! A connection that outlived its token, handled the same way by every function that serves
//! frames: the frame is refused with `unauthorized` (echoing its `id`), the refusal is posted
//! to the device, and the connection is closed, so the client reconnects with a fresh token.
//!
//! The refusal goes through `@connections` rather than the route response: a route response
//! is sent after the function returns, when the connection is already closed.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};

use crate::identity::Identity;
use crate::websocket;
use crate::Error;

/// The management API the functions post and close through.
pub type ManagementApi = aws_sdk_apigatewaymanagement::Client;

/// Refuses and closes `event`'s connection if `identity`'s token expired before `now_ms`;
/// returns the (empty) route response to end the invocation with, or `None` to go on.
pub async fn refuse_if_expired(
    api: &ManagementApi,
    event: &ApiGatewayWebsocketProxyRequest,
    identity: &Identity,
    now_ms: i64,
) -> Result<Option<ApiGatewayProxyResponse>, Error> {
    let Some(refusal) = identity.expiry_refusal(now_ms) else {
        return Ok(None);
    };
    let connection_id = websocket::connection_id(event)?;
    let id = match websocket::client_frame(event) {
        Ok(frame) => frame.id().map(str::to_owned),
        Err(refused) => refused.id,
    };
    let frame = refusal.to_frame(id);
    let data = serde_json::to_vec(&frame).map_err(Error::internal)?;
    if let Err(error) = api
        .post_to_connection()
        .connection_id(connection_id)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new(data))
        .send()
        .await
    {
        tracing::warn!(
            connection = %connection_id,
            error = %aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&error),
            "could not post the expiry refusal"
        );
    }
    if let Err(error) = api
        .delete_connection()
        .connection_id(connection_id)
        .send()
        .await
    {
        tracing::warn!(
            connection = %connection_id,
            error = %aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&error),
            "could not close a connection whose token expired"
        );
    }
    tracing::info!(connection = %connection_id, "token expired: refused and closed");
    Ok(Some(websocket::ok()))
}
