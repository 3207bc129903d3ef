//! End-to-end encryption, stage 0 (docs/proposals/e2e-encryption.md §12): the Rust client's
//! engine (matrix-sdk-crypto 0.18) and the web client's (@matrix-org/matrix-sdk-crypto-wasm
//! 18.9, matrix-sdk-crypto 0.19.1 inside) read each other's messages.
//!
//! A toy key directory (tests/support/key_directory.rs: what the server will be, in HashMaps)
//! carries device keys, one-time keys and to-device messages between OlmMachines of both
//! engines; the wasm ones run in `node web/test/olm-peer.mjs`. Each test asserts the decrypted
//! plaintext, the sender and its device, so a failed or spoofed decryption fails it. Needs
//! Node and web/node_modules (`make test` installs them before the cargo tests): without
//! them the wasm test fails with what to install, it never skips.

mod support;

use serde_json::{json, Value};
use support::devices::{serve, Device, NodePeer};
use support::key_directory::KeyDirectory;

/// A group's Megolm room id as the memo derives it (`!` + conversation id, `:`→`.`, `:parley`).
const ROOM: &str = "!g.0123456789abcdef0123456789abcdef:parley";
/// The decrypted event type both clients agree on (memo §8).
const MESSAGE_TYPE: &str = "parley.message";

const ALICE: &str = "@4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15:parley";
const BOB: &str = "@9b2f0c3e-71d4-4c55-a1f0-2e8d6b4f9c70:parley";
const CAROL: &str = "@c4201f5e-0a6b-4d3c-9e8f-7a1b2c3d4e5f:parley";
const DAVE: &str = "@d7e8f9a0-b1c2-4d3e-8f4a-5b6c7d8e9f01:parley";

/// Uploads every device's keys, then has each track every member (keys/query), as clients
/// will on connect.
async fn join(directory: &mut KeyDirectory, members: &[&Device]) {
    for device in members {
        device.pump(directory).await;
    }
    let users: Vec<&str> = members.iter().map(|d| d.user.as_str()).collect();
    for device in members {
        device.update_tracked_users(&users).await;
        device.pump(directory).await;
    }
}

/// The sender's side of one room message (memo §6.1): Olm sessions for the members' devices
/// that lack one, the room key to them, then the Megolm-encrypted event as the server will
/// store and deliver it.
async fn send(
    directory: &mut KeyDirectory,
    sender: &Device,
    members: &[&Device],
    n: u64,
    body: &str,
) -> Value {
    let users: Vec<&str> = members.iter().map(|d| d.user.as_str()).collect();
    sender.update_tracked_users(&users).await;
    sender.pump(directory).await;
    if let Some(claim) = sender.missing_sessions(&users).await {
        let answer = serve(directory, sender, &claim);
        sender
            .mark_request_as_sent(&claim.id, &claim.kind, &answer)
            .await;
    }
    for request in sender.share_room_key(ROOM, &users).await {
        let answer = serve(directory, sender, &request);
        sender
            .mark_request_as_sent(&request.id, &request.kind, &answer)
            .await;
    }
    let content = sender
        .encrypt(ROOM, MESSAGE_TYPE, &json!({ "body": body }))
        .await;
    assert_eq!(content["algorithm"], "m.megolm.v1.aes-sha2", "{content}");
    assert!(
        !content.to_string().contains(body),
        "the plaintext leaked: {content}"
    );
    json!({
        "type": "m.room.encrypted",
        "sender": sender.user,
        "event_id": format!("$01JDX4P7Q8R9S0T1U2V3W4X5Y{n}"),
        "origin_server_ts": 1_764_068_700_000u64 + n,
        "content": content,
    })
}

