//! Removes a closed connection from its user's connections item.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::connections::Connections;
use parley_core::{websocket, Error};

pub async fn handle(
    connections: &Connections,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let (user_id, connection_id) = key_of(&event.payload)?;
    connections.remove(&user_id, &connection_id).await?;
    tracing::info!(
        user = %user_id,
        connection = %connection_id,
        status = ?event.payload.request_context.disconnect_status_code,
        "disconnected"
    );
    Ok(websocket::ok())
}

/// Whose connection closed (the user from the authorizer context) and which.
pub fn key_of(event: &ApiGatewayWebsocketProxyRequest) -> Result<(String, String), Error> {
    let identity = websocket::identity(event)?;
    Ok((
        identity.user_id,
        websocket::connection_id(event)?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_names_the_record() {
        let event: ApiGatewayWebsocketProxyRequest =
            serde_json::from_str(include_str!("../../../events/disconnect.json")).unwrap();
        assert_eq!(
            key_of(&event).unwrap(),
            (
                "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15".to_string(),
                "L0SM9cOFvHcCIhw=".to_string()
            )
        );
        assert_eq!(event.request_context.disconnect_status_code, Some(1001));
    }
}
