//! The answers AWS gives when it throttles or fails, in each service's own protocol, so the
//! SDK classifies them as it would the real ones (and retries them as throttling or
//! transient errors).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

/// An injected AWS failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsFault {
    /// DynamoDB's provisioned-capacity throttle.
    ProvisionedThroughputExceeded,
    /// The generic throttle (DynamoDB on-demand, and every JSON service).
    Throttling,
    /// HTTP 500.
    ServerError,
}

impl AwsFault {
    /// The error code the service would name.
    pub fn error_type(self, service: &str) -> &'static str {
        match (self, service) {
            (Self::ProvisionedThroughputExceeded, _) => "ProvisionedThroughputExceededException",
            (Self::Throttling, "s3") => "SlowDown",
            (Self::Throttling, "sns") => "Throttling",
            (Self::Throttling, _) => "ThrottlingException",
            (Self::ServerError, "s3" | "sns") => "InternalError",
            (Self::ServerError, _) => "InternalServerError",
        }
    }
}

/// How the answer to a request that took effect is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// HTTP 500 in the service's protocol: the caller cannot tell whether it took effect.
    ServerError,
    /// The status line is sent, then the connection is cut before the body: the caller's
    /// HTTP client fails as on a reset or a timeout.
    Reset,
}

/// The response that loses the answer of a request that took effect.
pub fn lost_answer_response(lost: LostAnswer, service: &str) -> Response {
    match lost {
        LostAnswer::ServerError => aws_fault_response(AwsFault::ServerError, service),
        LostAnswer::Reset => reset_response(),
    }
}

/// A 200 whose body fails part-way: hyper then aborts the connection, and the client sees
/// the answer cut off.
pub fn reset_response() -> Response {
    let cut: futures_util::stream::Once<
        std::future::Ready<Result<axum::body::Bytes, std::io::Error>>,
    > = futures_util::stream::once(std::future::ready(Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "answer lost (fault injection)",
    ))));
    let mut response = Response::new(Body::from_stream(cut));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

/// The response for `fault` from `service`: JSON with `__type` (DynamoDB, Cognito), the
/// query protocol's XML (SNS), S3's XML.
pub fn aws_fault_response(fault: AwsFault, service: &str) -> Response {
    let code = fault.error_type(service);
    let status = match (fault, service) {
        (AwsFault::ServerError, _) => StatusCode::INTERNAL_SERVER_ERROR,
        (AwsFault::Throttling, "s3") => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = "injected by the devstack (fault injection)";
    let (content_type, body) = match service {
        "s3" => (
            "application/xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
        ),
        "sns" => (
            "text/xml",
            format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"),
        ),
        _ => (
            "application/x-amz-json-1.0",
            serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
                "message": message,
            })
            .to_string(),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(code));
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_static("00000000-0000-0000-0000-00000000fa17"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dynamodb_throttles_are_400_with_the_type() {
        let response = aws_fault_response(AwsFault::ProvisionedThroughputExceeded, "dynamodb");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(json["__type"]
            .as_str()
            .unwrap()
            .ends_with("#ProvisionedThroughputExceededException"));
        let throttled = aws_fault_response(AwsFault::Throttling, "dynamodb");
        assert_eq!(
            throttled.headers()["x-amzn-errortype"],
            "ThrottlingException"
        );
        assert_eq!(
            aws_fault_response(AwsFault::ServerError, "s3").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
