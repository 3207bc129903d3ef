//! Issue 6: every route and trigger of `infra/template.yaml` has an event in `events/`, in the
//! exact shape AWS sends, and each one, fed to its function's real binary through the local
//! stack (`POST /_devstack/invoke/{function}`), gets the answer its data implies.
//!
//! Which function serves an event is never listed here: the event names its trigger (a
//! route key, or a stream's ARN) and the template, read through the devstack's own reader,
//! names the function. The files carry made-up user ids and a placeholder token; the test
//! swaps in real users of the stack's pool and the authorizer's real context, and checks
//! that no key and no type changed in the swap.

use std::path::PathBuf;

use aws_sdk_dynamodb::types::AttributeValue;
use parley_devstack::stack_spec::StackSpec;
use parley_devstack::template::{
    record_placeholders, references, stack_spec, Deployment, LocalStack, Resolver, Template,
    FUNCTION_KIND,
};
use parley_tests::stack::{self, workspace_root, StackInfo};
use parley_tests::tables::{connections_of, dynamodb};
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};

/// What an event must get back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The `$connect` authorizer: Allow with the caller's context for a real token, Deny for
    /// the file's placeholder.
    Policy,
    /// `$connect` / `$disconnect`: a 200, after which the event's connection is recorded
    /// for the caller (or no longer is).
    Connection { recorded: bool },
    /// A two-way route: a 200 whose body is one frame of this `type` (and error `code`).
    Frame(&'static str, Option<&'static str>),
    /// A route that answers nothing (`ack`, `typing`): a 200 without a body.
    NoReply,
    /// A stream batch: every record handled, so no `batchItemFailures`.
    NoFailures,
    /// A Cognito trigger: the event comes back unchanged (as Cognito requires), and the user
    /// it names is in the users table.
    UserRecorded,
}

/// Every file of `events/`, in the order they run: `$connect` first, the frames of that
/// connection, `$disconnect`, then the stream record, whose recipient is the caller (now
/// offline, with the device that `push-register.json` registered).
const EVENTS: &[(&str, Expect)] = &[
    ("authorizer-connect.json", Expect::Policy),
    ("connect.json", Expect::Connection { recorded: true }),
    (
        "default-message.json",
        Expect::Frame("error", Some("bad_request")),
    ),
    // Before any send: `sync` posts the messages it finds to the event's connection, which
    // no client holds here, so only an empty mailbox answers `synced`.
    ("messages-sync.json", Expect::Frame("synced", None)),
    ("messages-send.json", Expect::Frame("sent", None)),
    ("messages-ack.json", Expect::NoReply),
    ("messages-typing.json", Expect::NoReply),
    ("messages-lookup.json", Expect::Frame("users", None)),
    ("messages-prefs.json", Expect::Frame("prefs", None)),
    ("messages-create-group.json", Expect::Frame("group", None)),
    // The samples' group `g:5fd2…` was never created in this stack.
    (
        "messages-add-members.json",
        Expect::Frame("error", Some("not_found")),
    ),
    (
        "messages-remove-members.json",
        Expect::Frame("error", Some("not_found")),
    ),
    (
        "messages-leave-group.json",
        Expect::Frame("error", Some("not_found")),
    ),
    ("messages-chat.json", Expect::Frame("chat", None)),
    ("messages-chats.json", Expect::Frame("chats", None)),
    ("messages-presence.json", Expect::Frame("presence", None)),
    ("messages-privacy.json", Expect::Frame("privacy", None)),
    ("messages-block.json", Expect::Frame("blocked", None)),
    ("messages-blocks.json", Expect::Frame("blocks", None)),
    ("default-ping.json", Expect::Frame("pong", None)),
    // Not a member of that group: no key is reserved or signed.
    (
        "files-upload-url.json",
        Expect::Frame("error", Some("forbidden")),
    ),
    (
        "files-download-url.json",
        Expect::Frame("error", Some("forbidden")),
    ),
    // The caller's device ALICEPHONE01 (the samples' `deviceId`) registers its keys and
    // claims its own one-time key. `toDeviceSync` runs while the inbox is empty: it posts what
    // it finds to the event's connection, which no client holds here.
    ("keys-keys-upload.json", Expect::Frame("keysUploaded", None)),
    ("keys-keys-query.json", Expect::Frame("keys", None)),
    ("keys-keys-claim.json", Expect::Frame("claimed", None)),
    (
        "keys-to-device-sync.json",
        Expect::Frame("toDeviceSynced", None),
    ),
    (
        "keys-send-to-device.json",
        Expect::Frame("toDeviceSent", None),
    ),
    (
        "keys-to-device-ack.json",
        Expect::Frame("toDeviceAcked", None),
    ),
    ("push-register.json", Expect::Frame("pushRegistered", None)),
    ("disconnect.json", Expect::Connection { recorded: false }),
    ("push-stream.json", Expect::NoFailures),
    ("users-post-confirmation.json", Expect::UserRecorded),
];

