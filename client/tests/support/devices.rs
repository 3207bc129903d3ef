//! Devices for the encryption tests: an OlmMachine of this crate's matrix-sdk-crypto (Rust) or
//! of the web client's @matrix-org/matrix-sdk-crypto-wasm, run by `node web/test/olm-peer.mjs`
//! (wasm), behind one face that speaks plain Matrix JSON, so a test drives both engines through
//! the same toy key directory and cannot favour either.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use matrix_sdk_common::deserialized_responses::{
    ProcessedToDeviceEvent, VerificationLevel, VerificationState,
};
use matrix_sdk_crypto::types::requests::{AnyOutgoingRequest, OutgoingRequest};
use matrix_sdk_crypto::{
    DecryptionSettings, EncryptionSettings, OlmMachine, RoomEventDecryptionResult, TrustRequirement,
};
use ruma::api::client::keys::{claim_keys, get_keys, upload_keys};
use ruma::api::client::sync::sync_events::DeviceLists;
use ruma::api::client::to_device::send_event_to_device;
use ruma::events::room::history_visibility::HistoryVisibility;
use ruma::serde::Raw;
use ruma::{OneTimeKeyAlgorithm, OwnedTransactionId, OwnedUserId, RoomId, UInt, UserId};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Mutex;

use super::key_directory::{KeyDirectory, Sync};

/// An outgoing request of a machine, as plain data: what a transport would send.
pub struct Request {
    pub id: String,
    /// keysUpload, keysQuery, keysClaim, toDevice (or another kind the test does not serve).
    pub kind: String,
    pub body: Value,
    pub event_type: Option<String>,
}

/// A decrypted room message, as the receiving machine reported it.
pub struct Decrypted {
    /// The decrypted event: {"type", "content", "room_id", …}.
    pub event: Value,
    pub sender: String,
    pub sender_device: Option<String>,
    /// The Megolm session's owner is not the event's claimed sender.
    pub mismatched_sender: bool,
}

enum Engine {
    Rust(OlmMachine),
    Wasm(Arc<Mutex<NodePeer>>),
}

/// One device: a Matrix user id, a device id and the machine holding its keys.
pub struct Device {
    pub user: String,
    pub device: String,
    engine: Engine,
}

fn untrusted() -> DecryptionSettings {
    DecryptionSettings {
        sender_device_trust_requirement: TrustRequirement::Untrusted,
    }
}

fn raw<T>(value: &Value) -> Raw<T> {
    Raw::from_json(serde_json::value::to_raw_value(value).expect("JSON value"))
}

fn user_ids(users: &[&str]) -> Vec<OwnedUserId> {
    users
        .iter()
        .map(|u| UserId::parse(*u).expect("user id"))
        .collect()
}

/// A Rust request as the JSON body a Matrix server would get.
fn plain(request: &OutgoingRequest) -> Request {
    let id = request.request_id().to_string();
    let (kind, body, event_type) = match request.request() {
        AnyOutgoingRequest::KeysUpload(r) => (
            "keysUpload",
            json!({ "device_keys": r.device_keys, "one_time_keys": r.one_time_keys,
                    "fallback_keys": r.fallback_keys }),
            None,
        ),
        AnyOutgoingRequest::KeysQuery(r) => {
            ("keysQuery", json!({ "device_keys": r.device_keys }), None)
        }
        AnyOutgoingRequest::KeysClaim(r) => (
            "keysClaim",
            json!({ "one_time_keys": r.one_time_keys }),
            None,
        ),
        AnyOutgoingRequest::ToDeviceRequest(r) => (
            "toDevice",
            json!({ "messages": r.messages }),
            Some(r.event_type.to_string()),
        ),
        AnyOutgoingRequest::SignatureUpload(_) => ("signatureUpload", json!({}), None),
        AnyOutgoingRequest::RoomMessage(_) => ("roomMessage", json!({}), None),
    };
    Request {
        id,
        kind: kind.to_owned(),
        body,
        event_type,
    }
}

impl Device {
    /// A Rust OlmMachine with an in-memory store.
    pub async fn rust(user: &str, device: &str) -> Device {
        let machine = OlmMachine::new(&UserId::parse(user).expect("user id"), device.into()).await;
        Device {
            user: user.to_owned(),
            device: device.to_owned(),
            engine: Engine::Rust(machine),
        }
    }