/// The receiver's side: sync its to-device inbox (room keys arrive there), then decrypt and
/// check the message is `body` from `sender`'s device.
async fn receive(
    directory: &mut KeyDirectory,
    receiver: &Device,
    sender: &Device,
    event: &Value,
    body: &str,
) {
    let sync = directory.sync(&receiver.user, &receiver.device);
    for (decrypted, event_type) in receiver.receive_sync(sync, &[]).await {
        assert!(
            decrypted,
            "{} could not decrypt a to-device {event_type} (from {})",
            receiver.device, sender.device
        );
    }
    let message = receiver
        .decrypt(ROOM, event)
        .await
        .unwrap_or_else(|reason| {
            panic!(
                "{} could not decrypt {}'s message: {reason}",
                receiver.device, sender.device
            )
        });
    assert_eq!(message.event["type"], MESSAGE_TYPE, "{}", message.event);
    assert_eq!(message.event["content"]["body"], body, "{}", message.event);
    assert_eq!(message.event["room_id"], ROOM, "{}", message.event);
    assert_eq!(message.sender, sender.user);
    assert_eq!(
        message.sender_device.as_deref(),
        Some(sender.device.as_str())
    );
    assert!(
        !message.mismatched_sender,
        "{}: sender mismatch on a genuine message",
        receiver.device
    );
}

/// The same event presented as another member's: decrypts, but the receiver flags it.
async fn assert_spoof_flagged(receiver: &Device, event: &Value, claimed: &Device) {
    let mut spoofed = event.clone();
    spoofed["sender"] = json!(claimed.user);
    let message = receiver
        .decrypt(ROOM, &spoofed)
        .await
        .unwrap_or_else(|reason| panic!("{}: {reason}", receiver.device));
    assert!(
        message.mismatched_sender,
        "{} did not notice a message passed off as {}'s",
        receiver.device, claimed.device
    );
}

#[tokio::test]
async fn two_rust_machines_read_each_other() {
    let mut directory = KeyDirectory::default();
    let alice = Device::rust(ALICE, "ALICEPHONE01").await;
    let bob = Device::rust(BOB, "BOBLAPTOP002").await;
    join(&mut directory, &[&alice, &bob]).await;
    let bob_keys = directory.one_time_keys_left(BOB, "BOBLAPTOP002");
    assert!(bob_keys > 0, "bob uploaded no one-time keys");

    let hello = send(&mut directory, &alice, &[&alice, &bob], 1, "hello bob").await;
    assert_eq!(
        directory.one_time_keys_left(BOB, "BOBLAPTOP002"),
        bob_keys - 1,
        "alice claimed one of bob's one-time keys"
    );
    receive(&mut directory, &bob, &alice, &hello, "hello bob").await;

    let reply = send(&mut directory, &bob, &[&alice, &bob], 2, "hi alice").await;
    receive(&mut directory, &alice, &bob, &reply, "hi alice").await;
}

