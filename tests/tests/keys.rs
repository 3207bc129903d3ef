//! End-to-end encryption's server side (issue 15), end to end through the local stack: the
//! key directory (`keysUpload`, `keysQuery`, `keysClaim`: each one-time key handed out exactly
//! once, even to concurrent claimers, then the fallback key), a device acting only for
//! itself, and the per-device inbox (`sendToDevice` live, `toDeviceSync` after a reconnect,
//! `toDeviceAck` removing). The keys here are well-formed stand-ins: the server checks shapes,
//! never signatures, and runs no cryptography.

use futures_util::future::join_all;
use parley_tests::chat::*;
use parley_tests::client::{connect_as_device, Client, Refused};
use parley_tests::stack;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// A 32-byte key in unpadded base64 (43 characters), distinct for each `n`.
fn public_key(n: usize) -> String {
    format!("{n:0>43}")
}

/// A 64-byte signature in unpadded base64 (86 characters).
fn signature() -> String {
    "S".repeat(86)
}

fn matrix_id(user: &TestUser) -> String {
    format!("@{}:parley", user.user_id)
}

fn device_keys(user: &TestUser, device: &str, seed: usize) -> Value {
    json!({
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "device_id": device,
        "keys": {
            format!("curve25519:{device}"): public_key(seed),
            format!("ed25519:{device}"): public_key(seed + 1),
        },
        "signatures": {matrix_id(user): {format!("ed25519:{device}"): signature()}},
        "user_id": matrix_id(user),
    })
}

/// Signed one-time keys `signed_curve25519:<device>-<n>` for `n` in `numbers`, signed by
/// `signer` of `user`.
fn one_time_keys(
    user: &TestUser,
    device: &str,
    signer: &str,
    numbers: std::ops::Range<usize>,
) -> Value {
    let keys: Map<String, Value> = numbers
        .map(|n| {
            (
                format!("signed_curve25519:{device}-{n}"),
                json!({"key": public_key(1000 + n),
                       "signatures": {matrix_id(user): {format!("ed25519:{signer}"): signature()}}}),
            )
        })
        .collect();
    Value::Object(keys)
}

fn fallback_key(user: &TestUser, device: &str) -> Value {
    json!({format!("signed_curve25519:{device}-fallback"): {
        "key": public_key(9), "fallback": true,
        "signatures": {matrix_id(user): {format!("ed25519:{device}"): signature()}}}})
}

/// Sends `frame` (given an `id`) and returns its reply: the frame of `kind` or the `error`.
async fn request(client: &mut Client, mut frame: Value, kind: &str) -> Value {
    let id = fresh_id(frame["action"].as_str().unwrap());
    frame["id"] = json!(id);
    client.send_json(&frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == kind || f["type"] == "error")
        })
        .await
}

/// The reply to a frame without an `id` (`toDeviceSync`, `toDeviceAck`): the next frame of
/// `kind` or an `error`.
async fn reply_of_kind(client: &mut Client, frame: Value, kind: &str) -> Value {
    client.send_json(&frame).await;
    client
        .frame_where(&format!("a {kind} or error"), |f| {
            f["type"] == kind || f["type"] == "error"
        })
        .await
}

/// Uploads `device`'s identity keys with `one_time` one-time keys and a fallback key.
async fn register(client: &mut Client, user: &TestUser, device: &str, one_time: usize) -> Value {
    let reply = request(
        client,
        json!({"action": "keysUpload", "deviceKeys": device_keys(user, device, 1),
               "oneTimeKeys": one_time_keys(user, device, device, 0..one_time),
               "fallbackKeys": fallback_key(user, device)}),
        "keysUploaded",
    )
    .await;
    assert_eq!(reply["type"], "keysUploaded", "{reply}");
    reply
}

fn assert_refused(reply: &Value, code: &str, says: &str) {
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], code, "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

/// The one key name of a claimed device's entry.
fn claimed_key(reply: &Value, user: &TestUser, device: &str) -> Option<String> {
    let entry = reply["oneTimeKeys"][&user.user_id][device].as_object()?;
    assert_eq!(entry.len(), 1, "one key per device: {reply}");
    entry.keys().next().cloned()
}

