//! OlmMachine's outgoing requests as plain data a transport can send ([`Outgoing`]), and the
//! server's answers ([`Answer`]) back into the responses the machine takes. Parley user ids on
//! this side (the server never sees `@…:parley`); Matrix objects (device keys, one-time
//! keys, to-device contents) pass through untouched, as the memo's frames carry them
//! (docs/proposals/e2e-encryption.md §4.2, §6.1).

use std::collections::BTreeMap;

use matrix_sdk_crypto::types::requests::{AnyOutgoingRequest, ToDeviceRequest};
use ruma::api::client::keys::{claim_keys, get_keys, upload_keys};
use ruma::api::client::to_device::send_event_to_device;
use ruma::to_device::DeviceIdOrAllDevices;
use ruma::{OneTimeKeyAlgorithm, OwnedUserId, UInt, UserId};
use serde_json::{Map, Value};

use super::ids::{matrix_user, parley_user};
use super::CryptoError;

/// A request for the server, with the machine's id for it (hand it back with the answer).
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// The device's keys (first time only), new one-time keys, a new fallback key.
    KeysUpload {
        request_id: String,
        /// The signed Matrix `device_keys` object.
        device_keys: Option<Value>,
        /// `"signed_curve25519:<key id>"` → signed key.
        one_time_keys: Map<String, Value>,
        /// Zero or one entry, same form.
        fallback_keys: Map<String, Value>,
    },
    /// Every device of these users.
    KeysQuery {
        request_id: String,
        users: Vec<String>,
    },
    /// One one-time key for each of these devices: user → device ids.
    KeysClaim {
        request_id: String,
        devices: BTreeMap<String, Vec<String>>,
    },
    /// Encrypted (Olm) messages for single devices: user → device → content, a JSON string
    /// the server stores and delivers as it is.
    ToDevice {
        request_id: String,
        event_type: String,
        messages: BTreeMap<String, BTreeMap<String, String>>,
    },
}

impl Outgoing {
    pub fn request_id(&self) -> &str {
        match self {
            Outgoing::KeysUpload { request_id, .. }
            | Outgoing::KeysQuery { request_id, .. }
            | Outgoing::KeysClaim { request_id, .. }
            | Outgoing::ToDevice { request_id, .. } => request_id,
        }
    }
}

/// The server's answer to an [`Outgoing`].
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// To `KeysUpload`: the device's unclaimed one-time keys by algorithm.
    KeysUploaded {
        one_time_key_counts: BTreeMap<String, u64>,
    },
    /// To `KeysQuery`: user → device → the device's `device_keys` object.
    Keys {
        devices: BTreeMap<String, BTreeMap<String, Value>>,
    },
    /// To `KeysClaim`: user → device → `{"signed_curve25519:<id>": key}`; a device with no key
    /// left is absent.
    Claimed {
        one_time_keys: BTreeMap<String, BTreeMap<String, Value>>,
    },
    /// To `ToDevice`: every message stored.
    ToDeviceSent,
}

/// What the machine asks for, as [`Outgoing`]; None for the kinds Parley does not serve
/// (signature uploads and in-room verification, which need cross-signing or verification).
pub(super) fn outgoing(
    request_id: &str,
    request: &AnyOutgoingRequest,
) -> Result<Option<Outgoing>, CryptoError> {
    let request_id = request_id.to_owned();
    Ok(Some(match request {
        AnyOutgoingRequest::KeysUpload(r) => Outgoing::KeysUpload {
            request_id,
            device_keys: r
                .device_keys
                .as_ref()
                .map(|k| json(k.json().get()))
                .transpose()?,
            one_time_keys: object(serde_json::to_value(&r.one_time_keys)?),
            fallback_keys: object(serde_json::to_value(&r.fallback_keys)?),
        },
        AnyOutgoingRequest::KeysQuery(r) => Outgoing::KeysQuery {
            request_id,
            users: r.device_keys.keys().map(parley).collect::<Result<_, _>>()?,
        },
        AnyOutgoingRequest::KeysClaim(r) => keys_claim(&request_id, r)?,
        AnyOutgoingRequest::ToDeviceRequest(r) => to_device(r)?,
        AnyOutgoingRequest::SignatureUpload(_) | AnyOutgoingRequest::RoomMessage(_) => {
            return Ok(None)
        }
    }))
}

