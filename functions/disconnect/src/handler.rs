//! Removes a closed connection from its user's connections item, records when the user was
//! last seen, and tells their presence watchers when it was their last connection.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::delivery::Delivery;
use parley_core::rules::presence::goes_offline;
use parley_core::{websocket, Error};
use parley_protocol::ServerFrame;

pub async fn handle(
    delivery: &Delivery,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let (user_id, connection_id) = key_of(&event.payload)?;
    let now = now_ms();
    let left = delivery
        .connections()
        .disconnect(&user_id, &connection_id, now)
        .await?;
    // `None`: the connection was forgotten already (a second close, or a 410 cleanup).
    if let Some(left) = left.filter(|left| goes_offline(left.live.len())) {
        let watchers = left.watching(now);
        if !watchers.is_empty() {
            let frame = ServerFrame::Presence {
                id: None,
                user: user_id.clone(),
                online: Some(false),
                last_seen: Some(now),
            };
            let report = delivery.post_all(&watchers, &frame).await;
            tracing::info!(user = %user_id, watchers = watchers.len(), ?report, "presence posted");
        }
    }
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