#[tokio::test]
async fn keys_go_up_are_found_and_each_one_time_key_is_handed_out_once() {
    let stack = stack::shared();
    let alice = sign_up(stack, "keys-alice").await;
    let bob = sign_up(stack, "keys-bob").await;
    let mut a = keyed_device(stack, &alice, "ALICEPHONE").await;
    let mut b = keyed_device(stack, &bob, "BOBLAPTOP").await;

    let uploaded = register(&mut a, &alice, "ALICEPHONE", 3).await;
    assert_eq!(
        uploaded["oneTimeKeyCounts"],
        json!({"signed_curve25519": 3})
    );
    assert_eq!(uploaded["unusedFallbackKeys"], json!(["signed_curve25519"]));

    let nobody = "no-such-user";
    let found = request(
        &mut b,
        json!({"action": "keysQuery", "users": [alice.user_id, bob.user_id, nobody]}),
        "keys",
    )
    .await;
    assert_eq!(found["type"], "keys", "{found}");
    assert_eq!(found["more"], false);
    assert_eq!(
        found["devices"][&alice.user_id],
        json!({"ALICEPHONE": device_keys(&alice, "ALICEPHONE", 1)}),
        "the identity keys come back as uploaded"
    );
    assert_eq!(
        found["devices"][&bob.user_id],
        json!({}),
        "bob has no keys yet"
    );
    assert_eq!(found["devices"][nobody], json!({}));

    let mut handed_out = Vec::new();
    for _ in 0..4 {
        let claimed = request(
            &mut b,
            json!({"action": "keysClaim", "devices": {&alice.user_id: ["ALICEPHONE", "NOSUCHDEVICE"]}}),
            "claimed",
        )
        .await;
        assert_eq!(claimed["type"], "claimed", "{claimed}");
        assert!(
            claimed["oneTimeKeys"][&alice.user_id]
                .get("NOSUCHDEVICE")
                .is_none(),
            "a device without keys is left out: {claimed}"
        );
        let name = claimed_key(&claimed, &alice, "ALICEPHONE").expect("a key");
        let entry = &claimed["oneTimeKeys"][&alice.user_id]["ALICEPHONE"][&name];
        assert!(
            entry["signatures"][matrix_id(&alice)].is_object(),
            "{entry}"
        );
        handed_out.push(name);
    }
    let one_time: BTreeSet<&String> = handed_out[..3].iter().collect();
    assert_eq!(
        one_time.len(),
        3,
        "three distinct one-time keys: {handed_out:?}"
    );
    assert!(one_time.iter().all(|n| !n.ends_with("fallback")));
    assert_eq!(
        handed_out[3], "signed_curve25519:ALICEPHONE-fallback",
        "then the fallback key"
    );

    // Alice's device learns it has none left and that its fallback key was used.
    let synced = reply_of_kind(&mut a, json!({"action": "toDeviceSync"}), "toDeviceSynced").await;
    assert_eq!(
        synced["oneTimeKeyCounts"],
        json!({"signed_curve25519": 0}),
        "{synced}"
    );
    assert_eq!(synced["unusedFallbackKeys"], json!([]), "{synced}");
    // New keys refill it.
    let refilled = request(
        &mut a,
        json!({"action": "keysUpload",
               "oneTimeKeys": one_time_keys(&alice, "ALICEPHONE", "ALICEPHONE", 10..12),
               "fallbackKeys": fallback_key(&alice, "ALICEPHONE")}),
        "keysUploaded",
    )
    .await;
    assert_eq!(
        refilled["oneTimeKeyCounts"],
        json!({"signed_curve25519": 2}),
        "{refilled}"
    );
    assert_eq!(refilled["unusedFallbackKeys"], json!(["signed_curve25519"]));
}

