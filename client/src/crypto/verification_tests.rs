//! Two devices verify each other by short code through the toy key directory: the engine's
//! own messages, carried as Parley's transport carries them.

use std::cell::RefCell;

use parley_protocol::ids::ConversationId;

use super::key_directory::KeyDirectory;
use super::*;

/// One round for a device: its inbox from the directory (verification messages apart, as
/// the client feeds them), the automatic steps, everything sent. Answers the flows' states.
async fn pump(device: &mut Device<'_>) -> Vec<Verification> {
    let sync = device
        .connection
        .directory
        .borrow_mut()
        .sync(&matrix(&device.connection.user), &device.connection.device);
    let messages: Vec<ToDeviceMessage> = sync
        .events
        .iter()
        .map(|e| ToDeviceMessage {
            from: parley(e["sender"].as_str().unwrap()),
            event_type: e["type"].as_str().unwrap().to_owned(),
            content: e["content"].to_string(),
        })
        .collect();
    let (verification, other): (Vec<_>, Vec<_>) = messages
        .into_iter()
        .partition(|m| is_verification_event(&m.event_type));
    device
        .crypto
        .receive_sync(SyncChanges {
            to_device: other,
            one_time_key_counts: serde_json::from_value(sync.one_time_key_counts).unwrap(),
            unused_fallback_keys: sync.unused_fallback_keys,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut states = device
        .crypto
        .receive_verification(&verification)
        .await
        .unwrap();
    let out = device.crypto.advance_verifications().await.unwrap();
    send(device, out).await;
    device
        .crypto
        .process_outgoing(&mut device.connection)
        .await
        .unwrap();
    states.extend(device.crypto.verifications());
    states
}

async fn send(device: &mut Device<'_>, requests: Vec<Outgoing>) {
    for request in requests {
        assert!(
            matches!(&request, Outgoing::ToDevice { event_type, .. }
                if event_type.starts_with(VERIFICATION_EVENT_PREFIX)),
            "{request:?}"
        );
        let answer = device.connection.send(&request).await.unwrap();
        device
            .crypto
            .mark_sent(request.request_id(), &answer)
            .await
            .unwrap();
    }
}

/// Alice's and Bob's devices, each knowing the other's keys.
async fn pair<'a>(
    directory: &'a RefCell<KeyDirectory>,
    dirs: &(tempfile::TempDir, tempfile::TempDir),
) -> (Device<'a>, Device<'a>) {
    let mut alice = Device::open(directory, dirs.0.path(), ALICE, "ALICEPHONE01").await;
    let mut bob = Device::open(directory, dirs.1.path(), BOB, "BOBLAPTOP002").await;
    alice
        .crypto
        .refresh_devices(&mut alice.connection, &[BOB.to_owned()])
        .await
        .unwrap();
    bob.crypto
        .refresh_devices(&mut bob.connection, &[ALICE.to_owned()])
        .await
        .unwrap();
    (alice, bob)
}

/// Alice asks Bob's laptop; Bob accepts; the rounds go on until both compare a code.
/// Answers the flow id and both sides' codes.
async fn until_codes(
    alice: &mut Device<'_>,
    bob: &mut Device<'_>,
) -> (String, Verification, Verification) {
    let (asked, out) = alice
        .crypto
        .request_verification(BOB, "BOBLAPTOP002")
        .await
        .unwrap();
    assert_eq!(asked.state, VerificationState::Requested);
    assert!(asked.we_started);
    send(alice, out).await;

    let incoming = pump(bob).await;
    let Some(request) = incoming
        .iter()
        .find(|v| v.state == VerificationState::Incoming)
    else {
        panic!("bob got no request: {incoming:?}");
    };
    assert_eq!(request.user, ALICE);
    assert_eq!(request.device_id.as_deref(), Some("ALICEPHONE01"));
    assert_eq!(request.flow_id, asked.flow_id);
    assert!(!request.we_started);
    let out = bob
        .crypto
        .accept_verification(ALICE, &asked.flow_id)
        .await
        .unwrap();
    send(bob, out).await;

    for _ in 0..6 {
        pump(alice).await;
        pump(bob).await;
        let a = alice.crypto.verification(BOB, &asked.flow_id).unwrap();
        let b = bob.crypto.verification(ALICE, &asked.flow_id).unwrap();
        if matches!(a.state, VerificationState::Compare { .. })
            && matches!(b.state, VerificationState::Compare { .. })
        {
            return (asked.flow_id, a, b);
        }
    }
    panic!(
        "no code after six rounds: alice {:?}, bob {:?}",
        alice.crypto.verification(BOB, &asked.flow_id),
        bob.crypto.verification(ALICE, &asked.flow_id)
    );
}

/// Rounds until both sides' flows ended; answers their last states.
async fn until_final(
    alice: &mut Device<'_>,
    bob: &mut Device<'_>,
    flow_id: &str,
) -> (VerificationState, VerificationState) {
    let (mut a, mut b) = (None, None);
    for _ in 0..6 {
        for state in pump(alice).await {
            if state.flow_id == flow_id && state.state.is_final() {
                a = Some(state.state);
            }
        }
        for state in pump(bob).await {
            if state.flow_id == flow_id && state.state.is_final() {
                b = Some(state.state);
            }
        }
        if let (Some(a), Some(b)) = (&a, &b) {
            return (a.clone(), b.clone());
        }
    }
    panic!("not finished after six rounds: alice {a:?}, bob {b:?}");
}

fn verified(devices: &[DeviceInfo], device: &str) -> bool {
    devices
        .iter()
        .find(|d| d.device_id == device)
        .unwrap_or_else(|| panic!("no device {device} in {devices:?}"))
        .verified
}

#[tokio::test]
async fn matching_codes_verify_both_devices_and_mark_their_messages() {
    let directory = RefCell::new(KeyDirectory::default());
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut alice, mut bob) = pair(&directory, &dirs).await;
    let (flow_id, a, b) = until_codes(&mut alice, &mut bob).await;
    let (
        VerificationState::Compare {
            emojis: alice_emojis,
            decimals: alice_decimals,
        },
        VerificationState::Compare {
            emojis: bob_emojis,
            decimals: bob_decimals,
        },
    ) = (&a.state, &b.state)
    else {
        unreachable!()
    };
    assert_eq!(alice_emojis.len(), 7);
    assert_eq!(alice_emojis, bob_emojis);
    assert_eq!(alice_decimals, bob_decimals);
    assert!(alice_emojis
        .iter()
        .all(|e| !e.symbol.is_empty() && !e.name.is_empty()));
    assert!(!verified(
        &alice.crypto.devices(BOB).await.unwrap(),
        "BOBLAPTOP002"
    ));

    let out = alice
        .crypto
        .confirm_verification(BOB, &flow_id)
        .await
        .unwrap();
    send(&mut alice, out).await;
    assert_eq!(
        alice.crypto.verification(BOB, &flow_id).unwrap().state,
        VerificationState::Confirmed
    );
    pump(&mut bob).await;
    let out = bob
        .crypto
        .confirm_verification(ALICE, &flow_id)
        .await
        .unwrap();
    send(&mut bob, out).await;
    let (a, b) = until_final(&mut alice, &mut bob, &flow_id).await;
    assert_eq!((a, b), (VerificationState::Done, VerificationState::Done));
    assert!(verified(
        &alice.crypto.devices(BOB).await.unwrap(),
        "BOBLAPTOP002"
    ));
    assert!(verified(
        &bob.crypto.devices(ALICE).await.unwrap(),
        "ALICEPHONE01"
    ));
    // Answered once, then forgotten.
    assert_eq!(alice.crypto.verification(BOB, &flow_id), None);

    // A message from the verified laptop carries the mark.
    let chat = ConversationId::direct(ALICE, BOB);
    let hello = bob.encrypt(&chat, &[ALICE, BOB], "verified hello").await;
    alice.sync().await;
    let message = alice
        .crypto
        .decrypt(&chat, BOB, "m1", 1, &hello)
        .await
        .unwrap();
    assert_eq!(message.content["body"], "verified hello");
    assert!(message.verified);

    // Bob reinstalls on a tablet: a new device, not verified, and its messages unmarked.
    let tablet_dir = tempfile::tempdir().unwrap();
    let mut tablet = Device::open(&directory, tablet_dir.path(), BOB, "BOBTABLET003").await;
    let new = alice
        .crypto
        .refresh_devices(&mut alice.connection, &[BOB.to_owned()])
        .await
        .unwrap();
    assert_eq!(
        new,
        [NewDevice {
            user: BOB.to_owned(),
            device_id: "BOBTABLET003".to_owned()
        }]
    );
    let devices = alice.crypto.devices(BOB).await.unwrap();
    assert!(verified(&devices, "BOBLAPTOP002"));
    assert!(!verified(&devices, "BOBTABLET003"));
    let from_tablet = tablet.encrypt(&chat, &[ALICE, BOB], "new tablet").await;
    alice.sync().await;
    let message = alice
        .crypto
        .decrypt(&chat, BOB, "m2", 2, &from_tablet)
        .await
        .unwrap();
    assert_eq!(message.sender_device.as_deref(), Some("BOBTABLET003"));
    assert!(!message.verified);

    // Other keys under the verified laptop's id: the engine keeps the verified keys and
    // refuses the others (the server refuses them too).
    let laptop_key = devices
        .iter()
        .find(|d| d.device_id == "BOBLAPTOP002")
        .unwrap()
        .ed25519
        .clone();
    let impostor_dir = tempfile::tempdir().unwrap();
    let impostor = Device::open(&directory, impostor_dir.path(), BOB, "BOBLAPTOP002").await;
    assert_ne!(Some(impostor.crypto.identity_keys().ed25519), laptop_key);
    alice
        .crypto
        .refresh_devices(&mut alice.connection, &[BOB.to_owned()])
        .await
        .unwrap();
    let devices = alice.crypto.devices(BOB).await.unwrap();
    let laptop = devices
        .iter()
        .find(|d| d.device_id == "BOBLAPTOP002")
        .unwrap();
    assert_eq!(laptop.ed25519, laptop_key);
    assert!(laptop.verified);
}

