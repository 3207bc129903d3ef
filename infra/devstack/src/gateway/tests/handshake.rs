//! The handshake: authorizer outcomes, `$connect` refusals, and the authorizer's context in
//! the connection's later events.

use super::support::*;

#[tokio::test]
async fn accepted_connection_carries_the_authorizer_context_into_message_events() {
    let gw = TestGateway::start().await;
    let (mut client, id) = gw.connect("alice").await;

    let authorizer = &gw.functions.events_of("AuthorizerFunction")[0];
    assert_eq!(authorizer["type"], "REQUEST");
    assert_eq!(
        authorizer["methodArn"],
        "arn:aws:execute-api:eu-west-1:000000000000:testapi123/prod/$connect"
    );
    assert_eq!(authorizer["requestContext"]["connectionId"], id.as_str());

    let connect = &gw.functions.events_of("ConnectFunction")[0];
    assert_eq!(connect["queryStringParameters"]["token"], "user:alice");
    assert!(connect["headers"]["Host"].is_string());
    assert!(connect["headers"]["Sec-WebSocket-Key"].is_string());
    assert_eq!(connect["headers"]["X-Forwarded-For"], "127.0.0.1");
    assert_eq!(
        connect["requestContext"]["authorizer"]["principalId"],
        "alice"
    );
    assert_eq!(connect["requestContext"]["authorizer"]["sub"], "alice");
    assert!(connect["requestContext"]["authorizer"]["integrationLatency"].is_u64());
    assert!(id.len() == 16 && id.ends_with('='), "{id}");

    send_text(&mut client, r#"{"action":"send","body":"hi"}"#).await;
    let message = &gw.functions.wait_for("SendFunction", 1).await[0];
    let context = &message["requestContext"];
    assert_eq!(context["eventType"], "MESSAGE");
    assert_eq!(context["routeKey"], "send");
    assert_eq!(context["connectionId"], id.as_str());
    assert_eq!(context["authorizer"]["principalId"], "alice");
    assert_eq!(context["authorizer"]["sub"], "alice");
    assert_eq!(message["body"], r#"{"action":"send","body":"hi"}"#);
    assert_eq!(message["isBase64Encoded"], false);

    client.close(None).await.expect("close sent");
    let disconnect = gw.functions.wait_for_disconnect(&id).await;
    assert_eq!(disconnect["requestContext"]["authorizer"]["sub"], "alice");
    assert!(disconnect.get("queryStringParameters").is_none());
}

#[tokio::test]
async fn missing_or_empty_token_is_401_without_invoking_anything() {
    let gw = TestGateway::start().await;
    assert_eq!(gw.try_connect("other=1").await.err(), Some(401));
    assert_eq!(gw.try_connect("token=").await.err(), Some(401));
    assert_eq!(gw.functions.call_count(), 0);
}

#[tokio::test]
async fn authorizer_outcomes_map_to_http_statuses() {
    let gw = TestGateway::start().await;
    assert_eq!(gw.try_connect("token=bad").await.err(), Some(401));
    assert_eq!(gw.try_connect("token=deny").await.err(), Some(403));
    assert_eq!(gw.try_connect("token=boom").await.err(), Some(500));
    assert_eq!(gw.functions.events_of("AuthorizerFunction").len(), 3);
    assert!(gw.functions.events_of("ConnectFunction").is_empty());
}

#[tokio::test]
async fn connect_function_failure_refuses_the_handshake() {
    let gw = TestGateway::start().await;
    assert_eq!(
        gw.try_connect("token=user:bob&refuse=500").await.err(),
        Some(500)
    );
    assert_eq!(
        gw.try_connect("token=user:bob&refuse=429").await.err(),
        Some(429)
    );
    // A refused connection never existed: no $disconnect.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(gw.functions.events_of("DisconnectFunction").is_empty());
}

#[tokio::test]
async fn wrong_stage_is_forbidden() {
    let gw = TestGateway::start().await;
    let url = format!("ws://{}/dev?token=user:a", gw.gateway.local_addr());
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403)
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
}