#[tokio::test]
async fn concurrent_claims_hand_out_every_one_time_key_exactly_once() {
    const KEYS: usize = 50;
    const CLAIMERS: usize = 8;
    const CLAIMS_EACH: usize = 25; // 200 in all, within each claimer's burst of 30
    let stack = stack::shared();
    let alice = sign_up(stack, "claim-alice").await;
    let mut a = keyed_device(stack, &alice, "ALICEPHONE").await;
    register(&mut a, &alice, "ALICEPHONE", KEYS).await;

    let mut claimers = Vec::new();
    for i in 0..CLAIMERS {
        let user = sign_up(stack, &format!("claimer-{i}")).await;
        claimers.push(device(stack, &user).await);
    }
    let frame = json!({"action": "keysClaim", "devices": {&alice.user_id: ["ALICEPHONE"]}});
    // Every claimer sends all of its claims at once, then reads the replies.
    let replies = join_all(claimers.iter_mut().map(|client| {
        let frame = frame.clone();
        async move {
            let ids: Vec<String> = (0..CLAIMS_EACH).map(|_| fresh_id("claim")).collect();
            for id in &ids {
                let mut frame = frame.clone();
                frame["id"] = json!(id);
                client.send_json(&frame).await;
            }
            let mut replies = Vec::new();
            for id in &ids {
                replies.push(
                    client
                        .frame_where(&format!("the reply to {id}"), |f| f["id"] == id.as_str())
                        .await,
                );
            }
            replies
        }
    }))
    .await;

    let mut one_time = Vec::new();
    let mut fallbacks = 0;
    for reply in replies.iter().flatten() {
        assert_eq!(reply["type"], "claimed", "{reply}");
        let name = claimed_key(reply, &alice, "ALICEPHONE").expect("a key or the fallback");
        if name.ends_with("-fallback") {
            fallbacks += 1;
        } else {
            one_time.push(name);
        }
    }
    let distinct: BTreeSet<&String> = one_time.iter().collect();
    assert_eq!(
        distinct.len(),
        one_time.len(),
        "no one-time key handed out twice"
    );
    assert_eq!(one_time.len(), KEYS, "every one-time key handed out");
    assert_eq!(
        fallbacks,
        CLAIMERS * CLAIMS_EACH - KEYS,
        "the rest got the fallback key"
    );
}

#[tokio::test]
async fn a_device_uploads_for_itself_only_and_bad_keys_are_refused_clearly() {
    let stack = stack::shared();
    let alice = sign_up(stack, "own-alice").await;
    let bob = sign_up(stack, "own-bob").await;
    let mut a = keyed_device(stack, &alice, "ALICEPHONE").await;

    let upload = |keys: Value| json!({"action": "keysUpload", "deviceKeys": keys});
    let other_device = request(
        &mut a,
        upload(device_keys(&alice, "ALICETABLET", 1)),
        "keysUploaded",
    )
    .await;
    assert_refused(&other_device, "bad_request", "the device you connected as");
    let other_user = request(
        &mut a,
        upload(device_keys(&bob, "ALICEPHONE", 1)),
        "keysUploaded",
    )
    .await;
    assert_refused(&other_user, "bad_request", "user_id must be your own");
    let before_identity = request(
        &mut a,
        json!({"action": "keysUpload", "oneTimeKeys": one_time_keys(&alice, "ALICEPHONE", "ALICEPHONE", 0..1)}),
        "keysUploaded",
    )
    .await;
    assert_refused(&before_identity, "bad_request", "deviceKeys first");
    let mut short = device_keys(&alice, "ALICEPHONE", 1);
    short["keys"]["ed25519:ALICEPHONE"] = json!("tooShort");
    let malformed = request(&mut a, upload(short), "keysUploaded").await;
    assert_refused(&malformed, "bad_request", "32 bytes in unpadded base64");

    register(&mut a, &alice, "ALICEPHONE", 1).await;
    let signed_elsewhere = request(
        &mut a,
        json!({"action": "keysUpload", "oneTimeKeys": one_time_keys(&alice, "ALICEPHONE", "ALICETABLET", 5..6)}),
        "keysUploaded",
    )
    .await;
    assert_refused(&signed_elsewhere, "bad_request", "your device's signature");
    let new_identity = request(
        &mut a,
        upload(device_keys(&alice, "ALICEPHONE", 7)),
        "keysUploaded",
    )
    .await;
    assert_refused(&new_identity, "forbidden", "never change");
    let too_many = request(
        &mut a,
        json!({"action": "keysUpload", "oneTimeKeys": one_time_keys(&alice, "ALICEPHONE", "ALICEPHONE", 100..200)}),
        "keysUploaded",
    )
    .await;
    assert_refused(
        &too_many,
        "too_large",
        "at most 100 one-time keys per device",
    );

    // Without ?device= the connection works as before, but acts for no device.
    let mut plain = device(stack, &alice).await;
    let no_device = request(
        &mut plain,
        upload(device_keys(&alice, "ALICEPHONE", 1)),
        "keysUploaded",
    )
    .await;
    assert_refused(&no_device, "bad_request", "connect with ?device=");
    let no_inbox = reply_of_kind(
        &mut plain,
        json!({"action": "toDeviceSync"}),
        "toDeviceSynced",
    )
    .await;
    assert_refused(&no_inbox, "bad_request", "connect with ?device=");
    let bad_claim = request(
        &mut plain,
        json!({"action": "keysClaim", "devices": {"a b": ["X"]}}),
        "claimed",
    )
    .await;
    assert_refused(&bad_claim, "bad_request", "devices must map user ids");

    match connect_as_device(stack, &alice.id_token, "bad.device").await {
        Err(Refused::Status(403)) => {}
        Err(other) => panic!("a malformed device id: {other:?}"),
        Ok(_) => panic!("a malformed device id was let in"),
    }
}

