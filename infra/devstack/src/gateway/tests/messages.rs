//! Frames after the handshake: route selection, two-way replies, integration errors,
//! concurrency, binary frames, and the `Forbidden` answer when no route matches.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::support::*;
use crate::gateway::GatewayLimits;

#[tokio::test]
async fn frames_go_to_the_selected_route_or_default() {
    let gw = TestGateway::start().await;
    let (mut client, _) = gw.connect("alice").await;

    send_text(&mut client, r#"{"action":"echo","n":1}"#).await;
    assert_eq!(next_text(&mut client).await, r#"{"action":"echo","n":1}"#);

    send_text(&mut client, r#"{"action":"nope"}"#).await;
    assert_eq!(next_text(&mut client).await, r#"default:{"action":"nope"}"#);

    send_text(&mut client, "not json").await;
    assert_eq!(next_text(&mut client).await, "default:not json");

    let defaults = gw.functions.wait_for("DefaultFunction", 2).await;
    assert_eq!(defaults[0]["requestContext"]["routeKey"], "$default");
}

#[tokio::test]
async fn two_way_routes_reply_and_one_way_routes_do_not() {
    let gw = TestGateway::start().await;
    let (mut client, _) = gw.connect("alice").await;

    send_text(&mut client, r#"{"action":"send"}"#).await;
    gw.functions.wait_for("SendFunction", 1).await;
    send_text(&mut client, r#"{"action":"echo"}"#).await;
    assert_eq!(next_text(&mut client).await, r#"{"action":"echo"}"#);
    expect_silence(&mut client, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn integration_error_sends_internal_server_error_and_keeps_the_connection() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;

    send_text(&mut client, r#"{"action":"crash"}"#).await;
    let frame: Value = serde_json::from_str(&next_text(&mut client).await).expect("JSON frame");
    assert_eq!(frame["message"], "Internal server error");
    assert_eq!(frame["connectionId"], id.as_str());
    assert!(frame["requestId"].is_string());

    send_text(&mut client, r#"{"action":"echo"}"#).await;
    assert_eq!(next_text(&mut client).await, r#"{"action":"echo"}"#);
}

#[tokio::test]
async fn frames_of_one_connection_are_handled_concurrently() {
    let gw = TestGateway::start().await;
    let (mut client, _) = gw.connect("alice").await;

    send_text(&mut client, r#"{"action":"slow"}"#).await;
    send_text(&mut client, r#"{"action":"echo"}"#).await;
    assert_eq!(next_text(&mut client).await, r#"{"action":"echo"}"#);
    assert_eq!(next_text(&mut client).await, r#"{"action":"slow"}"#);
}

#[tokio::test]
async fn binary_frames_go_to_default_base64_encoded() {
    let gw = TestGateway::start().await;
    let (mut client, _) = gw.connect("alice").await;

    client
        .send(Message::Binary(vec![0u8, 159, 146, 150].into()))
        .await
        .expect("sent");
    let event = &gw.functions.wait_for("DefaultFunction", 1).await[0];
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AJ+Slg==");
}

#[tokio::test]
async fn without_default_route_unmatched_frames_get_forbidden() {
    let mut spec = api_spec();
    spec.routes.retain(|r| r.key != "$default");
    let gw = TestGateway::start_with(spec, GatewayLimits::default()).await;
    let (mut client, id) = gw.connect("alice").await;

    send_text(&mut client, r#"{"action":"nope"}"#).await;
    let frame: Value = serde_json::from_str(&next_text(&mut client).await).expect("JSON frame");
    assert_eq!(frame["message"], "Forbidden");
    assert_eq!(frame["connectionId"], id.as_str());
    assert!(frame["requestId"].is_string());
}