/// The made-up ids of the samples. `CALLER < PEER`, as in the direct conversation ids
/// (`d:<lower>:<higher>`) the samples spell out; the real users keep that order.
const CALLER: &str = "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15";
const PEER: &str = "9b2f0c3e-71d4-4c55-a1f0-2e8d6b4f9c70";
const THIRD: &str = "1f7c2a9e-5d3b-4e8a-9c61-7b0d2e4f8a13";
/// The stream sample's parties: its conversation is `d:<recipient>:<sender>`.
const RECIPIENT: &str = "REPLACE-WITH-RECIPIENT-USER-ID";
const SENDER: &str = "REPLACE-WITH-SENDER-USER-ID";
/// Where a `$connect` event's token goes; as given, the authorizer must refuse it.
const TOKEN: &str = "REPLACE_WITH_ID_TOKEN";

/// What invokes an event: read from the event itself, as AWS would route it.
#[derive(Debug, Clone, PartialEq)]
enum Trigger {
    /// A `REQUEST` authorizer event of the route.
    Authorizer(String),
    /// An event of the route.
    Route(String),
    /// A batch from the stream of this table (logical id).
    Stream(String),
    /// A Cognito user pool trigger (`PostConfirmation`, …).
    Cognito(String),
}

/// The template's routes and stream mappings, through the devstack's template reader.
struct Triggers {
    spec: StackSpec,
    /// (function, table) of every DynamoDB stream event source.
    streams: Vec<(String, String)>,
    /// (function, trigger) of every Cognito event source.
    cognito: Vec<(String, String)>,
}

impl Triggers {
    fn read() -> Self {
        let template = Template::load(&workspace_root().join("infra/template.yaml"))
            .expect("the template loads");
        let deployment = Deployment::local(&template, "us-east-1", &Default::default());
        let mut resolver = Resolver::new(&template, deployment).expect("the template resolves");
        // Stand-in ids for every resource: only the references between them matter here.
        record_placeholders(&mut resolver, |_| false).expect("placeholders");
        let local = LocalStack {
            aws_endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            gateway_port: 1,
            management_port: 1,
            bin_dir: PathBuf::from("target/debug"),
        };
        let spec = stack_spec(&resolver, &local).expect("routes and functions resolve");
        let mut streams = Vec::new();
        let mut cognito = Vec::new();
        for function in template.resources_of_kind(FUNCTION_KIND) {
            let Some(Value::Object(events)) = function.property("Events") else {
                continue;
            };
            for declaration in events.values() {
                if declaration["Type"] == "Cognito" {
                    let trigger = declaration["Properties"]["Trigger"]
                        .as_str()
                        .expect("a Cognito event names its trigger");
                    cognito.push((function.logical_id.clone(), trigger.to_owned()));
                    continue;
                }
                if declaration["Type"] != "DynamoDB" {
                    continue;
                }
                let table = references(&declaration["Properties"]["Stream"])
                    .into_iter()
                    .find(|name| {
                        template
                            .resource(name)
                            .is_some_and(|r| r.kind == "AWS::DynamoDB::Table")
                    })
                    .expect("a stream mapping names its table");
                streams.push((function.logical_id.clone(), table));
            }
        }
        Self {
            spec,
            streams,
            cognito,
        }
    }

    /// The function `trigger` invokes, if the template has that trigger.
    fn function(&self, trigger: &Trigger) -> Option<String> {
        let route = |key: &str| self.spec.websocket.routes.iter().find(|r| r.key == key);
        match trigger {
            Trigger::Authorizer(key) => route(key)?.authorizer.as_ref().map(|a| a.function.clone()),
            Trigger::Route(key) => route(key).map(|r| r.function.clone()),
            Trigger::Stream(table) => self
                .streams
                .iter()
                .find(|(_, t)| t == table)
                .map(|(f, _)| f.clone()),
            Trigger::Cognito(name) => self
                .cognito
                .iter()
                .find(|(_, t)| t == name)
                .map(|(f, _)| f.clone()),
        }
    }

    /// Every trigger the template declares.
    fn all(&self) -> Vec<Trigger> {
        let mut all = Vec::new();
        for route in &self.spec.websocket.routes {
            if route.authorizer.is_some() {
                all.push(Trigger::Authorizer(route.key.clone()));
            }
            all.push(Trigger::Route(route.key.clone()));
        }
        all.extend(self.streams.iter().map(|(_, t)| Trigger::Stream(t.clone())));
        all.extend(
            self.cognito
                .iter()
                .map(|(_, t)| Trigger::Cognito(t.clone())),
        );
        all
    }
}

