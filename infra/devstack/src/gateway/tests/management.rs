//! The `@connections` management API, over plain HTTP and through the real AWS SDK.

use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::support::*;

fn sdk(gw: &TestGateway) -> aws_sdk_apigatewaymanagement::Client {
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(gw.gateway.management_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_apigatewaymanagement::Client::from_conf(config)
}

#[tokio::test]
async fn post_reaches_the_client_as_text_or_binary() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;
    let http = reqwest::Client::new();

    let response = http
        .post(gw.management(&id))
        .body(r#"{"type":"message"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(next_text(&mut client).await, r#"{"type":"message"}"#);

    // Percent-encoded `@` and id work too.
    let encoded = format!(
        "{}/%40connections/{}",
        gw.gateway.management_endpoint(),
        id.replace('=', "%3D")
    );
    let response = http
        .post(encoded)
        .body(vec![0xffu8, 0x00])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        next_message(&mut client).await,
        Message::Binary(vec![0xffu8, 0x00].into())
    );

    sdk(&gw)
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("from the sdk"))
        .send()
        .await
        .expect("sdk post");
    assert_eq!(next_text(&mut client).await, "from the sdk");
}

#[tokio::test]
async fn get_describes_the_connection() {
    let gw = TestGateway::start().await;
    let (_client, id) = gw.connect("alice").await;

    let info: Value = reqwest::get(gw.management(&id))
        .await
        .expect("get")
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["connectedAt"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(info["lastActiveAt"].is_string());

    let output = sdk(&gw)
        .get_connection()
        .connection_id(&id)
        .send()
        .await
        .expect("sdk get");
    assert!(output.connected_at().is_some());
    assert!(output.last_active_at().is_some());
    assert_eq!(
        output.identity().and_then(|i| i.source_ip()),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn delete_closes_normally_and_runs_disconnect() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;

    let response = reqwest::Client::new()
        .delete(gw.management(&id))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(expect_close(&mut client).await, 1000);
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["disconnectStatusCode"], 1000);

    let response = reqwest::Client::new()
        .post(gw.management(&id))
        .body("late")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 410);
}

#[tokio::test]
async fn unknown_connection_is_gone() {
    let gw = TestGateway::start().await;
    let response = reqwest::Client::new()
        .post(gw.management("AAAAAAAAAAAAAAA="))
        .body("hello")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 410);
    assert_eq!(
        response
            .headers()
            .get("x-amzn-ErrorType")
            .and_then(|v| v.to_str().ok()),
        Some("GoneException")
    );
    assert_eq!(response.text().await.expect("body"), r#"{"message":null}"#);

    let error = sdk(&gw)
        .post_to_connection()
        .connection_id("AAAAAAAAAAAAAAA=")
        .data(Blob::new("hello"))
        .send()
        .await
        .expect_err("gone");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_gone_exception()),
        "{error:?}"
    );
    let error = sdk(&gw)
        .delete_connection()
        .connection_id("AAAAAAAAAAAAAAA=")
        .send()
        .await
        .expect_err("gone");
    assert!(error
        .as_service_error()
        .is_some_and(|e| e.is_gone_exception()));
}

#[tokio::test]
async fn post_over_128_kib_is_payload_too_large() {
    let gw = TestGateway::start().await;
    let (_client, id) = gw.connect("alice").await;
    let response = reqwest::Client::new()
        .post(gw.management(&id))
        .body(vec![b'a'; 128 * 1024 + 1])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok()),
        Some("PayloadTooLargeException")
    );
}

#[tokio::test]
async fn with_a_post_recorder_every_post_body_is_recorded_delivered_or_not() {
    let dir = std::env::temp_dir().join(format!("gw-posts-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("posts");
    let recorder = std::sync::Arc::new(crate::gateway::PostRecorder::open(&path).unwrap());
    let config =
        crate::gateway::GatewayConfig::new(api_spec(), "eu-west-1").with_post_recorder(recorder);
    let gw = TestGateway::start_configured(config).await;
    let (mut client, id) = gw.connect("alice").await;
    let http = reqwest::Client::new();
    let post = |to: String, body: Vec<u8>| http.post(to).body(body).send();

    let response = post(gw.management(&id), br#"{"type":"message"}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(next_text(&mut client).await, r#"{"type":"message"}"#);
    let response = post(gw.management(&id), vec![0xff, b'\n', 0x00])
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = post(gw.management("AAAAAAAAAAAAAAA="), b"to nobody".to_vec())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 410);

    let posts = crate::gateway::post_recorder::read(&std::fs::read(&path).unwrap()).unwrap();
    let got: Vec<(&str, &[u8])> = posts
        .iter()
        .map(|p| (p.connection_id.as_str(), p.body.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            (id.as_str(), br#"{"type":"message"}"#.as_slice()),
            (id.as_str(), [0xff, b'\n', 0x00].as_slice()),
            ("AAAAAAAAAAAAAAA=", b"to nobody".as_slice()),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
