//! Turns a `$connect` event into an entry of the user's connections item, up to
//! [`MAX_DEVICES`] per user, and tells the user's presence watchers when it brings them
//! online.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::clock::now_ms;
use parley_core::connections::Connection;
use parley_core::delivery::Delivery;
use parley_core::rules::presence::comes_online;
use parley_core::{websocket, Error};
use parley_protocol::ServerFrame;

pub async fn handle(
    delivery: &Delivery,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let connections = delivery.connections();
    let connection = connection_of(&event.payload)?;
    let now = now_ms();
    let devices = connections.devices(&connection.user_id, now / 1000).await?;
    if devices.live.len() >= MAX_DEVICES {
        tracing::info!(user = %connection.user_id, devices = devices.live.len(), "refused: too many devices");
        return Ok(too_many_devices());
    }
    // Entries past their expiry (their `$disconnect` never came) and watchers whose lease
    // ended go in the same write.
    connections
        .add(&connection, &devices.expired, &devices.stale_watchers(now))
        .await?;
    tracing::info!(user = %connection.user_id, connection = %connection.connection_id, "connected");
    if comes_online(devices.live.len()) {
        tell_watchers(delivery, &connection.user_id, &devices.watching(now)).await;
    }
    Ok(websocket::ok())
}

/// Posts `presence {user, online: true}` to the viewers watching `user` (only those: no
/// broadcast to contacts). A failed post does not refuse the handshake.
async fn tell_watchers(delivery: &Delivery, user: &str, watchers: &[Connection]) {
    if watchers.is_empty() {
        return;
    }
    let frame = ServerFrame::Presence {
        id: None,
        user: user.to_owned(),
        online: Some(true),
        last_seen: None,
    };
    let report = delivery.post_all(watchers, &frame).await;
    tracing::info!(user, watchers = watchers.len(), ?report, "presence posted");
}

/// The most connections (devices) one user may hold at once. The cap refuses the new
/// handshake (429) rather than closing the oldest device: a user's existing devices never
/// lose their connection to a newcomer, and `$connect` needs no rights over other
/// connections. Records of connections that ended without `$disconnect` stop counting when
/// the first post to them fails (410) or their expiry passes. Two handshakes at the same
/// instant may both pass the count: a soft cap, which is all abuse control needs.
pub const MAX_DEVICES: usize = 10;

fn too_many_devices() -> ApiGatewayProxyResponse {
    let mut response = websocket::ok();
    response.status_code = 429;
    response.body = Some(aws_lambda_events::encodings::Body::Text(format!(
        "at most {MAX_DEVICES} devices may be connected at once"
    )));
    response
}

/// The connection a `$connect` event describes.
pub fn connection_of(event: &ApiGatewayWebsocketProxyRequest) -> Result<Connection, Error> {
    let identity = websocket::identity(event)?;
    let connection_id = websocket::connection_id(event)?;
    Ok(Connection::new(
        &identity,
        connection_id,
        event.request_context.connected_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_describes_a_connection() {
        let event: ApiGatewayWebsocketProxyRequest =
            serde_json::from_str(include_str!("../../../events/connect.json")).unwrap();
        let connection = connection_of(&event).unwrap();
        assert_eq!(connection.user_id, "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15");
        assert_eq!(connection.connection_id, "L0SM9cOFvHcCIhw=");
        assert_eq!(connection.token_expires_at, 1764072000);
        assert_eq!(connection.connected_at_ms, 1764068400123);
    }
}