fn event_file(name: &str) -> Value {
    let path = workspace_root().join("events").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

/// The trigger an event names. `table_of` maps a stream's table name to its logical id.
fn trigger_of(name: &str, event: &Value, table_of: impl Fn(&str) -> Option<String>) -> Trigger {
    if let Some(records) = event["Records"].as_array() {
        let arn = records[0]["eventSourceARN"]
            .as_str()
            .expect("eventSourceARN");
        // arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
        let table = arn
            .split("table/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("{name}: {arn} names no table"));
        let logical = table_of(table).unwrap_or_else(|| panic!("{name}: no table {table}"));
        return Trigger::Stream(logical);
    }
    if let Some(source) = event["triggerSource"].as_str() {
        // `PostConfirmation_ConfirmSignUp` → the `PostConfirmation` trigger.
        let trigger = source.split('_').next().unwrap_or(source);
        return Trigger::Cognito(trigger.to_owned());
    }
    let key = event["requestContext"]["routeKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: neither Records nor requestContext.routeKey"))
        .to_owned();
    if event["type"] == "REQUEST" && event.get("methodArn").is_some() {
        Trigger::Authorizer(key)
    } else {
        Trigger::Route(key)
    }
}

/// The local stack names a table `parley-local-<LogicalId>`, as the sample's ARN does.
fn local_table(name: &str) -> Option<String> {
    name.strip_prefix("parley-local-").map(str::to_owned)
}

#[test]
fn every_route_and_trigger_has_an_event_and_every_event_a_trigger() {
    let triggers = Triggers::read();
    let covered: Vec<Trigger> = EVENTS
        .iter()
        .map(|(name, _)| {
            let trigger = trigger_of(name, &event_file(name), local_table);
            assert!(
                triggers.function(&trigger).is_some(),
                "{name}: the template has no {trigger:?}"
            );
            trigger
        })
        .collect();
    for trigger in triggers.all() {
        assert!(
            covered.contains(&trigger),
            "no event in events/ for {trigger:?}"
        );
    }
    let mut files: Vec<String> = std::fs::read_dir(workspace_root().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = EVENTS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every file of events/ is exercised here");
}

/// The real values put into the samples.
struct Cast {
    caller: TestUser,
    peer: TestUser,
    third: TestUser,
    /// The authorizer's context for the caller's token, as API Gateway passes it on.
    context: Option<Value>,
}

impl Cast {
    async fn sign_up(stack: &StackInfo) -> Self {
        let (a, b) = (sign_up(stack, "ev-a").await, sign_up(stack, "ev-b").await);
        let (caller, peer) = if a.user_id <= b.user_id {
            (a, b)
        } else {
            (b, a)
        };
        Self {
            caller,
            peer,
            third: sign_up(stack, "ev-c").await,
            context: None,
        }
    }

    /// The event with real users and token, and the authorizer's context; same keys, same
    /// types (ids also sit inside `body` strings and conversation ids, hence text).
    fn cast(&self, event: &Value) -> Value {
        let mut text = event.to_string();
        for (placeholder, real) in [
            (CALLER, &self.caller.user_id),
            (PEER, &self.peer.user_id),
            (THIRD, &self.third.user_id),
            (RECIPIENT, &self.caller.user_id),
            (SENDER, &self.peer.user_id),
            (TOKEN, &self.caller.id_token),
        ] {
            text = text.replace(placeholder, real);
        }
        let mut cast: Value = serde_json::from_str(&text).unwrap();
        if let (Some(context), Some(Value::Object(authorizer))) = (
            &self.context,
            cast.pointer_mut("/requestContext/authorizer"),
        ) {
            for (key, value) in authorizer.iter_mut() {
                if let Some(real) = context.get(key) {
                    *value = real.clone();
                }
            }
        }
        assert_eq!(
            shape(&cast),
            shape(event),
            "casting changed the event's shape"
        );
        cast
    }
}

/// Keys and value types, recursively: what "the exact shape" means.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => Value::Null,
    }
}

/// `POST /_devstack/invoke/{function}`: the function's response, or its error as
/// `Err(errorType: errorMessage)`.
async fn invoke(stack: &StackInfo, function: &str, event: &Value) -> Result<Value, String> {
    let url = format!("{}/_devstack/invoke/{function}", stack.aws_endpoint);
    let response = reqwest::Client::new()
        .post(&url)
        .json(event)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status();
    let failed = response.headers().contains_key("x-amz-function-error");
    let body: Value = response.json().await.expect("a JSON answer");
    assert_eq!(status, 200, "{function}: {body}");
    if failed {
        Err(format!("{}: {}", body["errorType"], body["errorMessage"]))
    } else {
        Ok(body)
    }
}

