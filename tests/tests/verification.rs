//! Device verification by short code (issue 15), through the local stack: two users' library
//! clients run the library's SAS emoji verification over `sendToDevice` (the
//! `m.key.verification.*` messages as Matrix sends them). Both compute the same seven emojis;
//! when both confirm, each lists the other's device as verified and a message from it comes
//! marked verified. When one side says the codes differ, both get the cancellation and
//! neither device is verified.

use parley_client::crypto::{Emoji, Verification, VerificationState};
use parley_client::events::{ConnectionState, Event};
use parley_client::store::Encryption;
use parley_client::{Client, KeepTokens, Store, To};
use parley_tests::stack::{self, StackInfo};
use parley_tests::users::{sign_up, TestUser};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// How long any one expected event may take.
const WAIT: Duration = Duration::from_secs(30);

struct Device {
    client: Client,
    events: UnboundedReceiver<Event>,
    user: TestUser,
}

async fn start(stack: &StackInfo, path: &Path, user: TestUser) -> Device {
    let store = Store::open(path).expect("open the store");
    store.save_tokens(&user.tokens).unwrap();
    let (client, events) =
        Client::start(&stack.websocket_url, Arc::new(store), KeepTokens).expect("start the client");
    let mut device = Device {
        client,
        events,
        user,
    };
    // Synced: the device's keys are on the server (they go up before the catch-up sync).
    device
        .until("the catch-up sync", |e| {
            matches!(e, Event::Connection(ConnectionState::Synced)).then_some(())
        })
        .await;
    device
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

    /// The next state of flow `flow_id` that `wanted` picks (states before it are skipped).
    async fn verification(
        &mut self,
        flow_id: &str,
        what: &str,
        wanted: impl Fn(&VerificationState) -> bool,
    ) -> Verification {
        self.until(what, |e| match e {
            Event::Verification(v) if v.flow_id == flow_id && wanted(&v.state) => Some(v.clone()),
            Event::Verification(v) if v.flow_id == flow_id && v.state.is_final() => {
                panic!("{what}: the flow ended as {v:?}")
            }
            _ => None,
        })
        .await
    }

    /// The cancellation of flow `flow_id` (any other end fails).
    async fn cancelled(&mut self, flow_id: &str, what: &str) -> VerificationState {
        let cancelled = |s: &VerificationState| matches!(s, VerificationState::Cancelled { .. });
        self.verification(flow_id, what, cancelled).await.state
    }

    fn device_id(&self) -> String {
        self.client
            .device_id()
            .expect("encryption is on")
            .to_owned()
    }

    async fn verified(&self, user: &str, device: &str) -> bool {
        let devices = self.client.devices(user).await.unwrap();
        devices
            .iter()
            .find(|d| d.device_id == device)
            .unwrap_or_else(|| panic!("no device {device} in {devices:?}"))
            .verified
    }
}

/// Two new users, one device each.
async fn pair(dir: &Path) -> (Device, Device) {
    let stack = stack::shared();
    let alice = sign_up(stack, "sas-alice").await;
    let bob = sign_up(stack, "sas-bob").await;
    (
        start(stack, &dir.join("a.redb"), alice).await,
        start(stack, &dir.join("b.redb"), bob).await,
    )
}

/// Alice asks Bob's device; Bob's client tells him, he accepts; both get the code.
async fn until_codes(
    alice: &mut Device,
    bob: &mut Device,
) -> (
    String,
    (Vec<Emoji>, (u16, u16, u16)),
    (Vec<Emoji>, (u16, u16, u16)),
) {
    let bob_user = bob.user.user_id.clone();
    let asked = alice
        .client
        .verify(&bob_user, &bob.device_id())
        .await
        .expect("ask Bob's device");
    assert_eq!(asked.state, VerificationState::Requested);
    assert!(asked.we_started);
    let flow = asked.flow_id.clone();

    let incoming = bob
        .until("Alice's request", |e| match e {
            Event::Verification(v) if v.state == VerificationState::Incoming => Some(v.clone()),
            _ => None,
        })
        .await;
    assert_eq!(incoming.user, alice.user.user_id);
    assert_eq!(incoming.device_id, Some(alice.device_id()));
    assert_eq!(incoming.flow_id, flow);
    assert!(!incoming.we_started);
    bob.client
        .accept_verification(&alice.user.user_id, &flow)
        .await
        .expect("accept");

    let is_code = |s: &VerificationState| matches!(s, VerificationState::Compare { .. });
    let code = |v: Verification| match v.state {
        VerificationState::Compare { emojis, decimals } => (emojis, decimals),
        _ => unreachable!(),
    };
    let on_alice = code(alice.verification(&flow, "Alice's code", is_code).await);
    let on_bob = code(bob.verification(&flow, "Bob's code", is_code).await);
    (flow, on_alice, on_bob)
}