    /// A wasm OlmMachine (in-memory store) in the Node peer.
    pub async fn wasm(peer: &Arc<Mutex<NodePeer>>, user: &str, device: &str) -> Device {
        let created = peer
            .lock()
            .await
            .call(json!({ "op": "init", "device": device, "userId": user, "deviceId": device }))
            .await;
        assert!(
            created["ed25519"].is_string(),
            "wasm machine created: {created}"
        );
        Device {
            user: user.to_owned(),
            device: device.to_owned(),
            engine: Engine::Wasm(peer.clone()),
        }
    }

    async fn wasm_call(&self, peer: &Arc<Mutex<NodePeer>>, mut args: Value) -> Value {
        args["device"] = json!(self.device);
        peer.lock().await.call(args).await
    }

    pub async fn outgoing_requests(&self) -> Vec<Request> {
        match &self.engine {
            Engine::Rust(m) => m
                .outgoing_requests()
                .await
                .expect("outgoing requests")
                .iter()
                .map(plain)
                .collect(),
            Engine::Wasm(p) => {
                requests(self.wasm_call(p, json!({ "op": "outgoingRequests" })).await)
            }
        }
    }

    /// Hands the server's answer (Matrix JSON) to the machine.
    pub async fn mark_request_as_sent(&self, id: &str, kind: &str, response: &Value) {
        match &self.engine {
            Engine::Rust(m) => {
                let id = OwnedTransactionId::from(id);
                let result = match kind {
                    "keysUpload" => {
                        let counts =
                            serde_json::from_value(response["one_time_key_counts"].clone())
                                .expect("counts");
                        m.mark_request_as_sent(&id, &upload_keys::v3::Response::new(counts))
                            .await
                    }
                    "keysQuery" => {
                        let mut answer = get_keys::v3::Response::new();
                        answer.device_keys =
                            serde_json::from_value(response["device_keys"].clone())
                                .expect("device keys");
                        m.mark_request_as_sent(&id, &answer).await
                    }
                    "keysClaim" => {
                        let keys = serde_json::from_value(response["one_time_keys"].clone())
                            .expect("one-time keys");
                        m.mark_request_as_sent(&id, &claim_keys::v3::Response::new(keys))
                            .await
                    }
                    "toDevice" => {
                        m.mark_request_as_sent(&id, &send_event_to_device::v3::Response::new())
                            .await
                    }
                    other => panic!("the test serves no {other} request"),
                };
                result.expect("mark request as sent");
            }
            Engine::Wasm(p) => {
                self.wasm_call(
                    p,
                    json!({ "op": "markRequestAsSent", "requestId": id, "kind": kind, "response": response }),
                )
                .await;
            }
        }
    }

    pub async fn update_tracked_users(&self, users: &[&str]) {
        match &self.engine {
            Engine::Rust(m) => {
                let ids = user_ids(users);
                m.update_tracked_users(ids.iter().map(|u| u.as_ref()))
                    .await
                    .expect("track users");
            }
            Engine::Wasm(p) => {
                self.wasm_call(p, json!({ "op": "updateTrackedUsers", "users": users }))
                    .await;
            }
        }
    }

    /// The one-time keys to claim before Olm sessions exist with every device of `users`.
    pub async fn missing_sessions(&self, users: &[&str]) -> Option<Request> {
        match &self.engine {
            Engine::Rust(m) => {
                let ids = user_ids(users);
                let (id, request) = m
                    .get_missing_sessions(ids.iter().map(|u| u.as_ref()))
                    .await
                    .expect("missing sessions")?;
                Some(Request {
                    id: id.to_string(),
                    kind: "keysClaim".to_owned(),
                    body: json!({ "one_time_keys": request.one_time_keys }),
                    event_type: None,
                })
            }
            Engine::Wasm(p) => {
                let answer = self
                    .wasm_call(p, json!({ "op": "getMissingSessions", "users": users }))
                    .await;
                (!answer.is_null()).then(|| requests(json!([answer])).remove(0))
            }
        }
    }

    /// The to-device messages carrying the room's current Megolm key to `users`' devices.
    pub async fn share_room_key(&self, room: &str, users: &[&str]) -> Vec<Request> {
        match &self.engine {
            Engine::Rust(m) => {
                let ids = user_ids(users);
                let room = RoomId::parse(room).expect("room id");
                let settings = EncryptionSettings {
                    history_visibility: HistoryVisibility::Joined,
                    ..Default::default()
                };
                m.share_room_key(&room, ids.iter().map(|u| u.as_ref()), settings)
                    .await
                    .expect("share room key")
                    .iter()
                    .map(|r| Request {
                        id: r.txn_id.to_string(),
                        kind: "toDevice".to_owned(),
                        body: json!({ "messages": r.messages }),
                        event_type: Some(r.event_type.to_string()),
                    })
                    .collect()
            }
            Engine::Wasm(p) => requests(
                self.wasm_call(
                    p,
                    json!({ "op": "shareRoomKey", "roomId": room, "users": users }),
                )
                .await,
            ),
        }
    }