fn effect(response: &Value) -> &str {
    response["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap_or_else(|| panic!("no policy effect in {response}"))
}

/// The one frame a two-way route's response carries, if any.
fn frame(name: &str, response: &Value) -> Option<Value> {
    assert_eq!(response["statusCode"], 200, "{name}: {response}");
    match &response["body"] {
        Value::Null => None,
        Value::String(body) if body.is_empty() => None,
        Value::String(body) => Some(serde_json::from_str(body).expect("the body is a frame")),
        other => panic!("{name}: body {other}"),
    }
}

#[tokio::test]
async fn each_event_gets_its_answer_from_its_function() {
    let stack = stack::shared();
    let triggers = Triggers::read();
    let table_of = |name: &str| {
        triggers
            .streams
            .iter()
            .map(|(_, logical)| logical)
            .find(|logical| stack.table(logical) == name)
            .cloned()
    };
    let mut cast = Cast::sign_up(stack).await;

    for (name, expect) in EVENTS {
        let sample = event_file(name);
        let function = triggers
            .function(&trigger_of(name, &sample, table_of))
            .unwrap_or_else(|| panic!("{name}: no function in the template"));
        let event = cast.cast(&sample);
        let answer = invoke(stack, &function, &event).await;
        let response = answer.unwrap_or_else(|e| panic!("{name} → {function}: {e}"));
        match *expect {
            Expect::Policy => {
                assert_eq!(effect(&response), "Allow", "{name}: {response}");
                assert_eq!(response["principalId"], cast.caller.user_id.as_str());
                let context = response["context"].clone();
                assert_eq!(context["userId"], cast.caller.user_id.as_str());
                assert!(context["tokenExpiresAt"].as_i64().is_some(), "{context}");
                cast.context = Some(context);
                // The file as it stands: its placeholder is no token.
                let refused = invoke(stack, &function, &sample).await.unwrap();
                assert_eq!(effect(&refused), "Deny", "{name} as given: {refused}");
                assert!(refused["context"].is_null(), "a Deny carries no identity");
            }
            Expect::Connection { recorded } => {
                assert!(frame(name, &response).is_none(), "{name}: {response}");
                let connection = event["requestContext"]["connectionId"].as_str().unwrap();
                let connections = connections_of(stack, &cast.caller.user_id).await;
                assert_eq!(
                    connections.iter().any(|c| c == connection),
                    recorded,
                    "{name}: {connections:?}"
                );
            }
            Expect::Frame(kind, code) => {
                let reply = frame(name, &response)
                    .unwrap_or_else(|| panic!("{name}: no frame in {response}"));
                assert_eq!(reply["type"], kind, "{name}: {reply}");
                if let Some(code) = code {
                    assert_eq!(reply["code"], code, "{name}: {reply}");
                }
                let body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
                if let Some(id) = body.get("id") {
                    assert_eq!(&reply["id"], id, "{name}: the reply echoes the frame's id");
                }
            }
            Expect::NoReply => {
                assert_eq!(frame(name, &response), None, "{name}: {response}");
            }
            Expect::UserRecorded => {
                assert_eq!(response, event, "{name}: the event comes back unchanged");
                let user = event["request"]["userAttributes"]["sub"].as_str().unwrap();
                let item = dynamodb(stack)
                    .get_item()
                    .table_name(stack.table("UsersTable"))
                    .key("key", AttributeValue::S(format!("user#{user}")))
                    .consistent_read(true)
                    .send()
                    .await
                    .expect("read the users table");
                let item = item.item().expect("the confirmed user is recorded");
                assert_eq!(item["email"].as_s().unwrap(), "ana@example.com");
            }
            Expect::NoFailures => {
                assert_eq!(
                    response,
                    json!({"batchItemFailures": []}),
                    "{name}: every record handled"
                );
                assert_one_push_without_text(stack, &event).await;
            }
        }
    }
}

/// The stream sample's recipient registered one device (`push-register.json`) and is
/// offline: SNS got exactly one notification for it, naming the message but not its text.
async fn assert_one_push_without_text(stack: &StackInfo, event: &Value) {
    let image = &event["Records"][0]["dynamodb"]["NewImage"];
    let message_id = image["messageId"]["S"].as_str().unwrap();
    let text = image["body"]["S"].as_str().unwrap();
    let registration = event_file("push-register.json");
    let registered: Value = serde_json::from_str(registration["body"].as_str().unwrap()).unwrap();
    let token = registered["token"].as_str().unwrap();

    let url = format!("{}/moto-api/data.json", stack.aws_endpoint);
    let data: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    let published: Vec<String> = data["sns"]["PlatformEndpoint"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|endpoint| endpoint["token"] == token)
        .flat_map(|endpoint| {
            endpoint["messages"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(|m| m.as_str().map(str::to_owned))
        })
        .collect();
    assert_eq!(published.len(), 1, "one notification: {published:?}");
    assert!(published[0].contains(message_id), "{}", published[0]);
    assert!(!published[0].contains(text), "no text: {}", published[0]);
}
