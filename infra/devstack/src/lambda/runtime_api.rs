//! One process's Lambda Runtime API: the HTTP endpoints a custom runtime such as
//! `lambda_runtime` polls for events and posts results to. Each process gets its own
//! listener because the runtime takes only `host:port` from `AWS_LAMBDA_RUNTIME_API` and
//! builds `http://{host:port}/2018-06-01/runtime/...` itself, so paths cannot tell processes
//! apart.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::health::HealthReporter;
use super::ids;
use super::InvokeError;

/// Lambda's limit on a synchronous invocation's response payload.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// What the runtime reports for one invocation.
pub(crate) type Outcome = Result<Value, InvokeError>;

/// One event on its way to the process.
pub(crate) struct Invocation {
    pub request_id: String,
    pub payload: Value,
    pub deadline: SystemTime,
    pub trace_id: String,
    /// Answered when the runtime posts `/response` or `/error` for `request_id`.
    pub reply: oneshot::Sender<Outcome>,
}

/// A running Runtime API server. Dropping it stops accepting connections, and a runtime
/// waiting on `next` gets an error once the process handle that feeds it is gone.
pub(crate) struct RuntimeApi {
    address: SocketAddr,
    invocations: mpsc::Sender<Invocation>,
    server: JoinHandle<()>,
}

struct ApiState {
    function_arn: String,
    /// Waiting `next` requests take from here; a tokio mutex because `next` holds it while it
    /// long-polls, and a second concurrent `next` should queue behind the first.
    pending: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    /// Handed to the runtime, not yet answered, by request id.
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    health: HealthReporter,
}

impl RuntimeApi {
    /// Binds 127.0.0.1 on a free port and serves the Runtime API for one process.
    pub(crate) async fn start(function_arn: String, health: HealthReporter) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        // One slot: a process only ever gets an event when it is idle.
        let (invocations, pending) = mpsc::channel(1);
        let state = Arc::new(ApiState {
            function_arn,
            pending: tokio::sync::Mutex::new(pending),
            in_flight: Mutex::new(HashMap::new()),
            health,
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state);
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::warn!(%address, %err, "runtime API server stopped");
            }
        });
        Ok(Self {
            address,
            invocations,
            server,
        })
    }

    /// The `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues an event for the runtime's next `next`. Gives the invocation back if the
    /// server is gone.
    pub(crate) async fn submit(&self, invocation: Invocation) -> Result<(), Invocation> {
        self.invocations
            .send(invocation)
            .await
            .map_err(|unsent| unsent.0)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// `GET /invocation/next`: long-polls until an event is queued.
async fn next(State(state): State<Arc<ApiState>>) -> Response {
    state.health.ready();
    let Some(invocation) = state.pending.lock().await.recv().await else {
        // The process is being shut down and is about to be killed. Lambda never answers
        // `next` with an error (lambda_runtime would panic on it): the request just hangs.
        return std::future::pending().await;
    };
    let Invocation {
        request_id,
        payload,
        deadline,
        trace_id,
        reply,
    } = invocation;
    let body = match serde_json::to_vec(&payload) {
        Ok(body) => body,
        Err(err) => {
            // A Value always serializes; answer the invocation rather than the runtime.
            let _ = reply.send(Err(InvokeError::Crashed(format!(
                "event not serializable: {err}"
            ))));
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    lock(&state.in_flight).insert(request_id.clone(), reply);
    let headers = [
        ("lambda-runtime-aws-request-id", request_id),
        (
            "lambda-runtime-deadline-ms",
            ids::epoch_millis(deadline).to_string(),
        ),
        (
            "lambda-runtime-invoked-function-arn",
            state.function_arn.clone(),
        ),
        ("lambda-runtime-trace-id", trace_id),
        (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
    ];
    (StatusCode::OK, headers, body).into_response()
}

/// `POST /invocation/{id}/response`: the handler's result.
async fn response(
    State(state): State<Arc<ApiState>>,
    Path(request_id): Path<String>,
    body: Body,
) -> Response {
    let Some(reply) = lock(&state.in_flight).remove(&request_id) else {
        return unknown_request_id();
    };
    match axum::body::to_bytes(body, MAX_RESPONSE_BYTES).await {
        Ok(bytes) => {
            let _ = reply.send(Ok(response_payload(&bytes)));
            accepted()
        }
        Err(_) => {
            let message = format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            );
            let _ = reply.send(Err(InvokeError::Function {
                error_type: "Function.ResponseSizeTooLarge".into(),
                message: message.clone(),
            }));
            lambda_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &message,
            )
        }
    }
}

/// `POST /invocation/{id}/error`: the handler failed.
async fn error(
    State(state): State<Arc<ApiState>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(reply) = lock(&state.in_flight).remove(&request_id) else {
        return unknown_request_id();
    };
    let (error_type, message) = error_report(&headers, &body);
    let _ = reply.send(Err(InvokeError::Function {
        error_type,
        message,
    }));
    accepted()
}

/// `POST /init/error`: the runtime could not start; Lambda discards the sandbox.
async fn init_error(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (error_type, message) = error_report(&headers, &body);
    state
        .health
        .fail(format!("init error {error_type}: {message}"));
    accepted()
}

/// The response payload as the caller sees it. Lambda passes any bytes through; an empty or
/// non-JSON body is kept as null or as a string rather than failing the invocation.
fn response_payload(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    #[serde(rename = "errorMessage")]
    error_message: Option<String>,
}

/// `(errorType, errorMessage)` from an error post: the JSON body if it is one, falling back
/// to the `Lambda-Runtime-Function-Error-Type` header and the raw body.
fn error_report(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let error_type = parsed
        .as_ref()
        .and_then(|body| body.error_type.clone())
        .or(header_type)
        .unwrap_or_else(|| "Unhandled".into());
    let message = parsed
        .and_then(|body| body.error_message)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, message)
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}

fn unknown_request_id() -> Response {
    lambda_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

fn lambda_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"errorType": error_type, "errorMessage": message})),
    )
        .into_response()
}

/// A poisoned map is still a consistent map: every operation on it is a single insert/remove.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_report_prefers_the_json_body() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "lambda-runtime-function-error-type",
            "unhandled".parse().expect("literal header"),
        );
        let body = br#"{"errorType":"Handler.Failed","errorMessage":"no such user"}"#;
        assert_eq!(
            error_report(&headers, body),
            ("Handler.Failed".to_string(), "no such user".to_string())
        );
        assert_eq!(
            error_report(&headers, b"plain text"),
            ("unhandled".to_string(), "plain text".to_string())
        );
    }

    #[test]
    fn response_payload_keeps_non_json_bodies() {
        assert_eq!(response_payload(b""), Value::Null);
        assert_eq!(response_payload(br#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(response_payload(b"hello"), json!("hello"));
    }
}