    /// The `m.room.encrypted` content of a room event (Megolm), as JSON.
    pub async fn encrypt(&self, room: &str, event_type: &str, content: &Value) -> Value {
        match &self.engine {
            Engine::Rust(m) => {
                let room = RoomId::parse(room).expect("room id");
                let encrypted = m
                    .encrypt_room_event_raw(&room, event_type, &raw(content))
                    .await
                    .expect("encrypt");
                serde_json::from_str(encrypted.content.json().get()).expect("content JSON")
            }
            Engine::Wasm(p) => {
                let encrypted = self
                    .wasm_call(
                        p,
                        json!({ "op": "encryptRoomEvent", "roomId": room, "eventType": event_type,
                                "content": content }),
                    )
                    .await;
                serde_json::from_str(encrypted.as_str().expect("content string"))
                    .expect("content JSON")
            }
        }
    }

    /// Feeds a sync to the machine; answers each to-device event's (decrypted?, type).
    pub async fn receive_sync(&self, sync: Sync, changed: &[&str]) -> Vec<(bool, String)> {
        match &self.engine {
            Engine::Rust(m) => {
                let mut lists = DeviceLists::new();
                lists.changed = user_ids(changed);
                let counts = [(
                    OneTimeKeyAlgorithm::SignedCurve25519,
                    UInt::new(
                        sync.one_time_key_counts["signed_curve25519"]
                            .as_u64()
                            .unwrap(),
                    )
                    .unwrap(),
                )]
                .into();
                let unused: Vec<OneTimeKeyAlgorithm> = sync
                    .unused_fallback_keys
                    .iter()
                    .map(|a| OneTimeKeyAlgorithm::from(a.as_str()))
                    .collect();
                let changes = matrix_sdk_crypto::EncryptionSyncChanges {
                    to_device_events: sync.events.iter().map(raw).collect(),
                    changed_devices: &lists,
                    one_time_keys_counts: &counts,
                    unused_fallback_keys: Some(&unused),
                    next_batch_token: None,
                };
                let (events, _room_keys) = m
                    .receive_sync_changes(changes, &untrusted())
                    .await
                    .expect("receive sync changes");
                events
                    .iter()
                    .map(|e| match e {
                        ProcessedToDeviceEvent::Decrypted { raw, .. } => {
                            (true, event_type(raw.json().get()))
                        }
                        ProcessedToDeviceEvent::UnableToDecrypt {
                            encrypted_event, ..
                        } => (false, event_type(encrypted_event.json().get())),
                        ProcessedToDeviceEvent::PlainText(raw)
                        | ProcessedToDeviceEvent::Invalid(raw) => {
                            (false, event_type(raw.json().get()))
                        }
                    })
                    .collect()
            }
            Engine::Wasm(p) => {
                let answer = self
                    .wasm_call(
                        p,
                        json!({ "op": "receiveSyncChanges", "events": sync.events, "changed": changed,
                                "oneTimeKeyCounts": sync.one_time_key_counts,
                                "unusedFallbackKeys": sync.unused_fallback_keys }),
                    )
                    .await;
                answer
                    .as_array()
                    .expect("processed events")
                    .iter()
                    .map(|e| {
                        (
                            e["decrypted"] == json!(true),
                            e["type"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            }
        }
    }

    /// Decrypts an `m.room.encrypted` room event; Err with the engine's reason when it cannot.
    pub async fn decrypt(&self, room: &str, event: &Value) -> Result<Decrypted, String> {
        match &self.engine {
            Engine::Rust(m) => {
                let room = RoomId::parse(room).expect("room id");
                match m
                    .try_decrypt_room_event(&raw(event), &room, &untrusted())
                    .await
                    .expect("crypto store")
                {
                    RoomEventDecryptionResult::Decrypted(d) => Ok(Decrypted {
                        event: serde_json::from_str(d.event.json().get()).expect("event JSON"),
                        sender: d.encryption_info.sender.to_string(),
                        sender_device: d
                            .encryption_info
                            .sender_device
                            .as_ref()
                            .map(ToString::to_string),
                        mismatched_sender: d.encryption_info.verification_state
                            == VerificationState::Unverified(VerificationLevel::MismatchedSender),
                    }),
                    RoomEventDecryptionResult::UnableToDecrypt(info) => Err(format!("{info:?}")),
                }
            }
            Engine::Wasm(p) => {
                let answer = p
                    .lock()
                    .await
                    .try_call(json!({ "op": "decryptRoomEvent", "device": self.device,
                                      "roomId": room, "event": event }))
                    .await?;
                Ok(Decrypted {
                    event: answer["event"].clone(),
                    sender: answer["sender"].as_str().unwrap_or_default().to_owned(),
                    sender_device: answer["senderDevice"].as_str().map(str::to_owned),
                    mismatched_sender: answer["mismatchedSender"] == json!(true),
                })
            }
        }
    }

    /// Sends every outgoing request to the directory and hands back its answers, until the
    /// machine has nothing left to send.
    pub async fn pump(&self, directory: &mut KeyDirectory) {
        for _ in 0..10 {
            let requests = self.outgoing_requests().await;
            if requests.is_empty() {
                return;
            }
            for request in requests {
                let response = serve(directory, self, &request);
                self.mark_request_as_sent(&request.id, &request.kind, &response)
                    .await;
            }
        }
        panic!("{} still has requests after 10 rounds", self.device);
    }
}

/// The directory's answer to one request of `device`.
pub fn serve(directory: &mut KeyDirectory, device: &Device, request: &Request) -> Value {
    match request.kind.as_str() {
        "keysUpload" => directory.upload(&device.user, &device.device, &request.body),
        "keysQuery" => directory.query(&request.body),
        "keysClaim" => directory.claim(&request.body),
        "toDevice" => directory.send_to_device(
            &device.user,
            request.event_type.as_deref().expect("to-device event type"),
            &request.body,
        ),
        other => panic!(
            "{} sent a {other} request, which Parley does not serve",
            device.device
        ),
    }
}

fn event_type(json: &str) -> String {
    let event: Value = serde_json::from_str(json).expect("event JSON");
    event["type"].as_str().unwrap_or_default().to_owned()
}

/// The wasm peer's requests as [`Request`]s.
fn requests(answer: Value) -> Vec<Request> {
    answer
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| Request {
            id: r["id"].as_str().expect("request id").to_owned(),
            kind: r["kind"].as_str().expect("request kind").to_owned(),
            body: r["body"].clone(),
            event_type: r["eventType"].as_str().map(str::to_owned),
        })
        .collect()
}

/// `node web/test/olm-peer.mjs`: wasm OlmMachines behind newline-delimited JSON on stdio.
pub struct NodePeer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl NodePeer {
    /// Starts the peer. Panics with what to do when Node or the web client's packages are
    /// missing: this test proves the two clients interoperate, it must not pass without.
    pub async fn start() -> Arc<Mutex<NodePeer>> {
        let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web");
        let package = web.join("node_modules/@matrix-org/matrix-sdk-crypto-wasm/package.json");
        assert!(
            package.exists(),
            "{} is missing: install the web client's packages first (`make web-test`, or \
             `cd web && npm ci`); `make test` does this before the cargo tests",
            package.display()
        );
        let mut child = tokio::process::Command::new("node")
            .arg("test/olm-peer.mjs")
            .current_dir(&web)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `node` (Node.js 20 is needed for the interop test): {e}")
            });
        let stdin = child.stdin.take().expect("peer stdin");
        let stdout = BufReader::new(child.stdout.take().expect("peer stdout")).lines();
        Arc::new(Mutex::new(NodePeer {
            child,
            stdin,
            stdout,
            next_id: 0,
        }))
    }

    /// One request; Err with the peer's error message.
    pub async fn try_call(&mut self, mut request: Value) -> Result<Value, String> {
        self.next_id += 1;
        request["id"] = json!(self.next_id);
        let mut line = serde_json::to_string(&request).expect("request JSON");
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to the peer");
        let reply = match self.stdout.next_line().await.expect("read from the peer") {
            Some(reply) => reply,
            None => {
                let status = self.child.wait().await;
                panic!("the Node peer exited ({status:?}) during {}", request["op"]);
            }
        };
        let reply: Value = serde_json::from_str(&reply).expect("peer reply JSON");
        assert_eq!(
            reply["id"],
            json!(self.next_id),
            "reply to another request: {reply}"
        );
        match reply.get("error") {
            Some(error) => Err(error.as_str().unwrap_or_default().to_owned()),
            None => Ok(reply["ok"].clone()),
        }
    }

    /// One request that must succeed.
    pub async fn call(&mut self, request: Value) -> Value {
        let op = request["op"].clone();
        self.try_call(request)
            .await
            .unwrap_or_else(|e| panic!("the Node peer failed {op}: {e}"))
    }
}
