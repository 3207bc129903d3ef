//! The JSON events API Gateway hands to functions: the REQUEST authorizer event and the
//! WebSocket proxy events of `$connect`, messages and `$disconnect`. Shapes follow what AWS
//! sends (see the `aws_lambda_events` fixtures), so the real function binaries parse them.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::clock;
use super::routes::{CONNECT, DISCONNECT};

/// The account id in ARNs: there is no account locally.
pub const ACCOUNT_ID: &str = "000000000000";

/// What is fixed for the whole API.
#[derive(Debug, Clone)]
pub struct ApiContext {
    pub api_id: String,
    pub stage: String,
    pub region: String,
}

impl ApiContext {
    /// The ARN an authorizer's policy must allow, e.g.
    /// `arn:aws:execute-api:eu-west-1:000000000000:abc123/prod/$connect`.
    pub fn method_arn(&self, route_key: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/{}/{route_key}",
            self.region, self.api_id, self.stage
        )
    }
}

/// The client's upgrade request, as the `$connect` and authorizer events expose it.
/// Header names and query parameters are in request order; repeats are kept.
#[derive(Debug, Clone, Default)]
pub struct HandshakeRequest {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
}

/// What every event of one connection carries.
#[derive(Debug, Clone)]
pub struct ConnectionContext {
    pub connection_id: String,
    pub connected_at_ms: i64,
    pub source_ip: String,
    pub user_agent: Option<String>,
    /// The host the client connected to, as `requestContext.domainName`.
    pub domain_name: String,
    /// `requestContext.authorizer`: `{principalId, integrationLatency, ...context}` when the
    /// `$connect` route has an authorizer.
    pub authorizer: Option<Map<String, Value>>,
}

/// Ids and time of one event.
#[derive(Debug, Clone)]
pub struct EventStamp {
    pub request_id: String,
    pub epoch_ms: i64,
}

/// A frame's payload as the message event carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBody {
    Text(String),
    Binary(Vec<u8>),
}

/// The REQUEST authorizer event of `$connect`.
pub fn authorizer_event(
    api: &ApiContext,
    conn: &ConnectionContext,
    request: &HandshakeRequest,
    stamp: &EventStamp,
) -> Value {
    let mut context = request_context(api, conn, CONNECT, "CONNECT", stamp);
    context.remove("authorizer");
    json!({
        "type": "REQUEST",
        "methodArn": api.method_arn(CONNECT),
        "headers": single_value_map(&request.headers),
        "multiValueHeaders": multi_value_map(&request.headers),
        "queryStringParameters": single_value_map(&request.query),
        "multiValueQueryStringParameters": multi_value_map(&request.query),
        "stageVariables": {},
        "requestContext": context,
    })
}

/// The `$connect` route's event: the upgrade request's headers and query string.
pub fn connect_event(
    api: &ApiContext,
    conn: &ConnectionContext,
    request: &HandshakeRequest,
    stamp: &EventStamp,
) -> Value {
    let mut event = Map::new();
    event.insert("headers".into(), single_value_map(&request.headers));
    event.insert(
        "multiValueHeaders".into(),
        multi_value_map(&request.headers),
    );
    // API Gateway leaves the query string fields out when there is none.
    if !request.query.is_empty() {
        event.insert(
            "queryStringParameters".into(),
            single_value_map(&request.query),
        );
        event.insert(
            "multiValueQueryStringParameters".into(),
            multi_value_map(&request.query),
        );
    }
    event.insert(
        "requestContext".into(),
        Value::Object(request_context(api, conn, CONNECT, "CONNECT", stamp)),
    );
    event.insert("isBase64Encoded".into(), Value::Bool(false));
    Value::Object(event)
}

