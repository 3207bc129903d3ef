//! End-to-end encryption in the client library (issue 15, stage 5), through the local stack:
//! two users' library clients (and a second device of one) exchange messages encrypted by
//! default and each reads the other's; the server's tables hold no plaintext (a raw scan of
//! every table finds the random canary only when encryption is off: the negative control
//! proves the scan looks where the text would be); a message whose room key comes after it
//! waits for its key and is decrypted once the key arrives (the sender here is a device of
//! the test's own, on a raw socket, that holds its key back on purpose).

use parley_client::crypto::{Answer, Crypto, CryptoError, KeyTransport, Outgoing};
use parley_client::events::Event;
use parley_client::store::{Encryption, Message};
use parley_client::{Options, To};
use parley_protocol::ConversationId;
use parley_tests::chat::fresh_id;
use parley_tests::client::{connect_as_device, Client as RawClient};
use parley_tests::library::Device;
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::dynamodb;
use parley_tests::users::sign_up;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn canary() -> String {
    format!("canary-{}", uuid::Uuid::new_v4().simple())
}

fn assert_decrypted(message: &Message, body: &str) {
    assert_eq!(message.body.as_deref(), Some(body), "{message:?}");
    assert!(
        matches!(message.encryption, Some(Encryption::Decrypted { .. })),
        "it came encrypted: {message:?}"
    );
}