fn send_to(user: &TestUser, device: &str, content: &str) -> Value {
    json!({"action": "sendToDevice", "eventType": "m.room.encrypted",
           "messages": {&user.user_id: {device: content}}})
}

#[tokio::test]
async fn to_device_messages_arrive_live_and_by_sync_until_acknowledged() {
    let stack = stack::shared();
    let alice = sign_up(stack, "inbox-alice").await;
    let bob = sign_up(stack, "inbox-bob").await;
    let mut a = keyed_device(stack, &alice, "ALICEPHONE").await;
    let mut tablet = keyed_device(stack, &alice, "ALICETABLET").await;
    let mut b = keyed_device(stack, &bob, "BOBLAPTOP").await;
    register(&mut a, &alice, "ALICEPHONE", 0).await;
    register(&mut tablet, &alice, "ALICETABLET", 0).await;
    register(&mut b, &bob, "BOBLAPTOP", 0).await;

    let first = "{\"ciphertext\":\"first\"}";
    let sent = request(&mut b, send_to(&alice, "ALICEPHONE", first), "toDeviceSent").await;
    assert_eq!(sent["type"], "toDeviceSent", "{sent}");
    let live = a.frame_of_type("toDevice").await;
    let message = &live["messages"][0];
    assert_eq!(message["from"], bob.user_id.as_str());
    assert_eq!(message["fromDevice"], "BOBLAPTOP");
    assert_eq!(message["eventType"], "m.room.encrypted");
    assert_eq!(
        message["content"], first,
        "stored and delivered byte for byte"
    );
    tablet
        .expect_none_where("a message for the phone", QUIET, |f| {
            f["type"] == "toDevice"
        })
        .await;

    // Offline: the phone gets the second message, and the unacknowledged first, by sync.
    close_device(stack, &alice, a, 1).await;
    let second = "{\"ciphertext\":\"second\"}";
    let mut retried = send_to(&alice, "ALICEPHONE", second);
    retried["id"] = json!(fresh_id("retried"));
    for _ in 0..2 {
        b.send_json(&retried).await;
        let reply = b
            .frame_where("toDeviceSent", |f| f["id"] == retried["id"])
            .await;
        assert_eq!(reply["type"], "toDeviceSent", "{reply}");
    }
    let unknown = request(&mut b, send_to(&alice, "NOSUCHDEVICE", "x"), "toDeviceSent").await;
    assert_eq!(
        unknown["type"], "toDeviceSent",
        "unknown devices are skipped: {unknown}"
    );

    let mut a = keyed_device(stack, &alice, "ALICEPHONE").await;
    let synced = reply_of_kind(&mut a, json!({"action": "toDeviceSync"}), "toDeviceSynced").await;
    assert_eq!(synced["type"], "toDeviceSynced", "{synced}");
    assert_eq!(synced["more"], false);
    let waiting: Vec<Value> = a
        .pending
        .drain(..)
        .filter(|f| f["type"] == "toDevice")
        .flat_map(|f| f["messages"].as_array().unwrap().clone())
        .collect();
    let contents: Vec<&str> = waiting
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [first, second],
        "oldest first, the retry stored once"
    );

    let ids: Vec<&str> = waiting.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let acked = reply_of_kind(
        &mut a,
        json!({"action": "toDeviceAck", "ids": ids}),
        "toDeviceAcked",
    )
    .await;
    assert_eq!(acked["type"], "toDeviceAcked", "{acked}");
    assert_eq!(acked["oneTimeKeyCounts"], json!({"signed_curve25519": 0}));
    let again = reply_of_kind(&mut a, json!({"action": "toDeviceSync"}), "toDeviceSynced").await;
    assert_eq!(again["type"], "toDeviceSynced", "{again}");
    assert!(
        a.pending.iter().all(|f| f["type"] != "toDevice"),
        "acknowledged messages are gone: {:?}",
        a.pending
    );

    let too_big = request(
        &mut b,
        send_to(&alice, "ALICEPHONE", &"x".repeat(16 * 1024 + 1)),
        "toDeviceSent",
    )
    .await;
    assert_refused(&too_big, "too_large", "at most 16384 bytes");
}