#[tokio::test]
async fn codes_that_do_not_match_cancel_both_sides_and_verify_nothing() {
    let directory = RefCell::new(KeyDirectory::default());
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut alice, mut bob) = pair(&directory, &dirs).await;
    let (flow_id, _, _) = until_codes(&mut alice, &mut bob).await;
    let out = alice
        .crypto
        .confirm_verification(BOB, &flow_id)
        .await
        .unwrap();
    send(&mut alice, out).await;
    let out = bob
        .crypto
        .cancel_verification(ALICE, &flow_id, true)
        .await
        .unwrap();
    send(&mut bob, out).await;
    let (a, b) = until_final(&mut alice, &mut bob, &flow_id).await;
    let VerificationState::Cancelled {
        code, by_us: false, ..
    } = &a
    else {
        panic!("alice: {a:?}");
    };
    assert_eq!(code, "m.mismatched_sas");
    let VerificationState::Cancelled {
        code, by_us: true, ..
    } = &b
    else {
        panic!("bob: {b:?}");
    };
    assert_eq!(code, "m.mismatched_sas");
    assert!(!verified(
        &alice.crypto.devices(BOB).await.unwrap(),
        "BOBLAPTOP002"
    ));
    assert!(!verified(
        &bob.crypto.devices(ALICE).await.unwrap(),
        "ALICEPHONE01"
    ));
}

