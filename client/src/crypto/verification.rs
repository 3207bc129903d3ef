//! Verifying a device by comparing a short code (issue 15; docs/encryption.md, "Verifying a
//! contact"): the library's interactive SAS verification with emoji, run to-device as Matrix
//! runs it (`m.key.verification.request`, `ready`, `start`, `accept`, `key`, `mac`, `done`,
//! `cancel`, unencrypted: SAS is built for a channel the server controls). Nothing here is
//! Parley's own: the engine makes and checks every message, and marks the other device
//! verified (`LocalTrust::Verified`) once both people confirmed the code.
//!
//! This module keeps each flow's request (and its SAS once started) so its outcome can still
//! be read after the engine dropped it, takes the two steps that need no decision from the
//! person (the side that asked starts SAS once the other accepted; the other side accepts
//! that start, having accepted the request), and turns the engine's states into plain data
//! ([`Verification`]). The requests it answers ([`Outgoing::ToDevice`]) go to the server
//! like any other to-device message.

use std::collections::BTreeMap;
use std::sync::Mutex;

use matrix_sdk_crypto::types::requests::OutgoingVerificationRequest;
use matrix_sdk_crypto::{
    CancelInfo, EncryptionSyncChanges, Sas, SasState, Verification as Flow, VerificationRequest,
    VerificationRequestState,
};
use ruma::api::client::sync::sync_events::DeviceLists;
use ruma::events::key::verification::cancel::CancelCode;
use serde_json::{json, Value};

use super::ids::matrix_user;
use super::messages::{decryption_settings, raw, ToDeviceMessage};
use super::requests::{to_device, Outgoing};
use super::{Crypto, CryptoError};

/// The event types of a verification flow all start so.
pub const VERIFICATION_EVENT_PREFIX: &str = "m.key.verification.";

/// A to-device message of a verification flow (plaintext, fed apart from the others).
pub fn is_verification_event(event_type: &str) -> bool {
    event_type.starts_with(VERIFICATION_EVENT_PREFIX)
}

/// One of the seven pictures of the short code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emoji {
    pub symbol: String,
    /// Its English name (the one every Matrix client shows), e.g. "Dog".
    pub name: String,
}

/// Where a verification stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationState {
    /// This side asked; waiting for the other device to accept.
    Requested,
    /// The other device asked: accept ([`Crypto::accept_verification`]) or decline
    /// ([`Crypto::cancel_verification`]).
    Incoming,
    /// Both agreed; the devices are exchanging keys for the short code.
    Starting,
    /// Compare these with the other screen, then confirm or cancel as a mismatch.
    Compare {
        emojis: Vec<Emoji>,
        /// The same code as three numbers (1000-9191), for who cannot see the pictures.
        decimals: (u16, u16, u16),
    },
    /// This side confirmed; waiting for the other.
    Confirmed,
    /// Both confirmed and the engine checked the keys: the other device is verified.
    Done,
    /// Ended without verifying: `code` is the Matrix cancel code (`m.mismatched_sas`,
    /// `m.user`, `m.timeout`, …), `reason` in words, `by_us` when this side ended it.
    Cancelled {
        code: String,
        reason: String,
        by_us: bool,
    },
}

impl VerificationState {
    /// Done or cancelled: nothing more will happen.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            VerificationState::Done | VerificationState::Cancelled { .. }
        )
    }
}

/// A verification with another device (of a contact, or of this user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The other user (Parley user id).
    pub user: String,
    /// Their device, once known (the asked one, or the one that asked or accepted).
    pub device_id: Option<String>,
    /// The flow's id: name the verification by (`user`, `flow_id`).
    pub flow_id: String,
    pub we_started: bool,
    pub state: VerificationState,
}

/// The flows this device takes part in, kept until their end was read.
#[derive(Default)]
pub(super) struct Flows {
    by_id: Mutex<BTreeMap<(String, String), Tracked>>,
}

#[derive(Clone)]
struct Tracked {
    request: VerificationRequest,
    sas: Option<Sas>,
}

impl Flows {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Tracked>> {
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, user: &str, flow_id: &str) -> Result<Tracked, CryptoError> {
        self.lock()
            .get(&(user.to_owned(), flow_id.to_owned()))
            .cloned()
            .ok_or_else(|| CryptoError::NoVerification(format!("{user} {flow_id}")))
    }

    fn set(&self, user: &str, tracked: Tracked) {
        let key = (
            user.to_owned(),
            tracked.request.flow_id().as_str().to_owned(),
        );
        self.lock().insert(key, tracked);
    }
}

