//! The `@connections` management API on the gateway's port, as `aws-sdk-apigatewaymanagement`
//! calls it with the endpoint `http://127.0.0.1:PORT/{stage}`: POST sends data to a
//! connection, GET describes it, DELETE closes it. Errors carry `x-amzn-ErrorType`, which the
//! SDK reads first to name the error (`GoneException` for ids that are not live).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::clock;
use super::connections::{CloseCause, LiveConnection, Outbound};
use super::ids;
use super::limits::MAX_POST_BYTES;
use super::session::{close_code, severed};
use super::state::Shared;
use crate::faults::{self, LostAnswer, PostFault};
use crate::lambda::Invoke;

/// Paths the SDK may use: it writes `@` raw, other clients percent-encode it.
pub(crate) fn paths(stage: &str) -> [String; 2] {
    [
        format!("/{stage}/@connections/{{connection_id}}"),
        format!("/{stage}/%40connections/{{connection_id}}"),
    ]
}

/// `POST @connections/{id}`: the body goes to the client as one frame, text when it is
/// UTF-8 and binary otherwise.
pub(crate) async fn post_to_connection<I: Invoke>(
    State(shared): State<Arc<Shared<I>>>,
    Path(connection_id): Path<String>,
    data: Bytes,
) -> Response {
    // Every body a function posts, delivered or not: what left the functions.
    if let Some(recorder) = &shared.post_recorder {
        recorder.record(&connection_id, &data);
    }
    let Some(live) = shared.registry.get(&connection_id) else {
        return gone();
    };
    let (latency, fault) = faults::global().post();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        // A 410 says the connection is gone, and the function deletes its record: sever the
        // socket too (no close frame; `$disconnect` runs), or a live client would be left
        // without a record and never get another frame.
        Some(PostFault::Gone) => {
            live.request_close(severed());
            return gone();
        }
        Some(PostFault::LimitExceeded) => {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "LimitExceededException",
                json!({"message": "Rate exceeded (injected)"}),
            )
        }
        Some(PostFault::ServerError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                json!({"message": "Internal server error (injected)"}),
            )
        }
        None => {}
    }
    if data.len() > MAX_POST_BYTES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            json!({"message": "Request Entity Too Large"}),
        );
    }
    let frame = match String::from_utf8(data.to_vec()) {
        Ok(text) => Outbound::Text(text),
        Err(not_text) => Outbound::Binary(not_text.into_bytes()),
    };
    if !live.send(frame) {
        return gone();
    }
    // The frame reached the client; the function may still never learn it.
    match faults::global().post_answer_lost() {
        Some(LostAnswer::ServerError) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerErrorException",
            json!({"message": "Internal server error (injected after delivery)"}),
        ),
        Some(LostAnswer::Reset) => faults::reset_response(),
        None => with_request_id(StatusCode::OK.into_response()),
    }
}

/// `GET @connections/{id}`.
pub(crate) async fn get_connection<I: Invoke>(
    State(shared): State<Arc<Shared<I>>>,
    Path(connection_id): Path<String>,
) -> Response {
    match shared.registry.get(&connection_id) {
        Some(live) => with_request_id(axum::Json(describe(&live)).into_response()),
        None => gone(),
    }
}

/// `DELETE @connections/{id}`: the client sees a normal close and `$disconnect` runs.
pub(crate) async fn delete_connection<I: Invoke>(
    State(shared): State<Arc<Shared<I>>>,
    Path(connection_id): Path<String>,
) -> Response {
    let closing = shared
        .registry
        .get(&connection_id)
        .is_some_and(|live| live.request_close(CloseCause::new(close_code::NORMAL, "")));
    if closing {
        with_request_id(StatusCode::NO_CONTENT.into_response())
    } else {
        gone()
    }
}

fn describe(live: &LiveConnection) -> serde_json::Value {
    let context = &live.context;
    let mut identity = serde_json::Map::new();
    identity.insert("sourceIp".into(), json!(context.source_ip));
    if let Some(user_agent) = &context.user_agent {
        identity.insert("userAgent".into(), json!(user_agent));
    }
    json!({
        "connectedAt": clock::iso8601(context.connected_at_ms),
        "identity": identity,
        "lastActiveAt": clock::iso8601(live.last_active_ms()),
    })
}

/// 410 as API Gateway answers for a connection that is not live.
fn gone() -> Response {
    error(StatusCode::GONE, "GoneException", json!({"message": null}))
}

fn error(status: StatusCode, error_type: &'static str, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static(error_type),
    );
    with_request_id(response)
}

/// The SDK reads `x-amzn-RequestId` into its error and output metadata.
fn with_request_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&ids::request_id()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
    response
}