#[tokio::test]
async fn a_declined_request_ends_cancelled_and_unknown_devices_are_refused() {
    let directory = RefCell::new(KeyDirectory::default());
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut alice, mut bob) = pair(&directory, &dirs).await;
    let unknown = alice.crypto.request_verification(BOB, "NOSUCHDEVICE").await;
    assert!(
        matches!(unknown, Err(CryptoError::NoVerification(_))),
        "{unknown:?}"
    );
    let itself = alice
        .crypto
        .request_verification(ALICE, "ALICEPHONE01")
        .await;
    assert!(
        matches!(itself, Err(CryptoError::NoVerification(_))),
        "{itself:?}"
    );

    let (asked, out) = alice
        .crypto
        .request_verification(BOB, "BOBLAPTOP002")
        .await
        .unwrap();
    send(&mut alice, out).await;
    pump(&mut bob).await;
    let out = bob
        .crypto
        .cancel_verification(ALICE, &asked.flow_id, false)
        .await
        .unwrap();
    send(&mut bob, out).await;
    let states = pump(&mut alice).await;
    let ended = states
        .iter()
        .find(|v| v.flow_id == asked.flow_id)
        .expect("alice's flow");
    assert!(
        matches!(&ended.state, VerificationState::Cancelled { code, by_us: false, .. } if code == "m.user"),
        "{ended:?}"
    );
}
