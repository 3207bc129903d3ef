//! The key directory: a device's identity keys (registered once, never replaced), its
//! one-time keys (each its own item, handed out exactly once by a conditional delete) and its
//! fallback key (handed out when no one-time key is left, until the device replaces it).

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Select};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::BTreeMap;

use super::{string, Devices, Item, MAX_DEVICES_PER_USER};
use crate::batch;
use crate::error::condition_failed;
use crate::Error;
use parley_protocol::client::{DeviceKeys, SignedKeys, SIGNED_CURVE25519};
use parley_protocol::limits::MAX_ONE_TIME_KEYS_STORED;

/// Users whose devices are read at once (`keysQuery`), and devices claimed from at once.
const MAX_CONCURRENT_READS: usize = 16;
/// One-time keys a claim tries per round; several claimers of one device spread over them.
const CANDIDATES: i32 = 8;

/// What a device has left on the server, for its replies: it uploads more keys when low.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyCounts {
    pub one_time: u64,
    /// Whether it has a fallback key that was never handed out.
    pub fallback_unused: bool,
}

impl KeyCounts {
    /// `oneTimeKeyCounts`: by algorithm, 0 included (the library reads a missing one as 0).
    pub fn one_time_key_counts(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([(SIGNED_CURVE25519.to_owned(), self.one_time)])
    }

    /// `unusedFallbackKeys`: always present, empty once the fallback key was handed out.
    pub fn unused_fallback_keys(&self) -> Vec<String> {
        if self.fallback_unused {
            vec![SIGNED_CURVE25519.to_owned()]
        } else {
            Vec::new()
        }
    }
}

fn device_sk(device: &str) -> String {
    format!("dev#{device}")
}

fn one_time_prefix(device: &str) -> String {
    format!("otk#{device}#")
}

fn fallback_sk(device: &str) -> String {
    format!("fb#{device}")
}

/// Whether a fallback key item was never handed out.
fn is_unused(item: &Item) -> bool {
    item.get("used").and_then(|u| u.as_bool().ok()) == Some(&false)
}

/// The stored form of one signed key: the one-entry object `{<key name>: {…}}` as JSON.
fn key_json(name: &str, entry: &Value) -> String {
    serde_json::json!({ name: entry }).to_string()
}

/// A stored key back as the one-entry object.
fn stored_key(item: &Item) -> Result<SignedKeys, Error> {
    let json = string(item, "key").ok_or_else(|| Error::internal("key item without key"))?;
    serde_json::from_str(&json).map_err(Error::internal)
}

