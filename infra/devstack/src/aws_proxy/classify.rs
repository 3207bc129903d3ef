//! Naming a request the way AWS bills and documents it: the service from the SigV4
//! credential scope, the operation from `X-Amz-Target` (JSON protocols: DynamoDB, Cognito),
//! the `Action` form field (query protocol: SNS), the method and path (S3, `@connections`),
//! and the caller from the SDK user agent's `app/` id, which the local stack sets to the
//! function's name.

use axum::http::{HeaderMap, Method};

use super::metrics::CLIENT;

/// What a request is, for the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub caller: String,
    pub service: String,
    pub operation: String,
}

/// `@connections` requests go to the gateway emulator rather than to moto.
pub fn is_management(path: &str) -> bool {
    path.contains("/@connections/") || path.contains("/%40connections/")
}

pub fn classify(method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Operation {
    let caller = caller(headers).unwrap_or_else(|| CLIENT.to_owned());
    let (service, operation) = if is_management(path) {
        let operation = match *method {
            Method::POST => "PostToConnection",
            Method::DELETE => "DeleteConnection",
            _ => "GetConnection",
        };
        ("execute-api".to_owned(), operation.to_owned())
    } else {
        let service = signed_service(headers).unwrap_or_else(|| "unknown".to_owned());
        let operation = target_operation(headers)
            .or_else(|| form_action(headers, body))
            .unwrap_or_else(|| rest_operation(&service, method, path));
        (service, operation)
    };
    Operation {
        caller,
        service,
        operation,
    }
}

/// `app/<id>` in `x-amz-user-agent` (or `user-agent`).
fn caller(headers: &HeaderMap) -> Option<String> {
    ["x-amz-user-agent", "user-agent"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .flat_map(str::split_whitespace)
        .find_map(|part| part.strip_prefix("app/"))
        .map(str::to_owned)
}

/// `Credential=AKID/20240101/us-east-1/<service>/aws4_request` in `Authorization`.
fn signed_service(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get("authorization")?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_owned)
}

/// `DynamoDB_20120810.PutItem` → `PutItem`.
fn target_operation(headers: &HeaderMap) -> Option<String> {
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    target.rsplit('.').next().map(str::to_owned)
}

fn form_action(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let content_type = headers.get("content-type")?.to_str().ok()?;
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return None;
    }
    form_urlencoded::parse(body)
        .find(|(name, _)| name == "Action")
        .map(|(_, value)| value.into_owned())
}

/// S3 and other REST APIs: the method and whether the path names a bucket or an object.
fn rest_operation(service: &str, method: &Method, path: &str) -> String {
    let segments = path
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .count();
    let noun = match (service, segments) {
        ("s3", 0) => "Buckets",
        ("s3", 1) => "Bucket",
        ("s3", _) => "Object",
        _ => "",
    };
    let verb = match *method {
        Method::GET => "Get",
        Method::PUT => "Put",
        Method::POST => "Post",
        Method::DELETE => "Delete",
        Method::HEAD => "Head",
        _ => method.as_str(),
    };
    format!("{verb}{noun}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    const SIGNED: &str = "AWS4-HMAC-SHA256 Credential=devstack/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";

    #[test]
    fn json_protocol_names_the_operation_in_the_target_and_the_caller_in_the_app_id() {
        let h = headers(&[
            ("authorization", SIGNED),
            ("x-amz-target", "DynamoDB_20120810.TransactWriteItems"),
            (
                "x-amz-user-agent",
                "aws-sdk-rust/1.3 ua/2.1 api/dynamodb/1.0 app/MessagesFunction",
            ),
        ]);
        let op = classify(&Method::POST, "/", &h, b"{}");
        assert_eq!(op.caller, "MessagesFunction");
        assert_eq!(op.service, "dynamodb");
        assert_eq!(op.operation, "TransactWriteItems");
    }

    #[test]
    fn query_protocol_names_it_in_the_action_field() {
        let h = headers(&[
            ("authorization", &SIGNED.replace("dynamodb", "sns")),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        let op = classify(&Method::POST, "/", &h, b"Action=Publish&Version=2010-03-31");
        assert_eq!((op.caller.as_str(), op.service.as_str()), (CLIENT, "sns"));
        assert_eq!(op.operation, "Publish");
    }

    #[test]
    fn s3_and_connections_are_named_by_method_and_path() {
        let h = headers(&[("authorization", &SIGNED.replace("dynamodb", "s3"))]);
        assert_eq!(
            classify(&Method::PUT, "/bucket/a/b.png", &h, b"").operation,
            "PutObject"
        );
        assert_eq!(
            classify(&Method::GET, "/bucket?list-type=2", &h, b"").operation,
            "GetBucket"
        );
        let post = classify(&Method::POST, "/prod/%40connections/abc=", &h, b"");
        assert_eq!(
            (post.service.as_str(), post.operation.as_str()),
            ("execute-api", "PostToConnection")
        );
        assert!(is_management("/prod/@connections/abc="));
        assert!(!is_management("/bucket/key"));
    }
}
