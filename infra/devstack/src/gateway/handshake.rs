//! The WebSocket handshake at `/{stage}`: authorizer, then the `$connect` route, and only
//! when both accept, the upgrade. A refused handshake answers with the HTTP status API
//! Gateway would (401, 403, 500 or the `$connect` function's status) and records nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map};

use super::access_log;
use super::authorizer::{self, AuthOutcome};
use super::clock;
use super::events::{self, ConnectionContext, EventStamp, HandshakeRequest};
use super::ids;
use super::integration::response_status;
use super::limits::{MAX_FRAME_BYTES, MAX_MESSAGE_BYTES};
use super::routes::CONNECT;
use super::session;
use super::state::{Invocation, Shared};
use crate::lambda::Invoke;

/// `GET /{stage}` with an upgrade to WebSocket.
pub(crate) async fn upgrade<I: Invoke>(
    State(shared): State<Arc<Shared<I>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if *shared.shutdown.borrow() {
        return refusal(503, "Service Unavailable");
    }
    let connected_at_ms = clock::now_epoch_ms();
    let request = handshake_request(&headers, query.as_deref(), peer, connected_at_ms);
    let mut context = ConnectionContext {
        connection_id: ids::connection_id(),
        connected_at_ms,
        source_ip: peer.ip().to_string(),
        user_agent: header_text(&headers, header::USER_AGENT.as_str()),
        domain_name: header_text(&headers, header::HOST.as_str())
            .unwrap_or_else(|| "localhost".to_owned()),
        authorizer: None,
    };

    if let Err(refused) = authorize(&shared, &mut context, &request).await {
        return refused;
    }
    let subprotocol = match run_connect_route(&shared, &context, &request).await {
        Ok(subprotocol) => subprotocol,
        Err(refused) => return refused,
    };

    let context = Arc::new(context);
    let on_failure = {
        let (shared, context) = (Arc::clone(&shared), Arc::clone(&context));
        // $connect accepted but the client vanished before the upgrade: API Gateway still
        // reports the connection's end.
        move |_error: axum::Error| {
            tokio::spawn(async move {
                session::run_disconnect(&shared, &context, &session::abnormal_closure()).await;
            });
        }
    };
    let guard = shared.sessions.start();
    // As on API Gateway, a subprotocol is agreed only when `$connect` answers with one.
    ws.protocols(subprotocol)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_failed_upgrade(on_failure)
        .on_upgrade(move |socket| async move {
            session::run(shared, socket, context).await;
            drop(guard);
        })
}

/// The `$connect` authorizer, if the route has one. On success the authorizer's principal
/// and context are put on the connection, for every later event.
async fn authorize<I: Invoke>(
    shared: &Shared<I>,
    context: &mut ConnectionContext,
    request: &HandshakeRequest,
) -> Result<(), Response> {
    let Some(spec) = shared.routes.connect().and_then(|r| r.authorizer.clone()) else {
        return Ok(());
    };
    if authorizer::missing_identity_source(&spec.identity_source, request).is_some() {
        access_log::record(
            shared.access_log.as_ref(),
            &context.connection_id,
            "CONNECT",
            CONNECT,
            None,
            401,
            Duration::ZERO,
        );
        return Err(refusal(401, "Unauthorized"));
    }
    let stamp = new_stamp();
    let event = events::authorizer_event(&shared.api, context, request, &stamp);
    let Invocation { result, started } = shared.invoke(&spec.function, event).await;
    let latency = started.elapsed();
    let outcome = authorizer::outcome(result, &shared.api.method_arn(CONNECT));
    let status = match &outcome {
        AuthOutcome::Allow { .. } => 200,
        AuthOutcome::Refuse { status, .. } => *status,
    };
    access_log::record(
        shared.access_log.as_ref(),
        &context.connection_id,
        "CONNECT",
        CONNECT,
        Some(&spec.function),
        status,
        latency,
    );
    match outcome {
        AuthOutcome::Allow {
            principal_id,
            context: authorizer_context,
        } => {
            let mut fields = Map::new();
            fields.insert("principalId".into(), json!(principal_id));
            fields.insert(
                "integrationLatency".into(),
                json!(latency.as_millis() as u64),
            );
            fields.extend(authorizer_context);
            context.authorizer = Some(fields);
            Ok(())
        }
        AuthOutcome::Refuse { status, reason } => {
            tracing::info!(target: "parley_devstack::gateway", connection_id = %context.connection_id, reason, "handshake refused");
            Err(refusal(status, message_for(status)))
        }
    }
}

