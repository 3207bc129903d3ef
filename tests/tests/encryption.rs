//! End-to-end encryption in the client library (issue 15, stage 5), through the local stack:
//! two users' library clients (and a second device of one) exchange messages encrypted by
//! default and each reads the other's; the server's tables hold no plaintext (a raw scan of
//! every table finds the random canary only when encryption is off: the negative control
//! proves the scan looks where the text would be); a message whose room key comes after it
//! waits for its key and is decrypted once the key arrives (the sender here is a device of
//! the test's own, on a raw socket, that holds its key back on purpose).
//!
//! Files, edits and reactions go encrypted too: a file's bytes reach the bucket encrypted
//! under a neutral name and type and come back whole on the other user's and a second
//! device; an edit's text and a reaction's emoji are read by the other side and are in no
//! table. A member removed from a group cannot decrypt what is sent after the removal.

use parley_client::crypto::{Answer, Crypto, CryptoError, KeyTransport, Outgoing};
use parley_client::events::{ConnectionState, Event};
use parley_client::store::{Encryption, Message};
use parley_client::{Client, KeepTokens, Options, Store, To};
use parley_protocol::ConversationId;
use parley_tests::chat::fresh_id;
use parley_tests::client::{connect_as_device, Client as RawClient};
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::dynamodb;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// How long any one expected event may take.
const WAIT: Duration = Duration::from_secs(30);

struct Device {
    client: Client,
    events: UnboundedReceiver<Event>,
}

fn start(stack: &StackInfo, path: &Path, user: &TestUser, options: Options) -> Device {
    let store = Store::open(path).expect("open the store");
    if store.tokens().unwrap().is_none() {
        store.save_tokens(&user.tokens).unwrap();
    }
    let (client, events) =
        Client::start_with(&stack.websocket_url, Arc::new(store), KeepTokens, options)
            .expect("start the client");
    Device { client, events }
}

impl Device {
    async fn until<T>(&mut self, what: &str, mut wanted: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    if let Some(found) = wanted(&event) {
                        return found;
                    }
                }
                Ok(None) => panic!("the client stopped while waiting for {what}"),
                Err(_) => panic!("{what} did not come within {WAIT:?}"),
            }
        }
    }

    async fn synced(&mut self) {
        self.until("the catch-up sync", |e| {
            matches!(e, Event::Connection(ConnectionState::Synced)).then_some(())
        })
        .await;
    }

    /// The message with client id `id` as this device can read it: decrypted on arrival,
    /// or once its key came.
    async fn readable(&mut self, id: &str) -> Message {
        self.until(&format!("message {id}, readable"), |e| match e {
            Event::Message(m) | Event::Decrypted(m) if m.id == id && !m.is_waiting_for_key() => {
                Some(m.clone())
            }
            _ => None,
        })
        .await
    }
}

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
    let mut a1 = start(stack, &dir.path().join("a1.redb"), &alice, on);
    let mut a2 = start(stack, &dir.path().join("a2.redb"), &alice, on);
    let mut b = start(stack, &dir.path().join("b.redb"), &bob, on);
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
    let mut plain = start(stack, &plain_dir.path().join("p.redb"), &bob, off);
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
    let mut a = start(
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

impl Device {
    /// Stops the client and waits for its worker to end (the store is free again).
    async fn stop(self) {
        let Device { client, mut events } = self;
        drop(client);
        while tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("the worker stops")
            .is_some()
        {}
    }

    /// The message at `seq` once this device shows it changed as `wanted`.
    async fn changed(
        &mut self,
        what: &str,
        seq: u64,
        wanted: impl Fn(&Message) -> bool,
    ) -> Message {
        self.until(what, |e| {
            let message = match e {
                Event::Changed { message, .. } => message.as_ref(),
                Event::Decrypted(message) => message,
                _ => return None,
            };
            (message.seq == seq && wanted(message)).then(|| message.clone())
        })
        .await
    }
}

#[tokio::test]
async fn an_encrypted_file_reaches_the_other_user_and_a_second_device_and_the_bucket_holds_ciphertext(
) {
    let stack = stack::shared();
    let alice = sign_up(stack, "e2e-file-alice").await;
    let bob = sign_up(stack, "e2e-file-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let on = Options::default();
    let mut a1 = start(stack, &dir.path().join("a1.redb"), &alice, on);
    let mut a2 = start(stack, &dir.path().join("a2.redb"), &alice, on);
    let mut b = start(stack, &dir.path().join("b.redb"), &bob, on);
    a1.synced().await;
    a2.synced().await;
    b.synced().await;

    // The canary is the file's text (repeated past one read) and its name.
    let secret = canary();
    let content = secret.repeat(20_000).into_bytes();
    let name = format!("{secret}.txt");
    let source = dir.path().join(&name);
    std::fs::write(&source, &content).unwrap();
    let attachment = b
        .client
        .upload(
            &source,
            To::User(alice.user_id.clone()),
            "text/plain",
            |_, _| {},
        )
        .await
        .unwrap();
    assert_eq!(
        (attachment.name.as_str(), attachment.content_type.as_str()),
        (name.as_str(), "text/plain")
    );
    assert_eq!(attachment.size, content.len() as u64);
    let id = b
        .client
        .send_attachment(To::User(alice.user_id.clone()), attachment.clone(), None)
        .await
        .unwrap();

    // Both of Alice's devices read the real name and type, and download the bytes whole.
    for (device, file) in [(&mut a1, "a1.txt"), (&mut a2, "a2.txt")] {
        let got = device.readable(&id).await;
        assert!(
            matches!(got.encryption, Some(Encryption::Decrypted { .. })),
            "{got:?}"
        );
        assert_eq!(got.attachment.as_ref(), Some(&attachment), "{got:?}");
        assert!(got.file.is_some(), "the key came inside: {got:?}");
        let target = dir.path().join(file);
        let size = device
            .client
            .download(&attachment.key, &target, |_, _| {})
            .await
            .unwrap();
        assert_eq!(size, content.len() as u64);
        assert_eq!(std::fs::read(&target).unwrap(), content);
    }
    // Bob's own copy names the real file, and he can download it too.
    let own = b.readable(&id).await;
    assert_eq!(own.attachment.as_ref(), Some(&attachment), "{own:?}");
    let again = dir.path().join("b.txt");
    b.client
        .download(&attachment.key, &again, |_, _| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), content);

    // The bucket holds ciphertext of the same length under a neutral type; the tables
    // hold neither the text nor the file's name, only the object's key.
    let (stored, content_type) = parley_tests::bucket::object_bytes(stack, &attachment.key).await;
    assert_eq!(stored.len(), content.len());
    assert_eq!(content_type.as_deref(), Some("application/octet-stream"));
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the stored object holds the plaintext"
    );
    let tables = all_tables_text(stack).await;
    assert!(
        tables.contains(&attachment.key),
        "the scan sees the message"
    );
    assert!(
        !tables.contains(&secret),
        "the file's name or text is in a table"
    );

    // Negative control: with encryption off the same upload is stored as it is.
    let plain_dir = tempfile::tempdir().unwrap();
    let mut plain = start(
        stack,
        &plain_dir.path().join("p.redb"),
        &bob,
        Options { encryption: false },
    );
    plain.synced().await;
    let clear = plain
        .client
        .upload(
            &source,
            To::User(alice.user_id.clone()),
            "text/plain",
            |_, _| {},
        )
        .await
        .unwrap();
    let (stored, _) = parley_tests::bucket::object_bytes(stack, &clear.key).await;
    assert_eq!(stored, content);
}

