//! Test fixtures: scripted fake functions that record their events, a gateway on
//! 127.0.0.1:0 in front of them, and a real WebSocket client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::gateway::{Gateway, GatewayConfig, GatewayLimits};
use crate::lambda::{Invoke, InvokeError};
use crate::stack_spec::{AuthorizerSpec, RouteSpec, WebSocketApiSpec};

pub const WAIT: Duration = Duration::from_secs(5);

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

type Script = dyn Fn(&str, &Value) -> Result<Value, InvokeError> + Send + Sync;

/// Functions answering by script, recording every event they get.
pub struct FakeFunctions {
    script: Box<Script>,
    delays: HashMap<String, Duration>,
    calls: Mutex<Vec<(String, Value)>>,
}

impl Invoke for FakeFunctions {
    async fn invoke(&self, function: &str, event: Value) -> Result<Value, InvokeError> {
        self.calls
            .lock()
            .unwrap()
            .push((function.to_owned(), event.clone()));
        if let Some(delay) = self.delays.get(function) {
            tokio::time::sleep(*delay).await;
        }
        (self.script)(function, &event)
    }
}

impl FakeFunctions {
    /// The functions of [`api_spec`], see [`standard_script`].
    pub fn standard() -> Self {
        Self {
            script: Box::new(standard_script),
            delays: HashMap::from([("SlowFunction".to_owned(), Duration::from_millis(400))]),
            calls: Mutex::default(),
        }
    }

    pub fn events_of(&self, function: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    /// Waits until `function` has had `count` events; returns them all.
    pub async fn wait_for(&self, function: &str, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let events = self.events_of(function);
            if events.len() >= count {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{function} got {} events, expected {count}",
                events.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The `$disconnect` events of one connection.
    pub fn disconnects_of(&self, connection_id: &str) -> Vec<Value> {
        self.events_of("DisconnectFunction")
            .into_iter()
            .filter(|e| e["requestContext"]["connectionId"] == connection_id)
            .collect()
    }

    /// Waits for the one `$disconnect` of a connection, and checks no second one follows.
    pub async fn wait_for_disconnect(&self, connection_id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.disconnects_of(connection_id).is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "no $disconnect");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let events = self.disconnects_of(connection_id);
        assert_eq!(events.len(), 1, "$disconnect must run exactly once");
        events[0].clone()
    }
}

/// Authorizer: `token=user:ID` allows principal ID (context `{sub: ID}`), `deny` denies,
/// `bad` fails with Unauthorized, `boom` crashes. `$connect`: `refuse=STATUS` answers that
/// status. Routes: `$default` replies `default:BODY`, `echo`/`slow` reply the body, `send`
/// replies too but is one-way, `crash` fails.
fn standard_script(function: &str, event: &Value) -> Result<Value, InvokeError> {
    let body = event["body"].as_str().unwrap_or_default();
    match function {
        "AuthorizerFunction" => {
            let token = event["queryStringParameters"]["token"]
                .as_str()
                .unwrap_or_default();
            let arn = event["methodArn"].clone();
            match token {
                "deny" => Ok(policy("someone", "Deny", arn)),
                "bad" => Err(InvokeError::Function {
                    error_type: "Error".into(),
                    message: "Unauthorized".into(),
                }),
                "boom" => Err(InvokeError::Crashed("exit status 101".into())),
                _ => match token.strip_prefix("user:") {
                    Some(user) => Ok(policy(user, "Allow", arn)),
                    None => Err(InvokeError::Function {
                        error_type: "Error".into(),
                        message: "Unauthorized".into(),
                    }),
                },
            }
        }
        "ConnectFunction" => {
            let status = event["queryStringParameters"]["refuse"]
                .as_str()
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(200);
            Ok(json!({"statusCode": status}))
        }
        "DefaultFunction" => Ok(json!({"statusCode": 200, "body": format!("default:{body}")})),
        "EchoFunction" | "SlowFunction" => Ok(json!({"statusCode": 200, "body": body})),
        "SendFunction" => Ok(json!({"statusCode": 200, "body": "one-way: never sent"})),
        "CrashFunction" => Err(InvokeError::Function {
            error_type: "Panic".into(),
            message: "boom".into(),
        }),
        "DisconnectFunction" => Ok(json!({"statusCode": 200})),
        other => Err(InvokeError::Unknown(other.into())),
    }
}

fn policy(principal: &str, effect: &str, resource: Value) -> Value {
    json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]
        },
        "context": {"sub": principal}
    })
}

