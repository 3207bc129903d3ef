//! The key directory of end-to-end encryption (docs/encryption.md): `keysUpload` (a device's
//! identity keys, one-time keys and fallback key), `keysQuery` (users' devices and identity
//! keys) and `keysClaim` (one one-time key per device). The Matrix objects are passed through
//! as the client's crypto library made them; the server checks their shape and sizes here,
//! and that a device uploads only for itself (functions/keys), never their signatures: the
//! clients' library verifies every signature it is handed.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::{is_valid_id, is_valid_user_id};
use crate::limits::{
    MAX_DEVICE_KEYS_BYTES, MAX_KEY_CLAIM_DEVICES, MAX_KEY_QUERY_USERS, MAX_ONE_KEY_BYTES,
    MAX_ONE_TIME_KEYS_PER_UPLOAD,
};

/// The one key algorithm one-time and fallback keys are offered in.
pub const SIGNED_CURVE25519: &str = "signed_curve25519";
/// Ed25519 and Curve25519 public keys: 32 bytes in unpadded base64.
const PUBLIC_KEY_LEN: usize = 43;
/// An Ed25519 signature: 64 bytes in unpadded base64.
const SIGNATURE_LEN: usize = 86;
const MAX_KEY_ID_LEN: usize = 64;
const MAX_ALGORITHMS: usize = 16;

/// A Parley user's id as the Matrix crypto library names them: `@<user id>:parley`, the same
/// in every deployment.
pub fn matrix_user_id(user: &str) -> String {
    format!("@{user}:parley")
}

fn is_unpadded_base64(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Whether `name` is `signed_curve25519:<key id>`, the id 1–64 characters of
/// `[A-Za-z0-9+/=_-]` (what the library makes: base64 of a counter).
pub fn is_key_name(name: &str) -> bool {
    name.strip_prefix("signed_curve25519:").is_some_and(|id| {
        (1..=MAX_KEY_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
    })
}

/// `signatures`: `{<matrix user id>: {<algorithm>:<key id>: <signature>}}`, all strings.
fn is_signatures(value: Option<&Value>) -> bool {
    value.and_then(Value::as_object).is_some_and(|by_user| {
        by_user.values().all(|keys| {
            keys.as_object()
                .is_some_and(|keys| keys.values().all(Value::is_string))
        })
    })
}

/// Whether `signatures` holds `user`'s signature with `device`'s Ed25519 key.
fn signed_by(signatures: Option<&Value>, user: &str, device: &str) -> bool {
    signatures
        .and_then(|s| s.get(matrix_user_id(user)))
        .and_then(|s| s.get(format!("ed25519:{device}")))
        .and_then(Value::as_str)
        .is_some_and(|signature| is_unpadded_base64(signature, SIGNATURE_LEN))
}

/// A device's identity keys, the Matrix `device_keys` object as uploaded: `user_id`,
/// `device_id`, `algorithms`, `keys` (`curve25519:<device>` and `ed25519:<device>`) and
/// `signatures`. At most 4 KiB.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS), ts(type = "Record<string, unknown>"))]
pub struct DeviceKeys(pub Map<String, Value>);

/// On the wire: the object itself.
impl Serialize for DeviceKeys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DeviceKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self)
    }
}

impl DeviceKeys {
    fn parse(value: &Value) -> Result<Self, FrameError> {
        let invalid = |why: &str| FrameError::bad_request(format!("deviceKeys: {why}"));
        let Value::Object(map) = value else {
            return Err(invalid("must be an object"));
        };
        if value.to_string().len() > MAX_DEVICE_KEYS_BYTES {
            return Err(FrameError::too_large("deviceKeys: at most 4096 bytes"));
        }
        let keys = Self(map.clone());
        if !keys.user_id().is_some_and(|u| u.starts_with('@')) {
            return Err(invalid("user_id must be a string @<user id>:parley"));
        }
        let Some(device) = keys.device_id().filter(|d| is_valid_id(d)) else {
            return Err(invalid(
                "device_id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
            ));
        };
        let algorithms = map.get("algorithms").and_then(Value::as_array);
        if !algorithms.is_some_and(|a| {
            !a.is_empty() && a.len() <= MAX_ALGORITHMS && a.iter().all(Value::is_string)
        }) {
            return Err(invalid("algorithms must be a list of 1-16 strings"));
        }
        let key_map = map.get("keys").and_then(Value::as_object);
        if !key_map.is_some_and(|k| k.values().all(Value::is_string)) {
            return Err(invalid("keys must be an object of strings"));
        }
        for algorithm in ["curve25519", "ed25519"] {
            if !keys
                .key(algorithm)
                .is_some_and(|k| is_unpadded_base64(k, PUBLIC_KEY_LEN))
            {
                return Err(invalid(&format!(
                    "keys must hold {algorithm}:{device}, 32 bytes in unpadded base64"
                )));
            }
        }
        if !is_signatures(map.get("signatures")) {
            return Err(invalid(
                "signatures must be an object of objects of strings",
            ));
        }
        Ok(keys)
    }