/// Whether `frame` tells that `user`'s device list changed.
fn changed(frame: &Value, user: &TestUser) -> bool {
    frame["type"] == "deviceChanged" && frame["user"] == user.user_id.as_str()
}

/// The users a `deviceChanges` from `since` names, and its `until`.
async fn device_changes(client: &mut Client, since: Option<i64>) -> (BTreeSet<String>, i64) {
    let mut frame = json!({"action": "deviceChanges"});
    if let Some(since) = since {
        frame["since"] = json!(since);
    }
    let reply = request(client, frame, "deviceChanges").await;
    assert_eq!(reply["type"], "deviceChanges", "{reply}");
    assert!(reply.get("reset").is_none(), "{reply}");
    let users = reply["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_owned())
        .collect();
    (users, reply["until"].as_i64().unwrap())
}

#[tokio::test]
async fn a_new_device_is_told_to_everyone_who_shares_a_conversation_and_only_them() {
    let stack = stack::shared();
    let alice = sign_up(stack, "dl-alice").await;
    let bob = sign_up(stack, "dl-bob").await;
    let dave = sign_up(stack, "dl-dave").await;
    let eve = sign_up(stack, "dl-eve").await;
    let carol = sign_up(stack, "dl-carol").await;
    let mut a = device(stack, &alice).await;
    // A direct chat with bob; a group with dave and eve, from which eve is then removed.
    send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "hi")).await;
    let id = fresh_id("g");
    a.send(&create_group(
        &id,
        "devices",
        &[dave.user_id.as_str(), eve.user_id.as_str()],
    ))
    .await;
    let group = a
        .frame_where("the `group` reply", |f| f["id"] == id.as_str())
        .await;
    let group = group["conversation"].as_str().unwrap().to_owned();
    let id = fresh_id("rm");
    a.send(&remove_members(&id, &group, &[eve.user_id.as_str()]))
        .await;
    a.frame_where("the `group` reply", |f| f["id"] == id.as_str())
        .await;

    let mut b = device(stack, &bob).await;
    let mut d = device(stack, &dave).await;
    let mut e = device(stack, &eve).await;
    let mut c = device(stack, &carol).await;
    let (before, since) = device_changes(&mut b, None).await;
    assert!(!before.contains(&alice.user_id), "{before:?}");

    // Alice's tablet registers: a new device in her list.
    let mut tablet = keyed_device(stack, &alice, "DLTABLET").await;
    register(&mut tablet, &alice, "DLTABLET", 2).await;
    for (client, who) in [
        (&mut b, "bob"),
        (&mut d, "dave"),
        (&mut a, "alice's other device"),
    ] {
        let told = client
            .frame_where(&format!("{who} told of alice's new device"), |f| {
                changed(f, &alice)
            })
            .await;
        assert!(told.get("id").is_none(), "a pushed frame: {told}");
    }
    for (client, who) in [(&mut e, "eve (removed)"), (&mut c, "carol (a stranger)")] {
        client
            .expect_none_where(&format!("deviceChanged to {who}"), QUIET, |f| {
                f["type"] == "deviceChanged"
            })
            .await;
    }
    // The same keys again change nothing: nobody is told.
    register(&mut tablet, &alice, "DLTABLET", 0).await;
    b.expect_none_where("a second deviceChanged", QUIET, |f| changed(f, &alice))
        .await;

    // A device that was offline learns it from deviceChanges; strangers learn nothing.
    let mut laptop = device(stack, &bob).await;
    let (users, until) = device_changes(&mut laptop, Some(since)).await;
    assert!(users.contains(&alice.user_id), "{users:?}");
    assert!(until > since, "until moves on: {until} > {since}");
    let (users, _) = device_changes(&mut c, None).await;
    assert!(!users.contains(&alice.user_id), "{users:?}");
    let (users, _) = device_changes(&mut e, None).await;
    assert!(!users.contains(&alice.user_id), "{users:?}");
    // A `since` older than the 30 days kept asks for a reset.
    let reply = request(
        &mut laptop,
        json!({"action": "deviceChanges", "since": 1}),
        "deviceChanges",
    )
    .await;
    assert_eq!(reply["reset"], true, "{reply}");
    for client in [a, b, c, d, e, tablet, laptop] {
        client.close().await;
    }
}

