//! How connections end: size limits (1009), client close, abrupt drop, idle and lifetime
//! timeouts, gateway shutdown; each with exactly one `$disconnect`.

use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::support::*;
use crate::gateway::GatewayLimits;

fn text_fragment(len: usize, first: bool, last: bool) -> Message {
    let opcode = if first {
        OpCode::Data(Data::Text)
    } else {
        OpCode::Data(Data::Continue)
    };
    Message::Frame(Frame::message(vec![b'a'; len], opcode, last))
}

#[tokio::test]
async fn message_over_128_kib_closes_with_1009() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    send_text(&mut client, &"a".repeat(129 * 1024)).await;
    assert_eq!(expect_close(&mut client).await, 1009);
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["disconnectStatusCode"], 1009);
}

#[tokio::test]
async fn fragmented_message_over_128_kib_closes_with_1009() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    let fragment = 30 * 1024;
    client
        .feed(text_fragment(fragment, true, false))
        .await
        .expect("sent");
    for _ in 0..3 {
        client
            .feed(text_fragment(fragment, false, false))
            .await
            .expect("sent");
    }
    client
        .send(text_fragment(fragment, false, true))
        .await
        .expect("sent");
    assert_eq!(expect_close(&mut client).await, 1009);
    gw.functions.wait_for_disconnect(&id).await;
}

#[tokio::test]
async fn frame_over_32_kib_closes_with_1009() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    send_text(&mut client, &"a".repeat(33 * 1024)).await;
    assert_eq!(expect_close(&mut client).await, 1009);
    gw.functions.wait_for_disconnect(&id).await;
}

#[tokio::test]
async fn fragmented_message_under_128_kib_is_delivered() {
    let gw = TestGateway::start().await;
    let (mut client, _) = gw.connect("alice").await;
    let fragment = 30 * 1024;
    client
        .feed(text_fragment(fragment, true, false))
        .await
        .expect("sent");
    client
        .feed(text_fragment(fragment, false, false))
        .await
        .expect("sent");
    client
        .send(text_fragment(fragment, false, true))
        .await
        .expect("sent");
    let reply = next_text(&mut client).await;
    assert_eq!(reply.len(), "default:".len() + 3 * fragment);
}

#[tokio::test]
async fn client_close_runs_disconnect_with_its_code() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    client
        .close(Some(CloseFrame {
            code: 4000.into(),
            reason: "bye".into(),
        }))
        .await
        .expect("close sent");
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["disconnectStatusCode"], 4000);
    assert_eq!(disconnect["requestContext"]["disconnectReason"], "bye");
    assert_eq!(disconnect["requestContext"]["eventType"], "DISCONNECT");
}

#[tokio::test]
async fn abrupt_drop_runs_disconnect() {
    let gw = TestGateway::start().await;
    let (client, id) = gw.connect("alice").await;
    drop(client);
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["disconnectStatusCode"], 1006);

    let response = reqwest::Client::new()
        .post(gw.management(&id))
        .body("late")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 410);
}

#[tokio::test]
async fn idle_connection_is_closed_with_1001() {
    let limits = GatewayLimits {
        idle_timeout: Duration::from_millis(300),
        ..GatewayLimits::default()
    };
    let gw = TestGateway::start_with(api_spec(), limits).await;
    let (mut client, id) = gw.connect("alice").await;
    assert_eq!(expect_close(&mut client).await, 1001);
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["disconnectStatusCode"], 1001);
}

#[tokio::test]
async fn busy_connection_still_ends_at_its_lifetime() {
    let limits = GatewayLimits {
        idle_timeout: Duration::from_millis(300),
        max_lifetime: Duration::from_millis(800),
    };
    let gw = TestGateway::start_with(api_spec(), limits).await;
    let (mut client, id) = gw.connect("alice").await;
    // Activity every 100 ms keeps the idle timer from firing.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send_text(&mut client, r#"{"action":"send"}"#).await;
    }
    assert!(gw.functions.disconnects_of(&id).is_empty(), "closed early");
    assert_eq!(expect_close(&mut client).await, 1001);
    gw.functions.wait_for_disconnect(&id).await;
}

#[tokio::test]
async fn shutdown_closes_connections_and_runs_disconnect() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    let functions = std::sync::Arc::clone(&gw.functions);
    let stopping = tokio::spawn(gw.gateway.shutdown());
    assert_eq!(expect_close(&mut client).await, 1001);
    stopping.await.expect("joined").expect("clean shutdown");
    // Shutdown returns after every $disconnect ran.
    assert_eq!(functions.disconnects_of(&id).len(), 1);
}
