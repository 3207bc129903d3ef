//! A toy key directory and to-device mailbox, in memory: what Parley's server will do for
//! end-to-end encryption (docs/proposals/e2e-encryption.md §5), reduced to HashMaps, so tests
//! can drive OlmMachines (Rust and wasm) to each other without a server. Everything goes in
//! and out as the Matrix JSON the machines produce and expect (request bodies, response
//! bodies, to-device events), never as a library type: the directory cannot tell which
//! engine a device runs.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

/// A device's address: (Matrix user id, device id).
type Address = (String, String);

#[derive(Default)]
pub struct KeyDirectory {
    /// user → device → signed device keys, as uploaded.
    device_keys: BTreeMap<String, BTreeMap<String, Value>>,
    /// Unclaimed one-time keys per device: key id ("signed_curve25519:…") → signed key.
    one_time_keys: HashMap<Address, BTreeMap<String, Value>>,
    /// The device's fallback key (key id, signed key) and whether it was handed out.
    fallback_keys: HashMap<Address, (String, Value, bool)>,
    /// To-device events waiting for their device, in the order they were sent.
    inboxes: HashMap<Address, Vec<Value>>,
}

/// What a device gets when it syncs: its to-device events and its key counts.
pub struct Sync {
    pub events: Vec<Value>,
    /// {"signed_curve25519": n}, always present (0 included), as the memo's server sends it.
    pub one_time_key_counts: Value,
    /// ["signed_curve25519"] while the device's fallback key is unused, else [].
    pub unused_fallback_keys: Vec<String>,
}

impl KeyDirectory {
    /// `/keys/upload`: stores device keys (once), one-time keys and a fallback key; answers
    /// with the one-time key count.
    pub fn upload(&mut self, user: &str, device: &str, body: &Value) -> Value {
        let address = (user.to_owned(), device.to_owned());
        if let Some(keys) = body.get("device_keys").filter(|k| !k.is_null()) {
            assert_eq!(keys["user_id"], user, "device keys of another user");
            assert_eq!(keys["device_id"], device, "device keys of another device");
            self.device_keys
                .entry(user.to_owned())
                .or_default()
                .insert(device.to_owned(), keys.clone());
        }
        let stock = self.one_time_keys.entry(address.clone()).or_default();
        for (id, key) in objects(body.get("one_time_keys")) {
            stock.insert(id.clone(), key.clone());
        }
        if let Some((id, key)) = objects(body.get("fallback_keys")).into_iter().next() {
            self.fallback_keys
                .insert(address.clone(), (id.clone(), key.clone(), false));
        }
        json!({ "one_time_key_counts": self.counts(&address) })
    }

    /// `/keys/query`: every device of every user asked for.
    pub fn query(&self, body: &Value) -> Value {
        let mut device_keys = Map::new();
        for user in objects(body.get("device_keys")).keys() {
            let devices = self
                .device_keys
                .get(user.as_str())
                .cloned()
                .unwrap_or_default();
            device_keys.insert(user.clone(), json!(devices));
        }
        json!({ "device_keys": device_keys, "failures": {} })
    }

    /// `/keys/claim`: one one-time key per device, each handed out once; the fallback key when
    /// none is left; the device absent when it has neither.
    pub fn claim(&mut self, body: &Value) -> Value {
        let mut claimed = Map::new();
        for (user, devices) in objects(body.get("one_time_keys")) {
            for device in objects(Some(&devices)).keys() {
                let address = (user.clone(), device.clone());
                let one_time = self
                    .one_time_keys
                    .get_mut(&address)
                    .and_then(|stock| stock.pop_first());
                let key = one_time.or_else(|| {
                    self.fallback_keys.get_mut(&address).map(|(id, key, used)| {
                        *used = true;
                        (id.clone(), key.clone())
                    })
                });
                if let Some((id, key)) = key {
                    let user_entry = claimed.entry(user.clone()).or_insert_with(|| json!({}));
                    user_entry[device.as_str()] = json!({ id: key });
                }
            }
        }
        json!({ "one_time_keys": claimed, "failures": {} })
    }

    /// `/sendToDevice`: each message into its device's inbox, as the event the device will
    /// sync. Messages to unknown devices are dropped, as the memo's server does.
    pub fn send_to_device(&mut self, sender: &str, event_type: &str, body: &Value) -> Value {
        for (user, devices) in objects(body.get("messages")) {
            for (device, content) in objects(Some(&devices)) {
                let known = self
                    .device_keys
                    .get(user.as_str())
                    .is_some_and(|d| d.contains_key(device.as_str()));
                assert!(
                    device != "*",
                    "Parley has no all-devices to-device messages"
                );
                if known {
                    let event = json!({ "type": event_type, "sender": sender, "content": content });
                    self.inboxes
                        .entry((user.clone(), device.clone()))
                        .or_default()
                        .push(event);
                }
            }
        }
        json!({})
    }

    /// A device's sync: its inbox, emptied, and its key counts.
    pub fn sync(&mut self, user: &str, device: &str) -> Sync {
        let address = (user.to_owned(), device.to_owned());
        let events = self.inboxes.remove(&address).unwrap_or_default();
        let unused_fallback = self
            .fallback_keys
            .get(&address)
            .is_some_and(|(_, _, used)| !used);
        Sync {
            events,
            one_time_key_counts: self.counts(&address),
            unused_fallback_keys: if unused_fallback {
                vec!["signed_curve25519".to_owned()]
            } else {
                Vec::new()
            },
        }
    }

    /// The number of unclaimed one-time keys of a device.
    pub fn one_time_keys_left(&self, user: &str, device: &str) -> usize {
        self.one_time_keys
            .get(&(user.to_owned(), device.to_owned()))
            .map_or(0, BTreeMap::len)
    }

    fn counts(&self, address: &Address) -> Value {
        let n = self.one_time_keys.get(address).map_or(0, BTreeMap::len);
        json!({ "signed_curve25519": n })
    }
}

/// The members of a JSON object (none when absent or not an object).
fn objects(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}
