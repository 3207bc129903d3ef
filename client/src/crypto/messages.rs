//! What goes through the machine: the server's to-device messages and key counts in
//! ([`Crypto::receive_sync`]), a conversation's messages out ([`Crypto::encrypt`]: Olm
//! sessions and the room key first, then Megolm) and in ([`Crypto::decrypt`]). The decrypted
//! content is Parley's own event, `parley.message` (memo §8); its fields are the caller's.

use std::collections::BTreeMap;

use matrix_sdk_common::deserialized_responses::{
    ProcessedToDeviceEvent, VerificationLevel, VerificationState,
};
use matrix_sdk_crypto::{
    DecryptionSettings, EncryptionSettings, EncryptionSyncChanges, RoomEventDecryptionResult,
    TrustRequirement,
};
use parley_protocol::ids::ConversationId;
use ruma::api::client::sync::sync_events::DeviceLists;
use ruma::events::room::history_visibility::HistoryVisibility;
use ruma::serde::Raw;
use ruma::OneTimeKeyAlgorithm;
use serde_json::{json, Value};

use super::ids::{event_id, matrix_user, room_id};
use super::requests::{counts, keys_claim, to_device, Answer};
use super::{Crypto, CryptoError, KeyTransport};

/// The type of every encrypted Parley message, inside the ciphertext.
pub const MESSAGE_EVENT_TYPE: &str = "parley.message";

/// A to-device message as the server delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToDeviceMessage {
    /// The sender's Parley user id.
    pub from: String,
    pub event_type: String,
    /// The content JSON, as the sender's device wrote it.
    pub content: String,
}

/// One batch from the server: to-device messages, device-list changes, key counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncChanges {
    pub to_device: Vec<ToDeviceMessage>,
    /// Users with a new or removed device: their keys are queried again.
    pub changed_users: Vec<String>,
    /// Users who no longer share a conversation with this one.
    pub left_users: Vec<String>,
    /// This device's unclaimed one-time keys on the server, by algorithm (0 included).
    pub one_time_key_counts: BTreeMap<String, u64>,
    /// The algorithms whose fallback key is still unused.
    pub unused_fallback_keys: Vec<String>,
}

/// A room key that arrived: messages of `session_id` waiting for their key can be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomKey {
    /// The Megolm room id (see [`super::ids::room_id`]).
    pub room_id: String,
    pub session_id: String,
}

/// What a sync brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Received {
    pub room_keys: Vec<RoomKey>,
    /// To-device messages that did not decrypt (logged; the sender's device will have to
    /// share its key again).
    pub undecryptable: usize,
}

/// A decrypted message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    /// The `parley.message` content the sender encrypted.
    pub content: Value,
    /// The sender's device, when the machine knows it.
    pub sender_device: Option<String>,
    /// The device was marked verified on this one.
    pub verified: bool,
}

/// No cross-signing in Parley (memo §0.4): trust is checked per device, and a message whose
/// key belongs to someone else than its sender is refused here.
pub(super) fn decryption_settings() -> DecryptionSettings {
    DecryptionSettings {
        sender_device_trust_requirement: TrustRequirement::Untrusted,
    }
}

pub(super) fn raw<T>(value: &Value) -> Result<Raw<T>, CryptoError> {
    Ok(Raw::from_json(serde_json::value::to_raw_value(value)?))
}

impl Crypto {
    /// Feeds a batch from the server to the machine. Acknowledge the to-device messages to
    /// the server only after this returned: the machine has stored their effect by then.
    pub async fn receive_sync(&self, changes: SyncChanges) -> Result<Received, CryptoError> {
        let events = changes
            .to_device
            .iter()
            .map(|m| {
                let content: Value = serde_json::from_str(&m.content)?;
                raw(&json!({ "type": m.event_type, "sender": matrix_user(&m.from)?, "content": content }))
            })
            .collect::<Result<Vec<_>, CryptoError>>()?;
        let mut lists = DeviceLists::new();
        lists.changed = changes
            .changed_users
            .iter()
            .map(|u| matrix_user(u))
            .collect::<Result<_, _>>()?;
        lists.left = changes
            .left_users
            .iter()
            .map(|u| matrix_user(u))
            .collect::<Result<_, _>>()?;
        let counts = counts(&changes.one_time_key_counts)?;
        let unused: Vec<OneTimeKeyAlgorithm> = changes
            .unused_fallback_keys
            .iter()
            .map(|a| OneTimeKeyAlgorithm::from(a.as_str()))
            .collect();
        let sync = EncryptionSyncChanges {
            to_device_events: events,
            changed_devices: &lists,
            one_time_keys_counts: &counts,
            unused_fallback_keys: Some(&unused),
            next_batch_token: None,
        };
        let (processed, room_keys) = self
            .machine
            .receive_sync_changes(sync, &decryption_settings())
            .await
            .map_err(|e| CryptoError::Olm(e.to_string()))?;
        let undecryptable = processed
            .iter()
            .filter(|e| matches!(e, ProcessedToDeviceEvent::UnableToDecrypt { .. }))
            .count();
        if undecryptable > 0 {
            tracing::warn!(undecryptable, "to-device messages that did not decrypt");
        }
        Ok(Received {
            room_keys: room_keys
                .into_iter()
                .map(|k| RoomKey {
                    room_id: k.room_id.to_string(),
                    session_id: k.session_id,
                })
                .collect(),
            undecryptable,
        })
    }