#[tokio::test]
async fn rust_and_wasm_machines_read_each_other() {
    let peer = NodePeer::start().await;
    let mut directory = KeyDirectory::default();
    let alice = Device::rust(ALICE, "ALICEPHONE01").await;
    let bob = Device::rust(BOB, "BOBLAPTOP002").await;
    let carol = Device::wasm(&peer, CAROL, "CAROLBROWSER").await;
    let dave = Device::wasm(&peer, DAVE, "DAVEBROWSER1").await;
    let members = [&alice, &bob, &carol, &dave];
    join(&mut directory, &members).await;

    // wasm → Rust: carol (wasm) opens Olm sessions with alice's and bob's Rust devices (pre-key
    // messages from wasm) and dave's, sends the room key, then the Megolm message.
    let alice_keys = directory.one_time_keys_left(ALICE, "ALICEPHONE01");
    let from_wasm = send(&mut directory, &carol, &members, 1, "hello from the web").await;
    assert_eq!(
        directory.one_time_keys_left(ALICE, "ALICEPHONE01"),
        alice_keys - 1,
        "carol claimed a key of alice's"
    );
    for receiver in [&alice, &bob, &dave] {
        receive(
            &mut directory,
            receiver,
            &carol,
            &from_wasm,
            "hello from the web",
        )
        .await;
    }

    // Rust → wasm: alice (Rust) shares her own room key with carol (the Olm session carol
    // opened) and dave (a new one: a pre-key message from Rust to wasm).
    let dave_keys = directory.one_time_keys_left(DAVE, "DAVEBROWSER1");
    let from_rust = send(
        &mut directory,
        &alice,
        &members,
        2,
        "hello from the terminal",
    )
    .await;
    assert_eq!(
        directory.one_time_keys_left(DAVE, "DAVEBROWSER1"),
        dave_keys - 1,
        "alice claimed a key of dave's"
    );
    for receiver in [&bob, &carol, &dave] {
        receive(
            &mut directory,
            receiver,
            &alice,
            &from_rust,
            "hello from the terminal",
        )
        .await;
    }

    // A second message in each Megolm session (ratchet index 1), no new room key.
    let again_wasm = send(&mut directory, &carol, &members, 3, "second from the web").await;
    receive(
        &mut directory,
        &alice,
        &carol,
        &again_wasm,
        "second from the web",
    )
    .await;
    let again_rust = send(
        &mut directory,
        &alice,
        &members,
        4,
        "second from the terminal",
    )
    .await;
    receive(
        &mut directory,
        &dave,
        &alice,
        &again_rust,
        "second from the terminal",
    )
    .await;

    // Sender binding across engines: a message re-labelled as another member's is flagged.
    assert_spoof_flagged(&alice, &from_wasm, &bob).await;
    assert_spoof_flagged(&carol, &from_rust, &dave).await;
}

/// Files, both ways between the engines (issue 15): a file the web client encrypts
/// (`Attachment.encrypt`, the wasm) decrypts with the Rust library's `decrypt_file`, and one
/// the Rust library encrypts (`encrypt_file`) decrypts in the wasm: the same key format
/// (`MediaEncryptionInfo`: `v`, `key`, `iv`, `hashes`) and ciphertext. A changed byte fails
/// the hash on either side.
#[tokio::test]
async fn rust_and_wasm_read_each_other_s_encrypted_files() {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use parley_client::crypto::{decrypt_file, encrypt_file};

    let peer = NodePeer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..70_000u32).map(|n| (n * 7 % 251) as u8).collect();

    // wasm → Rust.
    let sealed = peer
        .lock()
        .await
        .call(json!({"op": "encryptFile", "data": STANDARD.encode(&content)}))
        .await;
    let ciphertext = STANDARD.decode(sealed["data"].as_str().unwrap()).unwrap();
    assert_ne!(ciphertext, content);
    let (from_web, plain) = (dir.path().join("web.enc"), dir.path().join("web.out"));
    std::fs::write(&from_web, &ciphertext).unwrap();
    assert_eq!(
        decrypt_file(&from_web, &plain, &sealed["file"]).unwrap(),
        content.len() as u64
    );
    assert_eq!(std::fs::read(&plain).unwrap(), content);
    let mut tampered = ciphertext.clone();
    tampered[500] ^= 0x80;
    std::fs::write(&from_web, &tampered).unwrap();
    assert!(decrypt_file(&from_web, &plain, &sealed["file"]).is_err());

    // Rust → wasm.
    let (source, to_web) = (dir.path().join("rust.bin"), dir.path().join("rust.enc"));
    std::fs::write(&source, &content).unwrap();
    let file = encrypt_file(&source, &to_web).unwrap();
    let ciphertext = std::fs::read(&to_web).unwrap();
    let opened = peer
        .lock()
        .await
        .call(json!({"op": "decryptFile", "data": STANDARD.encode(&ciphertext), "file": file}))
        .await;
    assert_eq!(
        STANDARD.decode(opened["data"].as_str().unwrap()).unwrap(),
        content
    );
    let mut tampered = ciphertext;
    tampered[0] ^= 1;
    let refused = peer
        .lock()
        .await
        .try_call(json!({"op": "decryptFile", "data": STANDARD.encode(&tampered), "file": file}))
        .await;
    assert!(refused.is_err(), "{refused:?}");
}