    pub fn user_id(&self) -> Option<&str> {
        self.0.get("user_id").and_then(Value::as_str)
    }

    pub fn device_id(&self) -> Option<&str> {
        self.0.get("device_id").and_then(Value::as_str)
    }

    /// The device's public key of `algorithm` (`curve25519`, `ed25519`).
    pub fn key(&self, algorithm: &str) -> Option<&str> {
        let device = self.device_id()?;
        self.0
            .get("keys")?
            .get(format!("{algorithm}:{device}"))?
            .as_str()
    }

    /// Whether `user`'s device `device` signed these keys (its signature is present and well
    /// formed; verifying it is the clients' library's job).
    pub fn is_signed_by(&self, user: &str, device: &str) -> bool {
        signed_by(self.0.get("signatures"), user, device)
    }

    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

/// Signed one-time or fallback keys: `{"signed_curve25519:<key id>": {key, signatures,
/// fallback?}}`, each entry passed through as the library made it.
pub type SignedKeys = BTreeMap<String, Value>;

/// Reads an object of signed keys of at most `max` entries.
fn signed_keys(fields: &Fields, name: &str, max: usize) -> Result<SignedKeys, FrameError> {
    let invalid = |why: &str| FrameError::bad_request(format!("{name}: {why}"));
    let map = match fields.0.get(name) {
        None | Some(Value::Null) => return Ok(SignedKeys::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("must be an object")),
    };
    if map.len() > max {
        return Err(FrameError::too_large(format!(
            "{name}: at most {max} keys in one upload"
        )));
    }
    for (key_name, entry) in map {
        if !is_key_name(key_name) {
            return Err(invalid(
                "key names must be signed_curve25519:<id>, the id 1-64 characters of A-Z, a-z, 0-9, +, /, =, _ and -",
            ));
        }
        let key = entry.get("key").and_then(Value::as_str);
        if !entry.is_object() || !key.is_some_and(|k| is_unpadded_base64(k, PUBLIC_KEY_LEN)) {
            return Err(invalid(
                "each key must be an object whose key is 32 bytes in unpadded base64",
            ));
        }
        if !is_signatures(entry.get("signatures")) {
            return Err(invalid(
                "signatures must be an object of objects of strings",
            ));
        }
        if entry.to_string().len() > MAX_ONE_KEY_BYTES {
            return Err(FrameError::too_large(format!(
                "{name}: each key at most {MAX_ONE_KEY_BYTES} bytes"
            )));
        }
    }
    Ok(map.clone().into_iter().collect())
}

/// Whether every key of `keys` carries `user`'s signature with `device`'s Ed25519 key.
pub fn all_signed_by(keys: &SignedKeys, user: &str, device: &str) -> bool {
    keys.values()
        .all(|entry| signed_by(entry.get("signatures"), user, device))
}

/// `keysUpload`: the calling device's identity keys (once; they never change), one-time keys
/// and a fallback key. At least one of the three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct KeysUpload {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub device_keys: Option<DeviceKeys>,
    /// 1–100 `signed_curve25519:<key id>` entries.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(test, ts(optional, type = "Record<string, unknown>"))]
    pub one_time_keys: SignedKeys,
    /// At most one entry; it replaces the device's fallback key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(test, ts(optional, type = "Record<string, unknown>"))]
    pub fallback_keys: SignedKeys,
}

impl KeysUpload {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let device_keys = match fields.0.get("deviceKeys") {
            None | Some(Value::Null) => None,
            Some(value) => Some(DeviceKeys::parse(value)?),
        };
        let one_time_keys = signed_keys(fields, "oneTimeKeys", MAX_ONE_TIME_KEYS_PER_UPLOAD)?;
        let fallback_keys = signed_keys(fields, "fallbackKeys", 1)?;
        if device_keys.is_none() && one_time_keys.is_empty() && fallback_keys.is_empty() {
            return Err(FrameError::bad_request(
                "give deviceKeys, oneTimeKeys or fallbackKeys to upload",
            ));
        }
        Ok(Self {
            id,
            device_keys,
            one_time_keys,
            fallback_keys,
        })
    }
}

/// `keysQuery`: the devices and identity keys of 1–250 users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct KeysQuery {
    pub id: String,
    pub users: Vec<String>,
}