    /// Encrypts `content` for the conversation's `members` (Parley user ids; this user's own
    /// other devices get the key too): the members' device keys, Olm sessions for devices
    /// that lack one, the conversation's room key to every device, through `transport`; then
    /// the Megolm ciphertext. Answers the `m.room.encrypted` content to send, as JSON text.
    pub async fn encrypt(
        &self,
        transport: &mut impl KeyTransport,
        conversation: &ConversationId,
        members: &[String],
        content: &Value,
    ) -> Result<String, CryptoError> {
        let room = room_id(conversation)?;
        let mut users = members
            .iter()
            .map(|u| matrix_user(u))
            .collect::<Result<Vec<_>, _>>()?;
        users.push(self.machine.user_id().to_owned());
        users.sort();
        users.dedup();
        // Plain references, not an iterator with a closure, held across the awaits: the
        // future must be `Send` for any lifetime (a task encrypts sends).
        let refs: Vec<&ruma::UserId> = users.iter().map(|u| u.as_ref()).collect();

        let _exchange = self.exchange.lock().await;
        self.machine.update_tracked_users(refs.clone()).await?;
        self.process_outgoing_locked(transport).await?;
        if let Some((request_id, claim)) = self
            .machine
            .get_missing_sessions(refs.clone().into_iter())
            .await?
        {
            let request = keys_claim(request_id.as_str(), &claim)?;
            let answer = transport.send(&request).await?;
            self.mark_sent(request.request_id(), &answer).await?;
        }
        let settings = EncryptionSettings {
            history_visibility: HistoryVisibility::Joined,
            ..Default::default()
        };
        let shares = self
            .machine
            .share_room_key(&room, refs.clone().into_iter(), settings)
            .await
            .map_err(|e| CryptoError::Olm(e.to_string()))?;
        for share in shares {
            let request = to_device(&share)?;
            match transport.send(&request).await? {
                Answer::ToDeviceSent => {
                    self.mark_sent(request.request_id(), &Answer::ToDeviceSent)
                        .await?
                }
                other => {
                    return Err(CryptoError::Answer(format!(
                        "{other:?} to a to-device request"
                    )))
                }
            }
        }
        let encrypted = self
            .machine
            .encrypt_room_event_raw(&room, MESSAGE_EVENT_TYPE, &raw(content)?)
            .await
            .map_err(|e| CryptoError::Olm(e.to_string()))?;
        Ok(encrypted.content.json().get().to_owned())
    }

    /// Decrypts message `message_id` of `conversation`, sent by `from` at `sent_at` (ms), whose
    /// `encrypted` content the server delivered. [`CryptoError::MissingKey`] when its room key
    /// has not arrived yet; refused when the key is not `from`'s or the content is not a
    /// Parley message.
    pub async fn decrypt(
        &self,
        conversation: &ConversationId,
        from: &str,
        message_id: &str,
        sent_at: u64,
        encrypted: &str,
    ) -> Result<Decrypted, CryptoError> {
        let room = room_id(conversation)?;
        let content: Value = serde_json::from_str(encrypted)?;
        let event = json!({
            "type": "m.room.encrypted",
            "sender": matrix_user(from)?,
            "event_id": event_id(message_id)?,
            "origin_server_ts": sent_at,
            "content": content,
        });
        let decrypted = match self
            .machine
            .try_decrypt_room_event(&raw(&event)?, &room, &decryption_settings())
            .await?
        {
            RoomEventDecryptionResult::Decrypted(d) => d,
            RoomEventDecryptionResult::UnableToDecrypt(info)
                if info.reason.is_missing_room_key() =>
            {
                return Err(CryptoError::MissingKey {
                    session_id: info.session_id,
                })
            }
            RoomEventDecryptionResult::UnableToDecrypt(info) => {
                return Err(CryptoError::Undecryptable(format!("{:?}", info.reason)))
            }
        };
        let info = &decrypted.encryption_info;
        match &info.verification_state {
            VerificationState::Unverified(VerificationLevel::MismatchedSender) => {
                return Err(CryptoError::MismatchedSender {
                    claimed: from.to_owned(),
                })
            }
            _ if info.sender != matrix_user(from)? => {
                return Err(CryptoError::MismatchedSender {
                    claimed: from.to_owned(),
                })
            }
            _ => {}
        }
        let event: Value = serde_json::from_str(decrypted.event.json().get())?;
        if event["type"] != MESSAGE_EVENT_TYPE {
            return Err(CryptoError::Undecryptable(format!(
                "an event of type {}",
                event["type"]
            )));
        }
        Ok(Decrypted {
            content: event["content"].clone(),
            sender_device: info.sender_device.as_ref().map(ToString::to_string),
            // Cross-signing (the engine's own "verified") is not used: a device this one
            // verified (LocalTrust::Verified) is what counts.
            verified: info.verification_state == VerificationState::Verified
                || self
                    .sender_device_verified(&info.sender, info.sender_device.as_deref())
                    .await?,
        })
    }
}