/// Every item of every table of the stack, as text (attribute values as stored).
async fn all_tables_text(stack: &StackInfo) -> String {
    let db = dynamodb(stack);
    let tables = db.list_tables().send().await.expect("list the tables");
    let mut text = String::new();
    for table in tables.table_names() {
        let mut start = None;
        loop {
            let page = db
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan a table");
            for item in page.items() {
                text.push_str(&format!("{item:?}\n"));
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
    }
    text
}

#[tokio::test]
async fn two_users_and_a_second_device_read_each_other_and_the_tables_hold_no_plaintext() {
    let stack = stack::shared();
    let alice = sign_up(stack, "e2e-alice").await;
    let bob = sign_up(stack, "e2e-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let on = Options::default();
    let mut a1 = Device::start(stack, &dir.path().join("a1.redb"), &alice, on);
    let mut a2 = Device::start(stack, &dir.path().join("a2.redb"), &alice, on);
    let mut b = Device::start(stack, &dir.path().join("b.redb"), &bob, on);
    a1.synced().await;
    a2.synced().await;
    b.synced().await;

    // Bob's first message: to both of Alice's devices.
    let first = canary();
    let id = b
        .client
        .send_text(To::User(alice.user_id.clone()), first.clone())
        .await
        .unwrap();
    let on_a1 = a1.readable(&id).await;
    assert_decrypted(&on_a1, &first);
    assert_decrypted(&a2.readable(&id).await, &first);
    // Bob's own copy keeps the text he wrote.
    assert_decrypted(&b.readable(&id).await, &first);

    // Alice answers from her first device: Bob and her second device read it.
    let second = canary();
    let conversation = on_a1.conversation.clone();
    let reply = a1
        .client
        .send_text(To::Conversation(conversation.clone()), second.clone())
        .await
        .unwrap();
    assert_decrypted(&b.readable(&reply).await, &second);
    assert_decrypted(&a2.readable(&reply).await, &second);

    // Each device lists the other user's devices: both of Alice's for Bob.
    let devices = b.client.devices(&alice.user_id).await.unwrap();
    let mut ids: Vec<&str> = devices.iter().map(|d| d.device_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![
        a1.client.device_id().unwrap(),
        a2.client.device_id().unwrap(),
    ];
    expected.sort();
    assert_eq!(ids, expected, "{devices:?}");
    assert!(devices.iter().all(|d| d.ed25519.is_some()), "{devices:?}");

    // The server holds ciphertext only.
    let tables = all_tables_text(stack).await;
    assert!(
        tables.contains(&on_a1.message_id),
        "the scan sees the messages"
    );
    for text in [&first, &second] {
        assert!(!tables.contains(text.as_str()), "{text} is in a table");
    }

    // Negative control: the same scan finds a message sent with encryption off.
    let plain_dir = tempfile::tempdir().unwrap();
    let off = Options { encryption: false };
    let mut plain = Device::start(stack, &plain_dir.path().join("p.redb"), &bob, off);
    plain.synced().await;
    let clear = canary();
    let clear_id = plain
        .client
        .send_text(To::Conversation(conversation), clear.clone())
        .await
        .unwrap();
    let got = a1.readable(&clear_id).await;
    assert_eq!(got.body.as_deref(), Some(clear.as_str()));
    assert_eq!(got.encryption, None, "sent in the clear: {got:?}");
    assert!(all_tables_text(stack).await.contains(&clear));
}

/// Key requests over a raw socket of the test's own, which can hold the room keys back.
struct RawTransport {
    socket: RawClient,
    /// Hold `sendToDevice` frames here instead of sending them (answered as sent).
    hold: bool,
    held: Vec<Value>,
}

impl RawTransport {
    async fn request(&mut self, mut frame: Value, reply: &str) -> Value {
        let id = fresh_id("k");
        frame["id"] = json!(id);
        self.socket.send_json(&frame).await;
        let got = self
            .socket
            .frame_where(&format!("the {reply} to {id}"), |f| {
                f["id"] == id.as_str()
                    && (f["type"] == reply || f["type"] == "error")
                    && f["more"] != true
            })
            .await;
        assert_eq!(got["type"], reply, "{got}");
        got
    }

    async fn release(&mut self) {
        for frame in std::mem::take(&mut self.held) {
            self.request(frame, "toDeviceSent").await;
        }
    }
}

fn by_user<T: serde::de::DeserializeOwned>(value: &Value) -> BTreeMap<String, T> {
    serde_json::from_value(value.clone()).expect("a map by user")
}

impl KeyTransport for RawTransport {
    async fn send(&mut self, request: &Outgoing) -> Result<Answer, CryptoError> {
        Ok(match request {
            Outgoing::KeysUpload {
                device_keys,
                one_time_keys,
                fallback_keys,
                ..
            } => {
                let mut frame = json!({"action": "keysUpload", "oneTimeKeys": one_time_keys,
                                       "fallbackKeys": fallback_keys});
                if let Some(keys) = device_keys {
                    frame["deviceKeys"] = keys.clone();
                }
                let reply = self.request(frame, "keysUploaded").await;
                Answer::KeysUploaded {
                    one_time_key_counts: by_user(&reply["oneTimeKeyCounts"]),
                }
            }
            Outgoing::KeysQuery { users, .. } => {
                let reply = self
                    .request(json!({"action": "keysQuery", "users": users}), "keys")
                    .await;
                Answer::Keys {
                    devices: by_user(&reply["devices"]),
                }
            }
            Outgoing::KeysClaim { devices, .. } => {
                let reply = self
                    .request(
                        json!({"action": "keysClaim", "devices": devices}),
                        "claimed",
                    )
                    .await;
                Answer::Claimed {
                    one_time_keys: by_user(&reply["oneTimeKeys"]),
                }
            }
            Outgoing::ToDevice {
                event_type,
                messages,
                ..
            } => {
                let frame = json!({"action": "sendToDevice", "eventType": event_type,
                                   "messages": messages});
                if self.hold {
                    self.held.push(frame);
                } else {
                    self.request(frame, "toDeviceSent").await;
                }
                Answer::ToDeviceSent
            }
        })
    }
}

#[tokio::test]
async fn a_message_that_came_before_its_key_waits_and_is_decrypted_when_the_key_arrives() {
    let stack = stack::shared();
    let alice = sign_up(stack, "late-alice").await;
    let bob = sign_up(stack, "late-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = Device::start(
        stack,
        &dir.path().join("a.redb"),
        &alice,
        Options::default(),
    );
    a.synced().await;

    // Bob's device: the library's engine, on a socket the test drives.
    let socket = connect_as_device(stack, &bob.id_token, "BOBRAWDEVICE")
        .await
        .expect("connect Bob's device");
    let mut transport = RawTransport {
        socket,
        hold: true,
        held: Vec::new(),
    };
    let crypto = Crypto::in_memory(&bob.user_id, "BOBRAWDEVICE")
        .await
        .unwrap();
    crypto.process_outgoing(&mut transport).await.unwrap();

    // The message first: its room key is held back.
    let conversation = ConversationId::direct(&alice.user_id, &bob.user_id);
    let text = canary();
    let encrypted = crypto
        .encrypt(
            &mut transport,
            &conversation,
            std::slice::from_ref(&alice.user_id),
            &json!({ "body": text }),
        )
        .await
        .unwrap();
    assert!(!transport.held.is_empty(), "the room key is held back");
    transport
        .request(
            json!({"action": "send", "toUser": alice.user_id, "encrypted": encrypted}),
            "sent",
        )
        .await;
    let waiting = a
        .until("the message, waiting for its key", |e| match e {
            Event::Message(m) if m.from == bob.user_id => Some(m.clone()),
            _ => None,
        })
        .await;
    assert!(waiting.is_waiting_for_key(), "{waiting:?}");
    assert_eq!(waiting.body, None);

    // The key arrives: the stored message is decrypted and handed out again.
    transport.release().await;
    let decrypted = a
        .until("the message, decrypted", |e| match e {
            Event::Decrypted(m) if m.seq == waiting.seq => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(decrypted.conversation, waiting.conversation);
    assert_decrypted(&decrypted, &text);
}