impl KeysQuery {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let mut users = fields.string_list("users", MAX_KEY_QUERY_USERS, || {
            FrameError::too_large(format!("at most {MAX_KEY_QUERY_USERS} users in one query"))
        })?;
        if users.is_empty() {
            return Err(FrameError::bad_request("users must name 1-250 users"));
        }
        if !users.iter().all(|u| is_valid_user_id(u)) {
            return Err(FrameError::bad_request("users must be valid user ids"));
        }
        users.sort();
        users.dedup();
        Ok(Self { id, users })
    }
}

/// `keysClaim`: one one-time key (or the fallback key) of each device named, 1–250 devices in
/// all: `{<user id>: [<device id>, …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct KeysClaim {
    pub id: String,
    pub devices: BTreeMap<String, Vec<String>>,
}

impl KeysClaim {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let devices = user_device_map(fields, "devices", |value| {
            let mut devices: Vec<String> = value
                .as_array()?
                .iter()
                .map(|d| d.as_str().filter(|d| is_valid_id(d)).map(str::to_owned))
                .collect::<Option<_>>()?;
            devices.sort();
            devices.dedup();
            Some(devices)
        })?;
        let count: usize = devices.values().map(Vec::len).sum();
        if count == 0 {
            return Err(FrameError::bad_request("devices must name 1-250 devices"));
        }
        if count > MAX_KEY_CLAIM_DEVICES {
            return Err(FrameError::too_large(format!(
                "at most {MAX_KEY_CLAIM_DEVICES} devices in one claim"
            )));
        }
        Ok(Self { id, devices })
    }

    /// Every (user, device) pair claimed.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.devices
            .iter()
            .flat_map(|(user, devices)| devices.iter().map(move |d| (user.as_str(), d.as_str())))
    }
}