#[tokio::test]
async fn an_encrypted_edit_and_reaction_are_read_by_the_other_side_and_in_no_table() {
    let stack = stack::shared();
    let alice = sign_up(stack, "e2e-change-alice").await;
    let bob = sign_up(stack, "e2e-change-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let on = Options::default();
    let mut a = start(stack, &dir.path().join("a.redb"), &alice, on);
    let mut b = start(stack, &dir.path().join("b.redb"), &bob, on);
    // Alice's second device: away while the changes are made, it gets them by sync.
    let a2_path = dir.path().join("a2.redb");
    let mut a2 = start(stack, &a2_path, &alice, on);
    a.synced().await;
    b.synced().await;
    a2.synced().await;

    let first = canary();
    let id = b
        .client
        .send_text(To::User(alice.user_id.clone()), first.clone())
        .await
        .unwrap();
    let on_a = a.readable(&id).await;
    assert_decrypted(&on_a, &first);
    let (conversation, seq) = (on_a.conversation.clone(), on_a.seq);
    assert_decrypted(&a2.readable(&id).await, &first);
    a2.stop().await;

    // Bob edits: Alice reads the new text.
    let edit = canary();
    b.client
        .edit(conversation.clone(), seq, edit.clone())
        .await
        .unwrap();
    let edited = a
        .changed("the edit", seq, |m| m.text() == Some(edit.as_str()))
        .await;
    assert!(edited.is_edited());

    // Alice reacts with an emoji no other test uses: Bob sees it.
    let emoji = "🪼";
    a.client
        .react(conversation.clone(), seq, emoji)
        .await
        .unwrap();
    let reacted = b
        .changed("the reaction", seq, |m| {
            !m.state.reaction_counts().is_empty()
        })
        .await;
    assert_eq!(
        reacted.state.reaction_counts(),
        [(emoji.to_owned(), vec![alice.user_id.clone()])]
    );
    // Each side's own copy agrees.
    let mine = a.client.message(&conversation, seq).unwrap().unwrap();
    assert_eq!(mine.text(), Some(edit.as_str()));

    // Alice's second device comes back: by sync, the edit and the reaction decrypt and fold
    // into the message as on the others.
    let mut a2 = start(stack, &a2_path, &alice, on);
    let back = a2
        .changed("the changes by sync", seq, |m| {
            m.text() == Some(edit.as_str()) && !m.state.reaction_counts().is_empty()
        })
        .await;
    assert_eq!(
        back.state.reaction_counts(),
        [(emoji.to_owned(), vec![alice.user_id.clone()])]
    );
    assert!(!back.has_sealed_changes(), "{back:?}");

    // The entries were stored as ciphertext: neither the text nor the emoji is in a table.
    let tables = all_tables_text(stack).await;
    assert!(
        tables.contains(&on_a.message_id),
        "the scan sees the messages"
    );
    assert!(!tables.contains(&edit), "the edit's text is in a table");
    assert!(!tables.contains(emoji), "the emoji is in a table");
    // The entries (the edit at seq + 1, the reaction at seq + 2) went as ciphertext.
    for n in [seq + 1, seq + 2] {
        let sk = format!("s#{n:012}");
        let item = parley_tests::tables::message_item(stack, conversation.as_str(), &sk)
            .await
            .unwrap_or_else(|| panic!("the change entry {sk} is stored"));
        assert!(
            item.contains_key("encrypted"),
            "{sk} went encrypted: {item:?}"
        );
    }
}

#[tokio::test]
async fn a_member_removed_from_a_group_cannot_decrypt_messages_sent_after_the_removal() {
    let stack = stack::shared();
    let admin = sign_up(stack, "e2e-rm-admin").await;
    let stays = sign_up(stack, "e2e-rm-stays").await;
    let goes = sign_up(stack, "e2e-rm-goes").await;
    let dir = tempfile::tempdir().unwrap();
    let on = Options::default();
    let mut a = start(stack, &dir.path().join("a.redb"), &admin, on);
    let mut s = start(stack, &dir.path().join("s.redb"), &stays, on);
    let mut g = start(stack, &dir.path().join("g.redb"), &goes, on);
    a.synced().await;
    s.synced().await;
    g.synced().await;
    let group = a
        .client
        .create_group(
            "e2e removal",
            vec![stays.user_id.clone(), goes.user_id.clone()],
        )
        .await
        .unwrap()
        .conversation;

    // Before the removal: the member who will go reads the group's message.
    let before = canary();
    let id = a
        .client
        .send_text(To::Conversation(group.clone()), before.clone())
        .await
        .unwrap();
    let on_goes = g.readable(&id).await;
    assert_decrypted(&on_goes, &before);
    assert_decrypted(&s.readable(&id).await, &before);

    a.client
        .remove_members(group.clone(), vec![goes.user_id.clone()])
        .await
        .unwrap();
    let after = canary();
    let id = a
        .client
        .send_text(To::Conversation(group.clone()), after.clone())
        .await
        .unwrap();
    // The member who stays reads it (so it was sent and delivered) ...
    let on_stays = s.readable(&id).await;
    assert_decrypted(&on_stays, &after);

    // ... and the one removed, handed its raw stored ciphertext, has no key for it.
    let item = parley_tests::tables::message_item(
        stack,
        group.as_str(),
        &format!("s#{:012}", on_stays.seq),
    )
    .await
    .expect("the message is stored");
    let encrypted = item["encrypted"].as_s().expect("stored encrypted").clone();
    let crypto = g.client.crypto().await.unwrap().expect("encryption is on");
    let refused = crypto
        .decrypt(
            &group,
            &admin.user_id,
            &on_stays.message_id,
            on_stays.ts as u64,
            &encrypted,
        )
        .await;
    assert!(
        matches!(refused, Err(CryptoError::MissingKey { .. })),
        "{refused:?}"
    );
    // A new room key: the session the removed member holds is not the one used now.
    let session = |content: &str| -> String {
        serde_json::from_str::<Value>(content).unwrap()["session_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let Some(Encryption::Decrypted { .. }) = on_goes.encryption else {
        panic!("{on_goes:?}")
    };
    let first = parley_tests::tables::message_item(
        stack,
        group.as_str(),
        &format!("s#{:012}", on_goes.seq),
    )
    .await
    .expect("the first message is stored");
    assert_ne!(
        session(first["encrypted"].as_s().unwrap()),
        session(&encrypted),
        "the room key was rotated"
    );
    // The same device still decrypts the message from before the removal.
    let opened = crypto
        .decrypt(
            &group,
            &admin.user_id,
            &on_goes.message_id,
            on_goes.ts as u64,
            first["encrypted"].as_s().unwrap(),
        )
        .await
        .expect("the message from before the removal decrypts");
    assert_eq!(opened.content["body"], before.as_str());
}
