//! How API Gateway reads an AWS_PROXY integration's response, and the frames it sends the
//! client itself when a frame selects no route or the integration fails.

use serde_json::Value;

/// The `statusCode` of a proxy integration's response; 200 when it has none.
pub fn response_status(response: &Value) -> u16 {
    response
        .get("statusCode")
        .and_then(|code| {
            code.as_u64()
                .or_else(|| code.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..=599).contains(code))
        .unwrap_or(200)
}

/// The `body` a two-way route sends back to the client, when the response has one.
pub fn response_body(response: &Value) -> Option<&str> {
    response.get("body").and_then(Value::as_str)
}

/// What API Gateway sends when a frame selects no route and there is no `$default`.
pub fn forbidden_frame(connection_id: &str, request_id: &str) -> String {
    error_frame("Forbidden", connection_id, request_id)
}

/// What API Gateway sends when the integration fails (function error, crash, timeout).
pub fn internal_error_frame(connection_id: &str, request_id: &str) -> String {
    error_frame("Internal server error", connection_id, request_id)
}

/// API Gateway's own spacing, byte for byte; the ids are base64, which needs no escaping.
fn error_frame(message: &str, connection_id: &str, request_id: &str) -> String {
    format!(
        r#"{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_of_proxy_responses() {
        assert_eq!(response_status(&json!({"statusCode": 200})), 200);
        assert_eq!(response_status(&json!({"statusCode": "403"})), 403);
        assert_eq!(response_status(&json!({})), 200);
        assert_eq!(response_status(&Value::Null), 200);
        assert_eq!(response_status(&json!({"statusCode": 99999})), 200);
    }

    #[test]
    fn body_must_be_a_string() {
        assert_eq!(response_body(&json!({"body": "hi"})), Some("hi"));
        assert_eq!(response_body(&json!({"body": {"a": 1}})), None);
        assert_eq!(response_body(&json!("hi")), None);
    }

    #[test]
    fn error_frames_are_json_with_ids() {
        let frame: Value = serde_json::from_str(&internal_error_frame("c=", "r=")).unwrap();
        assert_eq!(
            frame,
            json!({"message": "Internal server error", "connectionId": "c=", "requestId": "r="})
        );
        assert!(forbidden_frame("c=", "r=").starts_with(r#"{"message": "Forbidden""#));
    }
}