#[tokio::test]
async fn matching_emojis_verify_both_devices_and_mark_their_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut alice, mut bob) = pair(dir.path()).await;
    let (alice_user, bob_user) = (alice.user.user_id.clone(), bob.user.user_id.clone());
    let (alice_device, bob_device) = (alice.device_id(), bob.device_id());

    let (flow, on_alice, on_bob) = until_codes(&mut alice, &mut bob).await;
    assert_eq!(on_alice.0.len(), 7, "{on_alice:?}");
    assert_eq!(on_alice, on_bob, "both screens show the same code");
    assert!(on_alice
        .0
        .iter()
        .all(|e| !e.symbol.is_empty() && !e.name.is_empty()));
    assert!(!alice.verified(&bob_user, &bob_device).await);

    alice
        .client
        .confirm_verification(&bob_user, &flow)
        .await
        .unwrap();
    bob.client
        .confirm_verification(&alice_user, &flow)
        .await
        .unwrap();
    let done = |s: &VerificationState| *s == VerificationState::Done;
    alice.verification(&flow, "Alice's end", done).await;
    bob.verification(&flow, "Bob's end", done).await;
    assert!(alice.verified(&bob_user, &bob_device).await);
    assert!(bob.verified(&alice_user, &alice_device).await);

    // Bob's message now comes marked as from a verified device.
    let id = bob
        .client
        .send_text(To::User(alice_user.clone()), "verified hello")
        .await
        .unwrap();
    let message = alice
        .until("Bob's message", |e| match e {
            Event::Message(m) | Event::Decrypted(m) if m.id == id && !m.is_waiting_for_key() => {
                Some(m.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(message.body.as_deref(), Some("verified hello"));
    assert_eq!(
        message.encryption,
        Some(Encryption::Decrypted {
            sender_device: Some(bob_device.clone()),
            verified: true
        })
    );
}

#[tokio::test]
async fn emojis_that_do_not_match_cancel_both_sides_and_verify_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut alice, mut bob) = pair(dir.path()).await;
    let (alice_user, bob_user) = (alice.user.user_id.clone(), bob.user.user_id.clone());
    let (alice_device, bob_device) = (alice.device_id(), bob.device_id());

    let (flow, on_alice, on_bob) = until_codes(&mut alice, &mut bob).await;
    assert_eq!(on_alice, on_bob);
    // Alice confirms; Bob says they do not match.
    alice
        .client
        .confirm_verification(&bob_user, &flow)
        .await
        .unwrap();
    bob.client
        .cancel_verification(&alice_user, &flow, true)
        .await
        .unwrap();
    let ended_alice = alice.cancelled(&flow, "Alice's cancellation").await;
    let ended_bob = bob.cancelled(&flow, "Bob's cancellation").await;
    let VerificationState::Cancelled {
        code,
        reason,
        by_us: false,
    } = &ended_alice
    else {
        panic!("Alice: {ended_alice:?}");
    };
    assert_eq!(code, "m.mismatched_sas");
    assert!(!reason.is_empty());
    assert!(
        matches!(&ended_bob, VerificationState::Cancelled { code, by_us: true, .. } if code == "m.mismatched_sas"),
        "Bob: {ended_bob:?}"
    );
    assert!(!alice.verified(&bob_user, &bob_device).await);
    assert!(!bob.verified(&alice_user, &alice_device).await);
}