#[tokio::test]
async fn a_removed_device_loses_its_keys_and_inbox_and_its_id_for_good() {
    let stack = stack::shared();
    let alice = sign_up(stack, "rm-alice").await;
    let bob = sign_up(stack, "rm-bob").await;
    let mut phone = keyed_device(stack, &alice, "RMPHONE").await;
    register(&mut phone, &alice, "RMPHONE", 3).await;
    let mut tablet = keyed_device(stack, &alice, "RMTABLET").await;
    register(&mut tablet, &alice, "RMTABLET", 1).await;
    let mut b = keyed_device(stack, &bob, "RMBOB").await;
    register(&mut b, &bob, "RMBOB", 1).await;
    send_and_wait(&mut b, &send_to_user(&fresh_id("m"), &alice, "hi")).await;
    // A to-device message waits in the phone's inbox.
    let sent = request(
        &mut b,
        send_to(&alice, "RMPHONE", r#"{"algorithm":"m.olm.v1"}"#),
        "toDeviceSent",
    )
    .await;
    assert_eq!(sent["type"], "toDeviceSent", "{sent}");
    phone
        .frame_where("the live toDevice", |f| f["type"] == "toDevice")
        .await;

    // The tablet removes the phone.
    let removed = request(
        &mut tablet,
        json!({"action": "removeDevice", "device": "RMPHONE"}),
        "deviceRemoved",
    )
    .await;
    assert_eq!(removed["type"], "deviceRemoved", "{removed}");
    assert_eq!(removed["device"], "RMPHONE");
    let told = phone
        .frame_where("the phone told it was removed", |f| {
            f["type"] == "deviceRemoved"
        })
        .await;
    assert_eq!(told["device"], "RMPHONE", "{told}");
    b.frame_where("bob told alice's list changed", |f| changed(f, &alice))
        .await;

    // Its keys are gone: not listed, nothing to claim.
    let keys = request(
        &mut b,
        json!({"action": "keysQuery", "users": [alice.user_id]}),
        "keys",
    )
    .await;
    let devices: BTreeSet<&String> = keys["devices"][&alice.user_id]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(devices, BTreeSet::from([&"RMTABLET".to_owned()]), "{keys}");
    let claimed = request(
        &mut b,
        json!({"action": "keysClaim", "devices": {alice.user_id.as_str(): ["RMPHONE"]}}),
        "claimed",
    )
    .await;
    assert_eq!(claimed_key(&claimed, &alice, "RMPHONE"), None, "{claimed}");
    // Its inbox is gone.
    let synced = reply_of_kind(
        &mut phone,
        json!({"action": "toDeviceSync"}),
        "toDeviceSynced",
    )
    .await;
    assert_eq!(synced["type"], "toDeviceSynced", "{synced}");
    phone
        .expect_none_where("an inbox message", QUIET, |f| f["type"] == "toDevice")
        .await;
    // Its id never registers again, and cannot be removed twice.
    let again = request(
        &mut phone,
        json!({"action": "keysUpload", "deviceKeys": device_keys(&alice, "RMPHONE", 1)}),
        "keysUploaded",
    )
    .await;
    assert_refused(&again, "forbidden", "this device was removed");
    let twice = request(
        &mut tablet,
        json!({"action": "removeDevice", "device": "RMPHONE"}),
        "deviceRemoved",
    )
    .await;
    assert_refused(&twice, "not_found", "no registered device");
    // Only one's own devices: bob's device is not alice's to remove.
    let others = request(
        &mut tablet,
        json!({"action": "removeDevice", "device": "RMBOB"}),
        "deviceRemoved",
    )
    .await;
    assert_refused(&others, "not_found", "no registered device");
    for client in [phone, tablet, b] {
        client.close().await;
    }
}