/// A claim (from `outgoing` or from looking for missing sessions) as [`Outgoing::KeysClaim`].
pub(super) fn keys_claim(
    request_id: &str,
    request: &claim_keys::v3::Request,
) -> Result<Outgoing, CryptoError> {
    Ok(Outgoing::KeysClaim {
        request_id: request_id.to_owned(),
        devices: request
            .one_time_keys
            .iter()
            .map(|(user, devices)| {
                Ok((
                    parley(user)?,
                    devices.keys().map(ToString::to_string).collect(),
                ))
            })
            .collect::<Result<_, CryptoError>>()?,
    })
}

/// A to-device request (from `outgoing` or from sharing a room key) as [`Outgoing::ToDevice`].
pub(super) fn to_device(request: &ToDeviceRequest) -> Result<Outgoing, CryptoError> {
    let mut messages = BTreeMap::new();
    for (user, devices) in &request.messages {
        let mut contents = BTreeMap::new();
        for (device, content) in devices {
            let DeviceIdOrAllDevices::DeviceId(device) = device else {
                return Err(CryptoError::Unsupported(
                    "a to-device message for all of a user's devices",
                ));
            };
            contents.insert(device.to_string(), content.json().get().to_owned());
        }
        messages.insert(parley(user)?, contents);
    }
    Ok(Outgoing::ToDevice {
        request_id: request.txn_id.to_string(),
        event_type: request.event_type.to_string(),
        messages,
    })
}

/// Hands `answer` to the machine as the response to its request `request_id`.
pub(super) async fn mark_sent(
    machine: &matrix_sdk_crypto::OlmMachine,
    request_id: &str,
    answer: &Answer,
) -> Result<(), CryptoError> {
    let id = ruma::OwnedTransactionId::from(request_id);
    let result = match answer {
        Answer::KeysUploaded {
            one_time_key_counts,
        } => {
            let counts = counts(one_time_key_counts)?;
            machine
                .mark_request_as_sent(&id, &upload_keys::v3::Response::new(counts))
                .await
        }
        Answer::Keys { devices } => {
            let mut response = get_keys::v3::Response::new();
            response.device_keys = serde_json::from_value(Value::Object(by_matrix_user(devices)?))
                .map_err(|e| CryptoError::Answer(format!("keys: {e}")))?;
            machine.mark_request_as_sent(&id, &response).await
        }
        Answer::Claimed { one_time_keys } => {
            let keys = serde_json::from_value(Value::Object(by_matrix_user(one_time_keys)?))
                .map_err(|e| CryptoError::Answer(format!("claimed keys: {e}")))?;
            machine
                .mark_request_as_sent(&id, &claim_keys::v3::Response::new(keys))
                .await
        }
        Answer::ToDeviceSent => {
            machine
                .mark_request_as_sent(&id, &send_event_to_device::v3::Response::new())
                .await
        }
    };
    result.map_err(|e| CryptoError::Olm(e.to_string()))
}

/// One-time key counts as the machine wants them (the server's names are Matrix's).
pub(super) fn counts(
    counts: &BTreeMap<String, u64>,
) -> Result<BTreeMap<OneTimeKeyAlgorithm, UInt>, CryptoError> {
    counts
        .iter()
        .map(|(algorithm, n)| {
            let n = UInt::try_from(*n).map_err(|_| CryptoError::Answer(format!("count {n}")))?;
            Ok((OneTimeKeyAlgorithm::from(algorithm.as_str()), n))
        })
        .collect()
}

fn by_matrix_user<T: serde::Serialize>(
    by_user: &BTreeMap<String, T>,
) -> Result<Map<String, Value>, CryptoError> {
    by_user
        .iter()
        .map(|(user, value)| Ok((matrix_user(user)?.to_string(), serde_json::to_value(value)?)))
        .collect()
}

fn parley(user: &OwnedUserId) -> Result<String, CryptoError> {
    parley_user(user.as_ref() as &UserId)
        .map(str::to_owned)
        .ok_or_else(|| CryptoError::Id(format!("{user} is not a Parley user")))
}

fn json(text: &str) -> Result<Value, CryptoError> {
    Ok(serde_json::from_str(text)?)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