/// The `$connect` route's function: a 2xx status (or none) accepts the connection. Returns
/// the `Sec-WebSocket-Protocol` its response names, if any.
async fn run_connect_route<I: Invoke>(
    shared: &Shared<I>,
    context: &ConnectionContext,
    request: &HandshakeRequest,
) -> Result<Option<String>, Response> {
    let Some(route) = shared.routes.connect() else {
        return Ok(None);
    };
    let event = events::connect_event(&shared.api, context, request, &new_stamp());
    let invocation = shared.invoke(&route.function, event).await;
    let status = match &invocation.result {
        Ok(response) => response_status(response),
        Err(_) => 500,
    };
    access_log::record(
        shared.access_log.as_ref(),
        &context.connection_id,
        "CONNECT",
        CONNECT,
        Some(&route.function),
        status,
        invocation.started.elapsed(),
    );
    if (200..300).contains(&status) {
        Ok(invocation
            .result
            .ok()
            .as_ref()
            .and_then(response_subprotocol))
    } else {
        Err(refusal(status, message_for(status)))
    }
}

fn response_subprotocol(response: &serde_json::Value) -> Option<String> {
    response
        .get("headers")?
        .as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Sec-WebSocket-Protocol"))?
        .1
        .as_str()
        .map(str::to_owned)
}

fn message_for(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        500 => "Internal server error",
        _ => "Connection refused",
    }
}

fn refusal(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

fn new_stamp() -> EventStamp {
    EventStamp {
        request_id: ids::request_id(),
        epoch_ms: clock::now_epoch_ms(),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The request as `$connect` sees it: the client's headers plus those API Gateway adds.
fn handshake_request(
    headers: &HeaderMap,
    query: Option<&str>,
    peer: SocketAddr,
    epoch_ms: i64,
) -> HandshakeRequest {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((display_name(name.as_str()), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let added = [
        ("X-Amzn-Trace-Id", ids::trace_id(epoch_ms)),
        ("X-Forwarded-For", peer.ip().to_string()),
        ("X-Forwarded-Port", peer.port().to_string()),
        ("X-Forwarded-Proto", "http".to_owned()),
    ];
    for (name, value) in added {
        if !pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
            pairs.push((name.to_owned(), value));
        }
    }
    let query = query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    HandshakeRequest {
        headers: pairs,
        query,
    }
}

/// HTTP/1 header names arrive lowercased; API Gateway passes the client's spelling, which
/// is conventionally `Host`, `Sec-WebSocket-Key`, … Functions that look headers up in the
/// raw JSON expect that spelling.
fn display_name(lowercase: &str) -> String {
    lowercase
        .split('-')
        .map(|word| match word {
            "websocket" => "WebSocket".to_owned(),
            _ => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_spelled_as_clients_send_them() {
        assert_eq!(display_name("host"), "Host");
        assert_eq!(display_name("sec-websocket-key"), "Sec-WebSocket-Key");
        assert_eq!(display_name("x-amzn-trace-id"), "X-Amzn-Trace-Id");
    }

    #[test]
    fn subprotocol_comes_from_the_connect_response() {
        let response =
            json!({"statusCode": 200, "headers": {"sec-websocket-protocol": "parley.v1"}});
        assert_eq!(
            response_subprotocol(&response).as_deref(),
            Some("parley.v1")
        );
        assert_eq!(response_subprotocol(&json!({"statusCode": 200})), None);
    }

    #[test]
    fn query_is_decoded_and_repeats_kept() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let request = handshake_request(&HeaderMap::new(), Some("token=a%2Bb&x=1&x=2"), peer, 0);
        assert_eq!(
            request.query,
            vec![
                ("token".to_owned(), "a+b".to_owned()),
                ("x".to_owned(), "1".to_owned()),
                ("x".to_owned(), "2".to_owned())
            ]
        );
        assert!(request
            .headers
            .iter()
            .any(|(k, v)| k == "X-Forwarded-For" && v == "127.0.0.1"));
    }
}