impl Crypto {
    /// Asks `user`'s device `device` (known from a key query) to verify with this one.
    /// Answers the flow and the request to send.
    pub async fn request_verification(
        &self,
        user: &str,
        device: &str,
    ) -> Result<(Verification, Vec<Outgoing>), CryptoError> {
        let Some(found) = self
            .machine
            .get_device(&matrix_user(user)?, device.into(), None)
            .await?
        else {
            return Err(CryptoError::NoVerification(format!(
                "{user} has no device {device} with keys"
            )));
        };
        if found.user_id() == self.machine.user_id() && found.device_id() == self.device_id() {
            return Err(CryptoError::NoVerification(
                "this device cannot verify itself".into(),
            ));
        }
        let (request, outgoing) = found.request_verification();
        let tracked = Tracked { request, sas: None };
        self.flows.set(user, tracked.clone());
        Ok((
            snapshot(user, &tracked),
            vec![verification_request(outgoing)?],
        ))
    }

    /// Feeds `m.key.verification.*` to-device messages to the engine (know their senders'
    /// devices first: a request from an unknown device is ignored). Answers the flows that
    /// began here (an incoming request).
    pub async fn receive_verification(
        &self,
        messages: &[ToDeviceMessage],
    ) -> Result<Vec<Verification>, CryptoError> {
        let events = messages
            .iter()
            .filter(|m| is_verification_event(&m.event_type))
            .map(|m| {
                let content: Value = serde_json::from_str(&m.content)?;
                raw(
                    &json!({ "type": m.event_type, "sender": matrix_user(&m.from)?,
                             "content": content }),
                )
            })
            .collect::<Result<Vec<_>, CryptoError>>()?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // No key counts here: the engine keeps the ones the inbox last gave it.
        let lists = DeviceLists::new();
        let counts = BTreeMap::new();
        let sync = EncryptionSyncChanges {
            to_device_events: events,
            changed_devices: &lists,
            one_time_keys_counts: &counts,
            unused_fallback_keys: None,
            next_batch_token: None,
        };
        self.machine
            .receive_sync_changes(sync, &decryption_settings())
            .await
            .map_err(|e| CryptoError::Olm(e.to_string()))?;
        let mut senders: Vec<&str> = messages.iter().map(|m| m.from.as_str()).collect();
        senders.sort_unstable();
        senders.dedup();
        let mut new = Vec::new();
        for sender in senders {
            for request in self
                .machine
                .get_verification_requests(&matrix_user(sender)?)
            {
                let key = (sender.to_owned(), request.flow_id().as_str().to_owned());
                let mut flows = self.flows.lock();
                if flows.contains_key(&key) || request.we_started() {
                    continue;
                }
                let tracked = Tracked { request, sas: None };
                new.push(snapshot(sender, &tracked));
                flows.insert(key, tracked);
            }
        }
        Ok(new)
    }

    /// Accepts the other device's request (this person said yes).
    pub async fn accept_verification(
        &self,
        user: &str,
        flow_id: &str,
    ) -> Result<Vec<Outgoing>, CryptoError> {
        let tracked = self.flows.get(user, flow_id)?;
        tracked
            .request
            .accept()
            .map(verification_request)
            .into_iter()
            .collect()
    }

    /// The codes match on this screen: confirm. The engine marks the other device verified
    /// once the other side confirmed too and its keys checked out.
    pub async fn confirm_verification(
        &self,
        user: &str,
        flow_id: &str,
    ) -> Result<Vec<Outgoing>, CryptoError> {
        let tracked = self.refresh(user, flow_id)?;
        let sas = tracked.sas.ok_or_else(|| {
            CryptoError::NoVerification("no short code to confirm yet".to_owned())
        })?;
        let (requests, _signatures) = sas.confirm().await?;
        requests.into_iter().map(verification_request).collect()
    }

    /// Ends the verification: `mismatch` when the codes differ (`m.mismatched_sas`), else
    /// declined or given up (`m.user`). Neither device is verified.
    pub async fn cancel_verification(
        &self,
        user: &str,
        flow_id: &str,
        mismatch: bool,
    ) -> Result<Vec<Outgoing>, CryptoError> {
        let tracked = self.refresh(user, flow_id)?;
        let request = match (&tracked.sas, mismatch) {
            (Some(sas), true) => sas.cancel_with_code(CancelCode::MismatchedSas),
            (Some(sas), false) => sas.cancel(),
            (None, _) => tracked.request.cancel(),
        };
        request.map(verification_request).into_iter().collect()
    }