/// The event of one client frame routed to `route_key`.
pub fn message_event(
    api: &ApiContext,
    conn: &ConnectionContext,
    route_key: &str,
    body: &FrameBody,
    message_id: &str,
    stamp: &EventStamp,
) -> Value {
    let mut context = request_context(api, conn, route_key, "MESSAGE", stamp);
    context.insert("messageId".into(), Value::String(message_id.to_owned()));
    let (body, is_base64) = match body {
        FrameBody::Text(text) => (text.clone(), false),
        FrameBody::Binary(bytes) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            true,
        ),
    };
    json!({
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// The `$disconnect` event. It carries no query string (API Gateway sends none).
pub fn disconnect_event(
    api: &ApiContext,
    conn: &ConnectionContext,
    status_code: u16,
    reason: &str,
    stamp: &EventStamp,
) -> Value {
    let mut context = request_context(api, conn, DISCONNECT, "DISCONNECT", stamp);
    context.insert("disconnectStatusCode".into(), json!(status_code));
    context.insert("disconnectReason".into(), json!(reason));
    let headers = vec![
        ("Host".to_owned(), conn.domain_name.clone()),
        ("X-Forwarded-For".to_owned(), conn.source_ip.clone()),
    ];
    json!({
        "headers": single_value_map(&headers),
        "multiValueHeaders": multi_value_map(&headers),
        "requestContext": context,
        "isBase64Encoded": false,
    })
}

fn request_context(
    api: &ApiContext,
    conn: &ConnectionContext,
    route_key: &str,
    event_type: &str,
    stamp: &EventStamp,
) -> Map<String, Value> {
    let mut identity = Map::new();
    identity.insert("sourceIp".into(), json!(conn.source_ip));
    if let Some(user_agent) = &conn.user_agent {
        identity.insert("userAgent".into(), json!(user_agent));
    }
    let mut context = Map::new();
    context.insert("routeKey".into(), json!(route_key));
    context.insert("eventType".into(), json!(event_type));
    context.insert("extendedRequestId".into(), json!(stamp.request_id));
    context.insert(
        "requestTime".into(),
        json!(clock::request_time(stamp.epoch_ms)),
    );
    context.insert("messageDirection".into(), json!("IN"));
    context.insert("stage".into(), json!(api.stage));
    context.insert("connectedAt".into(), json!(conn.connected_at_ms));
    context.insert("requestTimeEpoch".into(), json!(stamp.epoch_ms));
    context.insert("identity".into(), Value::Object(identity));
    context.insert("requestId".into(), json!(stamp.request_id));
    context.insert("domainName".into(), json!(conn.domain_name));
    context.insert("connectionId".into(), json!(conn.connection_id));
    context.insert("apiId".into(), json!(api.api_id));
    if let Some(authorizer) = &conn.authorizer {
        context.insert("authorizer".into(), Value::Object(authorizer.clone()));
    }
    context
}

/// `{name: last value}`, as in `headers` / `queryStringParameters`.
fn single_value_map(pairs: &[(String, String)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(map)
}

/// `{name: [every value]}`, as in `multiValueHeaders` / `multiValueQueryStringParameters`.
fn multi_value_map(pairs: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        let values = map.entry(k.clone()).or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(values) = values {
            values.push(Value::String(v.clone()));
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::{
        ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayWebsocketProxyRequest,
    };

    fn api() -> ApiContext {
        ApiContext {
            api_id: "abcde12345".into(),
            stage: "prod".into(),
            region: "eu-west-1".into(),
        }
    }

    fn conn(authorizer: Option<Map<String, Value>>) -> ConnectionContext {
        ConnectionContext {
            connection_id: "L0SM9cOFvHcCIhw=".into(),
            connected_at_ms: 1_707_503_007_396,
            source_ip: "127.0.0.1".into(),
            user_agent: Some("test-agent".into()),
            domain_name: "127.0.0.1:9000".into(),
            authorizer,
        }
    }

    fn request() -> HandshakeRequest {
        HandshakeRequest {
            headers: vec![
                ("Host".into(), "127.0.0.1:9000".into()),
                ("X-Custom".into(), "a".into()),
                ("X-Custom".into(), "b".into()),
            ],
            query: vec![("token".into(), "jwt.value.sig".into())],
        }
    }

    fn stamp() -> EventStamp {
        EventStamp {
            request_id: "R0SM9cOFvHcCIhw=".into(),
            epoch_ms: 1_707_503_008_941,
        }
    }

    fn authorizer_context() -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("principalId".into(), json!("user-1"));
        map.insert("integrationLatency".into(), json!(12));
        map.insert("sub".into(), json!("user-1"));
        map
    }

    #[test]
    fn authorizer_event_parses_as_a_request_authorizer_request() {
        let event = authorizer_event(&api(), &conn(None), &request(), &stamp());
        let parsed: ApiGatewayCustomAuthorizerRequestTypeRequest =
            serde_json::from_value(event).expect("authorizer event");
        assert_eq!(parsed.type_.as_deref(), Some("REQUEST"));
        assert_eq!(
            parsed.method_arn.as_deref(),
            Some("arn:aws:execute-api:eu-west-1:000000000000:abcde12345/prod/$connect")
        );
        assert_eq!(
            parsed.query_string_parameters.first("token"),
            Some("jwt.value.sig")
        );
        assert_eq!(parsed.headers.get("x-custom").unwrap(), "b");
        assert_eq!(
            parsed
                .multi_value_headers
                .get_all("x-custom")
                .iter()
                .count(),
            2
        );
        assert_eq!(parsed.request_context.stage.as_deref(), Some("prod"));
        assert_eq!(parsed.request_context.apiid.as_deref(), Some("abcde12345"));
        assert_eq!(
            parsed.request_context.request_id.as_deref(),
            Some("R0SM9cOFvHcCIhw=")
        );
        let identity = parsed.request_context.identity.expect("identity");
        assert_eq!(identity.source_ip.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn connect_event_parses_as_a_websocket_proxy_request() {
        let event = connect_event(
            &api(),
            &conn(Some(authorizer_context())),
            &request(),
            &stamp(),
        );
        let parsed: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).expect("connect event");
        let ctx = &parsed.request_context;
        assert_eq!(ctx.route_key.as_deref(), Some("$connect"));
        assert_eq!(ctx.event_type.as_deref(), Some("CONNECT"));
        assert_eq!(ctx.message_direction.as_deref(), Some("IN"));
        assert_eq!(ctx.connection_id.as_deref(), Some("L0SM9cOFvHcCIhw="));
        assert_eq!(ctx.connected_at, 1_707_503_007_396);
        assert_eq!(ctx.request_time_epoch, 1_707_503_008_941);
        assert_eq!(
            ctx.request_time.as_deref(),
            Some("09/Feb/2024:18:23:28 +0000")
        );
        assert_eq!(ctx.domain_name.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(ctx.identity.source_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ctx.identity.user_agent.as_deref(), Some("test-agent"));
        assert_eq!(
            ctx.authorizer.fields.get("principalId"),
            Some(&json!("user-1"))
        );
        assert_eq!(ctx.authorizer.fields.get("sub"), Some(&json!("user-1")));
        assert_eq!(
            parsed.query_string_parameters.first("token"),
            Some("jwt.value.sig")
        );
        assert!(!parsed.is_base64_encoded);
    }

    #[test]
    fn message_event_parses_with_body_and_authorizer() {
        let conn = conn(Some(authorizer_context()));
        let text = FrameBody::Text(r#"{"action":"send"}"#.into());
        let event = message_event(&api(), &conn, "send", &text, "M1", &stamp());
        let parsed: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).expect("message event");
        assert_eq!(parsed.body.as_deref(), Some(r#"{"action":"send"}"#));
        assert!(!parsed.is_base64_encoded);
        assert_eq!(parsed.request_context.route_key.as_deref(), Some("send"));
        assert_eq!(
            parsed.request_context.event_type.as_deref(),
            Some("MESSAGE")
        );
        assert_eq!(parsed.request_context.message_id.as_deref(), Some("M1"));
        assert_eq!(
            parsed.request_context.authorizer.fields.get("principalId"),
            Some(&json!("user-1"))
        );

        let binary = FrameBody::Binary(vec![0, 159, 146, 150]);
        let event = message_event(&api(), &conn, "$default", &binary, "M2", &stamp());
        let parsed: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).expect("binary message event");
        assert!(parsed.is_base64_encoded);
        assert_eq!(parsed.body.as_deref(), Some("AJ+Slg=="));
    }

    #[test]
    fn disconnect_event_parses_without_query_string() {
        let event = disconnect_event(
            &api(),
            &conn(Some(authorizer_context())),
            1001,
            "Going away",
            &stamp(),
        );
        assert!(event.get("queryStringParameters").is_none());
        let parsed: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).expect("disconnect event");
        let ctx = &parsed.request_context;
        assert_eq!(ctx.route_key.as_deref(), Some("$disconnect"));
        assert_eq!(ctx.event_type.as_deref(), Some("DISCONNECT"));
        assert_eq!(ctx.disconnect_status_code, Some(1001));
        assert_eq!(ctx.disconnect_reason.as_deref(), Some("Going away"));
        assert_eq!(ctx.authorizer.fields.get("sub"), Some(&json!("user-1")));
        assert!(parsed.query_string_parameters.is_empty());
    }
}