fn route(key: &str, function: &str, two_way: bool) -> RouteSpec {
    RouteSpec {
        key: key.into(),
        function: function.into(),
        authorizer: None,
        two_way,
    }
}

/// The template's shape plus a few routes for tests.
pub fn api_spec() -> WebSocketApiSpec {
    let mut connect = route("$connect", "ConnectFunction", false);
    connect.authorizer = Some(AuthorizerSpec {
        function: "AuthorizerFunction".into(),
        identity_source: vec!["route.request.querystring.token".into()],
    });
    WebSocketApiSpec {
        stage: "prod".into(),
        route_selection_expression: "$request.body.action".into(),
        routes: vec![
            connect,
            route("$disconnect", "DisconnectFunction", false),
            route("$default", "DefaultFunction", true),
            route("send", "SendFunction", false),
            route("echo", "EchoFunction", true),
            route("slow", "SlowFunction", true),
            route("crash", "CrashFunction", true),
        ],
        access_log_format: None,
    }
}

pub struct TestGateway {
    pub gateway: Gateway,
    pub functions: Arc<FakeFunctions>,
}

impl TestGateway {
    pub async fn start() -> Self {
        Self::start_with(api_spec(), GatewayLimits::default()).await
    }

    pub async fn start_with(spec: WebSocketApiSpec, limits: GatewayLimits) -> Self {
        let config = GatewayConfig::new(spec, "eu-west-1").with_limits(limits);
        Self::start_configured(config).await
    }

    /// A gateway serving the test API as `config` says (its api id set here).
    pub async fn start_configured(config: GatewayConfig) -> Self {
        let functions = Arc::new(FakeFunctions::standard());
        let config = config.with_api_id("testapi123");
        let gateway = Gateway::bind(config, Arc::clone(&functions), "127.0.0.1:0")
            .await
            .expect("gateway starts");
        Self { gateway, functions }
    }

    /// Opens a WebSocket with this query string; `Err(status)` when the handshake is refused.
    pub async fn try_connect(&self, query: &str) -> Result<Client, u16> {
        let url = format!("{}?{query}", self.gateway.websocket_url());
        match tokio_tungstenite::connect_async(url).await {
            Ok((client, _)) => Ok(client),
            Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("handshake failed: {other}"),
        }
    }

    /// Connects as `user` and returns the client with its connection id.
    pub async fn connect(&self, user: &str) -> (Client, String) {
        let before = self.functions.events_of("ConnectFunction").len();
        let client = self
            .try_connect(&format!("token=user:{user}"))
            .await
            .expect("connection accepted");
        let events = self.functions.wait_for("ConnectFunction", before + 1).await;
        let id = events[before]["requestContext"]["connectionId"]
            .as_str()
            .expect("connection id")
            .to_owned();
        (client, id)
    }

    pub fn management(&self, connection_id: &str) -> String {
        format!(
            "{}/@connections/{connection_id}",
            self.gateway.management_endpoint()
        )
    }
}

/// The next text frame (pings skipped).
pub async fn next_text(client: &mut Client) -> String {
    match next_message(client).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

pub async fn next_message(client: &mut Client) -> Message {
    loop {
        let message = tokio::time::timeout(WAIT, client.next())
            .await
            .expect("a frame in time")
            .expect("connection open")
            .expect("frame readable");
        if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
            return message;
        }
    }
}

/// Waits for the server's close frame and returns its code.
pub async fn expect_close(client: &mut Client) -> u16 {
    loop {
        let message = tokio::time::timeout(WAIT, client.next())
            .await
            .expect("a close frame in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) => return u16::from(CloseCode::Status),
            Some(Ok(_)) => continue,
            Some(Err(error)) => panic!("connection failed before a close frame: {error}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

/// Asserts no frame arrives for a while.
pub async fn expect_silence(client: &mut Client, for_how_long: Duration) {
    if let Ok(message) = tokio::time::timeout(for_how_long, client.next()).await {
        panic!("expected no frame, got {message:?}");
    }
}

pub async fn send_text(client: &mut Client, text: &str) {
    client
        .send(Message::Text(text.into()))
        .await
        .expect("frame sent");
}