/// An object keyed by user id whose values `value` reads; a refusal names the field.
pub(crate) fn user_device_map<T>(
    fields: &Fields,
    name: &str,
    mut value: impl FnMut(&Value) -> Option<T>,
) -> Result<BTreeMap<String, T>, FrameError> {
    let invalid = || {
        FrameError::bad_request(format!(
            "{name} must map user ids to their device ids (1-64 characters of A-Z, a-z, 0-9, _ and -)"
        ))
    };
    let Some(Value::Object(map)) = fields.0.get(name) else {
        return Err(invalid());
    };
    map.iter()
        .map(|(user, entry)| {
            if !is_valid_user_id(user) {
                return Err(invalid());
            }
            Ok((user.clone(), value(entry).ok_or_else(invalid)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    const CURVE: &str = "+1bS8vADJb0eHoXHHpR4u1c9uGeYGyBp5HIWi52H4gI";
    const ED: &str = "GjukaCtdXSGdj/3ZhdqBJnQZlWT/pG+KXXweC18l2zM";

    fn signature() -> String {
        "A".repeat(SIGNATURE_LEN)
    }

    fn device_keys(user: &str, device: &str) -> Value {
        json!({
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "device_id": device,
            "keys": {format!("curve25519:{device}"): CURVE, format!("ed25519:{device}"): ED},
            "signatures": {matrix_user_id(user): {format!("ed25519:{device}"): signature()}},
            "user_id": matrix_user_id(user),
        })
    }

    fn one_time_key(user: &str, device: &str) -> Value {
        json!({"key": CURVE, "signatures": {matrix_user_id(user): {format!("ed25519:{device}"): signature()}}})
    }

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn an_upload_reads_and_round_trips() {
        let frame = json!({
            "action": "keysUpload", "id": "k1",
            "deviceKeys": device_keys("u1", "PHONE"),
            "oneTimeKeys": {"signed_curve25519:AAAAAQ": one_time_key("u1", "PHONE")},
            "fallbackKeys": {"signed_curve25519:AAAAAg": one_time_key("u1", "PHONE")},
        });
        let ClientFrame::KeysUpload(upload) = parse(frame.clone()).unwrap() else {
            panic!("not an upload");
        };
        let keys = upload.device_keys.as_ref().unwrap();
        assert_eq!(keys.key("curve25519"), Some(CURVE));
        assert_eq!(keys.key("ed25519"), Some(ED));
        assert!(keys.is_signed_by("u1", "PHONE"));
        assert!(!keys.is_signed_by("u2", "PHONE"));
        assert!(all_signed_by(&upload.one_time_keys, "u1", "PHONE"));
        assert!(!all_signed_by(&upload.one_time_keys, "u1", "OTHER"));
        assert_eq!(
            serde_json::to_value(ClientFrame::KeysUpload(upload)).unwrap(),
            frame
        );
    }

    #[test]
    fn bad_uploads_say_what_is_wrong() {
        let refusal = |frame: Value| parse(frame).unwrap_err();
        let empty = refusal(json!({"action": "keysUpload", "id": "k1"}));
        assert_eq!(
            empty.message,
            "give deviceKeys, oneTimeKeys or fallbackKeys to upload"
        );
        let mut short_key = device_keys("u1", "PHONE");
        short_key["keys"]["ed25519:PHONE"] = json!("abc");
        assert!(
            refusal(json!({"action": "keysUpload", "id": "k1", "deviceKeys": short_key}))
                .message
                .contains("ed25519:PHONE, 32 bytes in unpadded base64")
        );
        let mut bad_device = device_keys("u1", "PHONE");
        bad_device["device_id"] = json!("a b");
        assert!(
            refusal(json!({"action": "keysUpload", "id": "k1", "deviceKeys": bad_device}))
                .message
                .starts_with("deviceKeys: device_id must be")
        );
        let mut huge = device_keys("u1", "PHONE");
        huge["unsigned"] = json!("x".repeat(MAX_DEVICE_KEYS_BYTES));
        assert_eq!(
            refusal(json!({"action": "keysUpload", "id": "k1", "deviceKeys": huge})).code,
            ErrorCode::TooLarge
        );
        let bad_name = refusal(json!({"action": "keysUpload", "id": "k1",
            "oneTimeKeys": {"curve25519:AAAA": one_time_key("u1", "PHONE")}}));
        assert!(bad_name.message.contains("signed_curve25519:<id>"));
        let bad_key = refusal(json!({"action": "keysUpload", "id": "k1",
            "oneTimeKeys": {"signed_curve25519:A": {"key": "short", "signatures": {}}}}));
        assert!(bad_key.message.contains("32 bytes in unpadded base64"));
        let many: Map<String, Value> = (0..=MAX_ONE_TIME_KEYS_PER_UPLOAD)
            .map(|i| {
                (
                    format!("signed_curve25519:{i}"),
                    one_time_key("u1", "PHONE"),
                )
            })
            .collect();
        let too_many = refusal(json!({"action": "keysUpload", "id": "k1", "oneTimeKeys": many}));
        assert_eq!(too_many.code, ErrorCode::TooLarge);
        assert_eq!(too_many.id.as_deref(), Some("k1"));
        let two_fallbacks = refusal(json!({"action": "keysUpload", "id": "k1", "fallbackKeys": {
            "signed_curve25519:A": one_time_key("u1", "PHONE"),
            "signed_curve25519:B": one_time_key("u1", "PHONE")}}));
        assert_eq!(two_fallbacks.code, ErrorCode::TooLarge);
    }

    #[test]
    fn queries_and_claims_are_bounded() {
        let ClientFrame::KeysQuery(query) =
            parse(json!({"action": "keysQuery", "id": "q1", "users": ["b", "a", "b"]})).unwrap()
        else {
            panic!("not a query");
        };
        assert_eq!(query.users, ["a", "b"]);
        let users: Vec<String> = (0..=MAX_KEY_QUERY_USERS).map(|i| format!("u{i}")).collect();
        assert_eq!(
            parse(json!({"action": "keysQuery", "id": "q1", "users": users}))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
        for bad in [json!([]), json!(["a b"]), json!("a")] {
            assert_eq!(
                parse(json!({"action": "keysQuery", "id": "q1", "users": bad}))
                    .unwrap_err()
                    .code,
                ErrorCode::BadRequest
            );
        }

        let ClientFrame::KeysClaim(claim) = parse(
            json!({"action": "keysClaim", "id": "c1", "devices": {"u1": ["B", "A", "B"], "u2": ["C"]}}),
        )
        .unwrap() else {
            panic!("not a claim");
        };
        assert_eq!(
            claim.pairs().collect::<Vec<_>>(),
            [("u1", "A"), ("u1", "B"), ("u2", "C")]
        );
        let devices: Vec<String> = (0..=MAX_KEY_CLAIM_DEVICES)
            .map(|i| format!("d{i}"))
            .collect();
        assert_eq!(
            parse(json!({"action": "keysClaim", "id": "c1", "devices": {"u1": devices}}))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
        for bad in [
            json!({}),
            json!({"u1": []}),
            json!({"u 1": ["A"]}),
            json!({"u1": ["a b"]}),
            json!(["A"]),
        ] {
            assert_eq!(
                parse(json!({"action": "keysClaim", "id": "c1", "devices": bad}))
                    .unwrap_err()
                    .code,
                ErrorCode::BadRequest,
                "{bad}"
            );
        }
    }

    #[test]
    fn key_names_are_signed_curve25519_with_a_short_id() {
        assert!(is_key_name("signed_curve25519:AAAAAAAAAA0"));
        assert!(is_key_name("signed_curve25519:a+/=_-"));
        assert!(!is_key_name("signed_curve25519:"));
        assert!(!is_key_name("curve25519:AAAA"));
        assert!(!is_key_name(&format!(
            "signed_curve25519:{}",
            "A".repeat(65)
        )));
        assert!(!is_key_name("signed_curve25519:a#b"));
    }
}