    /// Takes the steps no one needs to decide (the asking side starts SAS once its request
    /// was accepted; the other side accepts that start): answers what to send. Send it, and
    /// what the engine queued ([`Crypto::process_outgoing`]), before reading the states: the
    /// code shows once this side's key went out.
    pub async fn advance_verifications(&self) -> Result<Vec<Outgoing>, CryptoError> {
        let keys: Vec<(String, String)> = self.flows.lock().keys().cloned().collect();
        let mut out = Vec::new();
        for (user, flow_id) in keys {
            let mut tracked = self.refresh(&user, &flow_id)?;
            if tracked.sas.is_none() && tracked.request.we_started() && tracked.request.is_ready() {
                if let Some((sas, request)) = tracked.request.start_sas().await? {
                    out.push(verification_request(request)?);
                    tracked.sas = Some(sas);
                    self.flows.set(&user, tracked.clone());
                }
            }
            if let Some(sas) = &tracked.sas {
                if matches!(sas.state(), SasState::Started { .. }) {
                    if let Some(request) = sas.accept() {
                        out.push(verification_request(request)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every flow as it now stands. Finished flows are answered one last time, then
    /// forgotten.
    pub fn verifications(&self) -> Vec<Verification> {
        let keys: Vec<(String, String)> = self.flows.lock().keys().cloned().collect();
        let mut states = Vec::new();
        for (user, flow_id) in keys {
            let Ok(tracked) = self.refresh(&user, &flow_id) else {
                continue;
            };
            let state = snapshot(&user, &tracked);
            if state.state.is_final() {
                self.flows.lock().remove(&(user, flow_id));
            }
            states.push(state);
        }
        states
    }

    /// The flow with `user` as it stands now (None once finished and answered).
    pub fn verification(&self, user: &str, flow_id: &str) -> Option<Verification> {
        self.refresh(user, flow_id)
            .ok()
            .map(|tracked| snapshot(user, &tracked))
    }

    /// Whether `device` of `user` (the sender the engine tied a message's key to) is one
    /// this device verified.
    pub(super) async fn sender_device_verified(
        &self,
        user: &ruma::UserId,
        device: Option<&ruma::DeviceId>,
    ) -> Result<bool, CryptoError> {
        let Some(device) = device else {
            return Ok(false);
        };
        Ok(self
            .machine
            .get_device(user, device, None)
            .await?
            .is_some_and(|d| d.is_locally_trusted()))
    }

    /// The tracked flow, with its SAS once the request turned into one.
    fn refresh(&self, user: &str, flow_id: &str) -> Result<Tracked, CryptoError> {
        let mut tracked = self.flows.get(user, flow_id)?;
        if tracked.sas.is_none() {
            let sas = match tracked.request.state() {
                VerificationRequestState::Transitioned { verification, .. } => sas_of(verification),
                _ => None,
            };
            if let Some(sas) = sas {
                tracked.sas = Some(sas);
                self.flows.set(user, tracked.clone());
            }
        }
        Ok(tracked)
    }
}

fn sas_of(flow: Flow) -> Option<Sas> {
    flow.sas_v1().map(|sas| *sas)
}

/// The flow as plain data.
fn snapshot(user: &str, tracked: &Tracked) -> Verification {
    let request = &tracked.request;
    let state = match (&tracked.sas, request.state()) {
        (_, VerificationRequestState::Cancelled(info)) => cancelled(&info),
        (Some(sas), _) => sas_state(sas),
        (None, VerificationRequestState::Created { .. }) => VerificationState::Requested,
        (None, VerificationRequestState::Requested { .. }) => VerificationState::Incoming,
        (None, VerificationRequestState::Ready { .. })
        | (None, VerificationRequestState::Transitioned { .. }) => VerificationState::Starting,
        (None, VerificationRequestState::Done) => VerificationState::Done,
    };
    let device_id = tracked
        .sas
        .as_ref()
        .map(|sas| sas.other_device_id().to_string())
        .or_else(|| request.other_device_id().map(|d| d.to_string()));
    Verification {
        user: user.to_owned(),
        device_id,
        flow_id: request.flow_id().as_str().to_owned(),
        we_started: request.we_started(),
        state,
    }
}

fn sas_state(sas: &Sas) -> VerificationState {
    match sas.state() {
        SasState::Created { .. } | SasState::Started { .. } | SasState::Accepted { .. } => {
            VerificationState::Starting
        }
        SasState::KeysExchanged { emojis, decimals } => VerificationState::Compare {
            emojis: emojis
                .map(|e| {
                    e.emojis
                        .iter()
                        .map(|e| Emoji {
                            symbol: e.symbol.to_owned(),
                            name: e.description.to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            decimals,
        },
        SasState::Confirmed => VerificationState::Confirmed,
        SasState::Done { .. } => VerificationState::Done,
        SasState::Cancelled(info) => cancelled(&info),
    }
}

fn cancelled(info: &CancelInfo) -> VerificationState {
    VerificationState::Cancelled {
        code: info.cancel_code().as_str().to_owned(),
        reason: info.reason().to_owned(),
        by_us: info.cancelled_by_us(),
    }
}

/// A verification request as an [`Outgoing::ToDevice`] (to-device flows only: Parley has no
/// rooms for in-room verification).
fn verification_request(request: OutgoingVerificationRequest) -> Result<Outgoing, CryptoError> {
    match request {
        OutgoingVerificationRequest::ToDevice(request) => to_device(&request),
        OutgoingVerificationRequest::InRoom(_) => {
            Err(CryptoError::Unsupported("in-room verification"))
        }
    }
}