impl Devices {
    /// Registers `device` of `user` with its identity keys: the user's device list gains it
    /// (refused once it holds [`MAX_DEVICES_PER_USER`] others: one conditional UpdateItem, so
    /// concurrent registrations cannot pass the cap), then its keys are stored, refused when
    /// the device id already has other keys or was removed. `true` when the list gained it
    /// (a change to announce), `false` when it was there already.
    pub async fn register(
        &self,
        user: &str,
        device: &str,
        keys: &DeviceKeys,
        now_ms: i64,
    ) -> Result<bool, Error> {
        if self.is_removed(user, device).await? {
            return Err(Error::forbidden(
                "this device was removed: connect as a new device",
            ));
        }
        let listed = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, "list".to_owned())))
            .update_expression("ADD devices :d")
            .condition_expression(
                "attribute_not_exists(devices) OR size(devices) < :cap OR contains(devices, :id)",
            )
            .expression_attribute_values(":d", AttributeValue::Ss(vec![device.to_owned()]))
            .expression_attribute_values(":id", AttributeValue::S(device.to_owned()))
            .expression_attribute_values(
                ":cap",
                AttributeValue::N(MAX_DEVICES_PER_USER.to_string()),
            )
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let added = match listed {
            Err(error) if condition_failed(&error) => {
                return Err(Error::forbidden(format!(
                    "at most {MAX_DEVICES_PER_USER} devices per user have keys"
                )))
            }
            Err(error) => return Err(Error::aws(error)),
            Ok(output) => !output
                .attributes()
                .and_then(|old| old.get("devices")?.as_ss().ok())
                .is_some_and(|devices| devices.iter().any(|d| d == device)),
        };
        let (Some(curve), Some(ed)) = (keys.key("curve25519"), keys.key("ed25519")) else {
            return Err(Error::bad_request("deviceKeys: keys are missing"));
        };
        let mut item = Self::key(user, device_sk(device));
        item.insert("deviceKeys".into(), AttributeValue::S(keys.to_json()));
        item.insert("curve25519".into(), AttributeValue::S(curve.to_owned()));
        item.insert("ed25519".into(), AttributeValue::S(ed.to_owned()));
        item.insert("createdAt".into(), AttributeValue::N(now_ms.to_string()));
        let stored = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(sk) OR (curve25519 = :c AND ed25519 = :e)")
            .expression_attribute_values(":c", AttributeValue::S(curve.to_owned()))
            .expression_attribute_values(":e", AttributeValue::S(ed.to_owned()))
            .send()
            .await;
        match stored {
            Err(error) if condition_failed(&error) => Err(Error::forbidden(
                "this device's identity keys are registered already and never change: connect as a new device",
            )),
            Err(error) => Err(Error::aws(error)),
            Ok(_) => Ok(added),
        }
    }

    /// Whether `device` of `user` has registered its identity keys (consistent read).
    pub async fn is_registered(&self, user: &str, device: &str) -> Result<bool, Error> {
        Ok(self.get(user, device_sk(device)).await?.is_some())
    }

    /// Stores one-time keys of `device`, each its own item; refused when the device would
    /// hold more than [`MAX_ONE_TIME_KEYS_STORED`]. A key uploaded twice is stored once.
    pub async fn store_one_time_keys(
        &self,
        user: &str,
        device: &str,
        keys: &SignedKeys,
    ) -> Result<(), Error> {
        let held = self.count_one_time_keys(user, device).await?;
        if held as usize + keys.len() > MAX_ONE_TIME_KEYS_STORED {
            return Err(Error::client(
                parley_protocol::ErrorCode::TooLarge,
                format!(
                    "the server holds at most {MAX_ONE_TIME_KEYS_STORED} one-time keys per device ({held} now)"
                ),
            ));
        }
        let writes = keys
            .iter()
            .map(|(name, entry)| {
                let mut item = Self::key(user, format!("{}{name}", one_time_prefix(device)));
                item.insert("key".into(), AttributeValue::S(key_json(name, entry)));
                batch::put(item)
            })
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.table, writes).await
    }

    /// Replaces the fallback key of `device` (at most one entry in `keys`), unused.
    pub async fn store_fallback_key(
        &self,
        user: &str,
        device: &str,
        keys: &SignedKeys,
    ) -> Result<(), Error> {
        let Some((name, entry)) = keys.iter().next() else {
            return Ok(());
        };
        let mut item = Self::key(user, fallback_sk(device));
        item.insert("key".into(), AttributeValue::S(key_json(name, entry)));
        item.insert("used".into(), AttributeValue::Bool(false));
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    async fn count_one_time_keys(&self, user: &str, device: &str) -> Result<u64, Error> {
        let output = self
            .query_prefix(user, one_time_prefix(device))
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.count().max(0) as u64)
    }

    /// What `device` of `user` has left.
    pub async fn counts(&self, user: &str, device: &str) -> Result<KeyCounts, Error> {
        let one_time = self.count_one_time_keys(user, device).await?;
        let fallback = self.get(user, fallback_sk(device)).await?;
        let fallback_unused = fallback.as_ref().is_some_and(is_unused);
        Ok(KeyCounts {
            one_time,
            fallback_unused,
        })
    }

    /// Every registered device of `user` with its identity keys (at most
    /// [`MAX_DEVICES_PER_USER`] items, one Query).
    pub async fn devices_of(&self, user: &str) -> Result<BTreeMap<String, DeviceKeys>, Error> {
        let output = self
            .query_prefix(user, "dev#".to_owned())
            .send()
            .await
            .map_err(Error::aws)?;
        output
            .items()
            .iter()
            .filter_map(|item| {
                let device = string(item, "sk")?.strip_prefix("dev#")?.to_owned();
                Some((device, string(item, "deviceKeys")?))
            })
            .map(|(device, json)| {
                let keys = serde_json::from_str(&json).map_err(Error::internal)?;
                Ok((device, DeviceKeys(keys)))
            })
            .collect()
    }

    /// The devices of each of `users` ([`Self::devices_of`], several users at once).
    pub async fn query(
        &self,
        users: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, DeviceKeys>>, Error> {
        stream::iter(users)
            .map(|user| async move { Ok::<_, Error>((user.clone(), self.devices_of(user).await?)) })
            .buffer_unordered(MAX_CONCURRENT_READS)
            .try_collect()
            .await
    }

    /// One key of each of `pairs` (user, device), as [`Self::claim`] hands them out.
    pub async fn claim_all<'a>(
        &self,
        pairs: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<BTreeMap<String, BTreeMap<String, SignedKeys>>, Error> {
        let claimed: Vec<_> = stream::iter(pairs)
            .map(|(user, device)| async move {
                Ok::<_, Error>((user, device, self.claim(user, device).await?))
            })
            .buffer_unordered(MAX_CONCURRENT_READS)
            .try_collect()
            .await?;
        let mut keys: BTreeMap<String, BTreeMap<String, SignedKeys>> = BTreeMap::new();
        for (user, device, key) in claimed {
            if let Some(key) = key {
                keys.entry(user.to_owned())
                    .or_default()
                    .insert(device.to_owned(), key);
            }
        }
        Ok(keys)
    }

    /// Hands out one one-time key of `device`: deleted on condition that it still exists,
    /// the deleted item returned, so of concurrent claimers exactly one gets each key. A
    /// claimer that lost every candidate of a round asks again; each lost candidate was taken
    /// by someone else, so the rounds end. With none left, the fallback key (marked used,
    /// handed out again until the device replaces it); with neither, `None`.
    pub async fn claim(&self, user: &str, device: &str) -> Result<Option<SignedKeys>, Error> {
        for _ in 0..=MAX_ONE_TIME_KEYS_STORED {
            let mut candidates = self.one_time_candidates(user, device).await?;
            if candidates.is_empty() {
                break;
            }
            // Concurrent claimers start at different candidates.
            let start = (uuid::Uuid::new_v4().as_u128() % candidates.len() as u128) as usize;
            candidates.rotate_left(start);
            for sk in candidates {
                if let Some(key) = self.take(user, sk).await? {
                    return Ok(Some(key));
                }
            }
        }
        self.fallback(user, device).await
    }

    async fn one_time_candidates(&self, user: &str, device: &str) -> Result<Vec<String>, Error> {
        let output = self
            .query_prefix(user, one_time_prefix(device))
            .projection_expression("sk")
            .limit(CANDIDATES)
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output
            .items()
            .iter()
            .filter_map(|item| string(item, "sk"))
            .collect())
    }

    /// Deletes one one-time key item if it is still there, returning its key.
    async fn take(&self, user: &str, sk: String) -> Result<Option<SignedKeys>, Error> {
        let result = self
            .db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, sk)))
            .condition_expression("attribute_exists(sk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes().map(stored_key).transpose(),
            Err(error) if condition_failed(&error) => Ok(None),
            Err(error) => Err(Error::aws(error)),
        }
    }

    async fn fallback(&self, user: &str, device: &str) -> Result<Option<SignedKeys>, Error> {
        let Some(item) = self.get(user, fallback_sk(device)).await? else {
            return Ok(None);
        };
        if is_unused(&item) {
            let marked = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(user, fallback_sk(device))))
                .update_expression("SET used = :t")
                .condition_expression("attribute_exists(sk)")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .send()
                .await;
            // A condition failure: deleted meanwhile; handed out as read all the same.
            if let Err(error) = marked {
                if !condition_failed(&error) {
                    return Err(Error::aws(error));
                }
            }
        }
        stored_key(&item).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use serde_json::json;

    #[test]
    fn counts_always_name_the_algorithm() {
        let none = KeyCounts::default();
        assert_eq!(
            none.one_time_key_counts(),
            BTreeMap::from([("signed_curve25519".to_owned(), 0)])
        );
        assert!(none.unused_fallback_keys().is_empty());
        let some = KeyCounts {
            one_time: 7,
            fallback_unused: true,
        };
        assert_eq!(some.one_time_key_counts()["signed_curve25519"], 7);
        assert_eq!(some.unused_fallback_keys(), ["signed_curve25519"]);
    }

    #[test]
    fn a_stored_key_comes_back_as_uploaded() {
        let entry = json!({"key": "k", "signatures": {"@u:parley": {"ed25519:D": "s"}}});
        let item = Item::from([(
            "key".to_owned(),
            AttributeValue::S(key_json("signed_curve25519:AAAA", &entry)),
        )]);
        assert_eq!(
            stored_key(&item).unwrap(),
            SignedKeys::from([("signed_curve25519:AAAA".to_owned(), entry)])
        );
        assert_eq!(one_time_prefix("D"), "otk#D#");
    }
}
