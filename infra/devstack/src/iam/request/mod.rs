//! What IAM authorizes for one request: the action or actions AWS evaluates and the ARN
//! of each resource, per service (one module each). A request the mapping does not
//! understand is an error saying what was not understood; the caller decides what to do
//! with it.

mod cognito;
mod connections;
mod dynamodb;
mod s3;
mod sns;

use axum::http::{HeaderMap, Method};
use serde_json::Value as Json;

/// One action on one resource, e.g. `dynamodb:PutItem` on a table's ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub action: String,
    pub resource: String,
}

impl Access {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
        }
    }
}

/// A request as the proxy received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a Method,
    /// The path, still percent-encoded, without the query.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Where ARNs point: the partition, the request's region, the account, and the WebSocket
/// API whose `@connections` the stack serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub api_id: String,
}

/// The accesses `request` asks for, `service` being the SigV4 signing name
/// (`execute-api` for `@connections`).
pub fn accesses(
    service: &str,
    request: &Request<'_>,
    scope: &Scope,
) -> Result<Vec<Access>, String> {
    match service {
        "execute-api" => connections::accesses(request, scope),
        "dynamodb" => {
            let (prefix, operation) =
                target(request.headers).ok_or("a DynamoDB request without X-Amz-Target")?;
            let body = json_body(request.body)?;
            if prefix.starts_with("DynamoDBStreams") {
                dynamodb::stream_accesses(operation, &body)
            } else {
                dynamodb::accesses(operation, &body, scope)
            }
        }
        "cognito-idp" => {
            let (_, operation) =
                target(request.headers).ok_or("a Cognito request without X-Amz-Target")?;
            Ok(vec![cognito::access(
                operation,
                &json_body(request.body)?,
                scope,
            )])
        }
        "sns" => sns::access(request, scope).map(|access| vec![access]),
        "s3" => s3::accesses(request, scope),
        other => Err(format!("service {other} is not mapped to IAM actions")),
    }
}

/// `X-Amz-Target: DynamoDB_20120810.PutItem` → (`DynamoDB_20120810`, `PutItem`).
fn target(headers: &HeaderMap) -> Option<(&str, &str)> {
    headers.get("x-amz-target")?.to_str().ok()?.rsplit_once('.')
}

fn json_body(body: &[u8]) -> Result<Json, String> {
    if body.is_empty() {
        return Ok(Json::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|e| format!("a JSON request body that does not parse: {e}"))
}

/// Percent-decoding of a path segment (`%40connections`, keys with spaces).
fn decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
pub(crate) fn scope() -> Scope {
    Scope {
        partition: "aws".into(),
        region: "us-east-1".into(),
        account: "000000000000".into(),
        api_id: "websocketapi".into(),
    }
}
