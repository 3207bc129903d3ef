//! `POST /_devstack/invoke/{function}`: hands the request body, as the event, to the named
//! function's real binary through the Runtime API (the same pool the gateway and the stream
//! pollers use) and answers what the function answered. This is how a test or a developer
//! feeds an `events/` file to a function of the running stack without a client.
//!
//! The answers follow Lambda's `Invoke` API, so that tools reading one read the other:
//!
//! - the function responded: `200`, its response as the body;
//! - the function failed (its handler returned an error, its process exited, it timed out):
//!   `200` with `X-Amz-Function-Error: Unhandled` and `{"errorType", "errorMessage"}`;
//! - no function of that logical id: `404`; a body that is not JSON: `400`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::Control;
use crate::lambda::{Invoke, InvokeError};

/// Lambda's header marking a response as the function's error rather than its result.
pub const FUNCTION_ERROR_HEADER: &str = "X-Amz-Function-Error";

pub(super) async fn invoke(
    State(control): State<Control>,
    Path(function): Path<String>,
    body: Bytes,
) -> Response {
    // Read by hand rather than through axum's `Json`: any content type is accepted (curl's
    // `--data @file` sends form-encoded), and a refusal says what was wrong.
    let event: Value = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(error) => {
            let message = format!("the request body must be the event, as JSON: {error}");
            return (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response();
        }
    };
    answer(control.functions.invoke(&function, event).await)
}

/// The HTTP answer to an invocation's outcome.
fn answer(outcome: Result<Value, InvokeError>) -> Response {
    let (error_type, message) = match outcome {
        Ok(response) => return Json(response).into_response(),
        Err(InvokeError::Unknown(name)) => {
            let message = format!("no function named {name} in this stack");
            return (StatusCode::NOT_FOUND, Json(json!({ "message": message }))).into_response();
        }
        Err(InvokeError::Function {
            error_type,
            message,
        }) => (error_type, message),
        // The errorType Lambda reports for a runtime that exited, and for a timeout.
        Err(error @ InvokeError::Crashed(_)) => ("Runtime.ExitError".into(), error.to_string()),
        Err(error @ InvokeError::Timeout(_)) => ("Sandbox.Timedout".into(), error.to_string()),
    };
    (
        [(FUNCTION_ERROR_HEADER, "Unhandled")],
        Json(json!({ "errorType": error_type, "errorMessage": message })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_response_is_the_body() {
        let response = answer(Ok(json!({"statusCode": 200})));
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(FUNCTION_ERROR_HEADER).is_none());
        assert_eq!(body_of(response).await, json!({"statusCode": 200}));
    }

    #[tokio::test]
    async fn failures_are_marked_as_lambda_marks_them() {
        let handler_error = answer(Err(InvokeError::Function {
            error_type: "&str".into(),
            message: "Unauthorized".into(),
        }));
        assert_eq!(handler_error.status(), StatusCode::OK);
        assert_eq!(handler_error.headers()[FUNCTION_ERROR_HEADER], "Unhandled");
        assert_eq!(
            body_of(handler_error).await,
            json!({"errorType": "&str", "errorMessage": "Unauthorized"})
        );
        let timeout = answer(Err(InvokeError::Timeout(Duration::from_secs(3))));
        assert_eq!(timeout.headers()[FUNCTION_ERROR_HEADER], "Unhandled");
        assert_eq!(body_of(timeout).await["errorType"], "Sandbox.Timedout");
    }

    #[tokio::test]
    async fn an_unknown_function_is_not_found() {
        let response = answer(Err(InvokeError::Unknown("Nope".into())));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
