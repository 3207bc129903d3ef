//! Users' devices as this device knows them: asking the server again ([`Crypto::refresh_devices`],
//! which tells which devices are new since the last time), listing them with their keys and
//! trust ([`Crypto::devices`]). The server announces no device changes yet, so a client asks
//! again before it shares a conversation's key (and on each connect): a device that appeared
//! gets the key, and one that is gone no longer does (the engine then rotates the key).

use std::collections::{BTreeMap, BTreeSet};

use super::ids::matrix_user;
use super::requests::{outgoing, Answer};
use super::{Crypto, CryptoError, KeyTransport};
use matrix_sdk_crypto::types::requests::AnyOutgoingRequest;

/// One device of a user, as the key directory gave it (and the engine checked its signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub device_id: String,
    /// Its Ed25519 identity key (unpadded base64): what a person compares to verify it.
    pub ed25519: Option<String>,
    pub curve25519: Option<String>,
    /// Marked verified on this device.
    pub verified: bool,
    /// This very device.
    pub this_device: bool,
}

/// A device of a user that was not among their devices the last time they were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub user: String,
    pub device_id: String,
}

impl Crypto {
    /// The devices of `user` this device knows (none before their keys were first asked for).
    pub async fn devices(&self, user: &str) -> Result<Vec<DeviceInfo>, CryptoError> {
        let devices = self
            .machine
            .get_user_devices(&matrix_user(user)?, None)
            .await?;
        let mut found: Vec<DeviceInfo> = devices
            .devices()
            .filter(|d| !d.is_deleted())
            .map(|d| DeviceInfo {
                device_id: d.device_id().to_string(),
                ed25519: d.ed25519_key().map(|k| k.to_base64()),
                curve25519: d.curve25519_key().map(|k| k.to_base64()),
                verified: d.is_locally_trusted(),
                this_device: d.user_id() == self.machine.user_id()
                    && d.device_id() == self.machine.device_id(),
            })
            .collect();
        found.sort_by(|a, b| a.device_id.cmp(&b.device_id));
        Ok(found)
    }

    /// Asks the server for the devices of `users` now (whatever the engine last heard), and
    /// answers the devices that appeared since the previous answer, for users already known.
    pub async fn refresh_devices(
        &self,
        transport: &mut impl KeyTransport,
        users: &[String],
    ) -> Result<Vec<NewDevice>, CryptoError> {
        let mut before: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for user in users {
            let ids = self.devices(user).await?.into_iter().map(|d| d.device_id);
            before.insert(user.clone(), ids.collect());
        }
        let matrix_users = users
            .iter()
            .map(|u| matrix_user(u))
            .collect::<Result<Vec<_>, _>>()?;
        // Plain references, not an iterator with a closure, held across the awaits: the
        // future must be `Send` for any lifetime (a task encrypts sends).
        let refs: Vec<&ruma::UserId> = matrix_users.iter().map(|u| u.as_ref()).collect();
        {
            let _exchange = self.exchange.lock().await;
            self.machine.update_tracked_users(refs.clone()).await?;
            let (request_id, query) = self.machine.query_keys_for_users(refs.clone());
            let request = outgoing(request_id.as_str(), &AnyOutgoingRequest::KeysQuery(query))?
                .ok_or(CryptoError::Unsupported("a key query"))?;
            let answer = transport.send(&request).await?;
            if !matches!(answer, Answer::Keys { .. }) {
                return Err(CryptoError::Answer(format!("{answer:?} to a key query")));
            }
            self.mark_sent(request.request_id(), &answer).await?;
        }
        let mut new = Vec::new();
        for (user, known) in before {
            if known.is_empty() {
                continue;
            }
            for device in self.devices(&user).await? {
                if !known.contains(&device.device_id) && !device.this_device {
                    new.push(NewDevice {
                        user: user.clone(),
                        device_id: device.device_id,
                    });
                }
            }
        }
        Ok(new)
    }

    /// Marks a device of `user` verified (after comparing its key out of band) or not.
    pub async fn set_verified(
        &self,
        user: &str,
        device: &str,
        verified: bool,
    ) -> Result<bool, CryptoError> {
        let Some(found) = self
            .machine
            .get_device(&matrix_user(user)?, device.into(), None)
            .await?
        else {
            return Ok(false);
        };
        let trust = if verified {
            matrix_sdk_crypto::LocalTrust::Verified
        } else {
            matrix_sdk_crypto::LocalTrust::Unset
        };
        found.set_local_trust(trust).await?;
        Ok(true)
    }
}
