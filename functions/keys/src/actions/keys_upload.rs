//! `keysUpload {id, deviceKeys?, oneTimeKeys?, fallbackKeys?}` → `keysUploaded`: the calling
//! device's keys, for itself only: the identity keys must name the caller's user and the
//! device it connected as, and every key must carry that device's signature (its presence
//! and form: verifying it is the clients' job, as they verify every key they are handed).
//! A device's first identity keys add it to the user's device list, which the user's
//! contacts are told of ([`announce`]).

use parley_core::clock::now_ms;
use parley_core::Error;
use parley_protocol::client::{all_signed_by, matrix_user_id, DeviceKeys, KeysUpload};
use parley_protocol::ServerFrame;

use crate::actions::announce;
use crate::services::{Caller, Services};

pub async fn run(
    services: &Services,
    caller: &Caller,
    upload: KeysUpload,
) -> Result<ServerFrame, Error> {
    let user = caller.user_id.as_str();
    let device = caller.device()?;
    match &upload.device_keys {
        Some(keys) => {
            check_own(keys, user, device)?;
            let added = services
                .devices
                .register(user, device, keys, now_ms())
                .await?;
            if added {
                announce::device_list_changed(services, user).await?;
            }
        }
        None if !services.devices.is_registered(user, device).await? => {
            return Err(Error::bad_request(
                "upload this device's deviceKeys first (with or before its other keys)",
            ));
        }
        None => {}
    }
    for keys in [&upload.one_time_keys, &upload.fallback_keys] {
        if !all_signed_by(keys, user, device) {
            return Err(Error::bad_request(
                "one-time and fallback keys must carry your device's signature",
            ));
        }
    }
    if !upload.one_time_keys.is_empty() {
        services
            .devices
            .store_one_time_keys(user, device, &upload.one_time_keys)
            .await?;
    }
    services
        .devices
        .store_fallback_key(user, device, &upload.fallback_keys)
        .await?;
    let counts = services.devices.counts(user, device).await?;
    Ok(ServerFrame::KeysUploaded {
        id: upload.id,
        one_time_key_counts: counts.one_time_key_counts(),
        unused_fallback_keys: counts.unused_fallback_keys(),
    })
}

/// Identity keys the caller may upload: its own user, the device it connected as, signed
/// by that device.
fn check_own(keys: &DeviceKeys, user: &str, device: &str) -> Result<(), Error> {
    if keys.user_id() != Some(matrix_user_id(user).as_str()) {
        return Err(Error::bad_request(
            "deviceKeys.user_id must be your own, @<your user id>:parley",
        ));
    }
    if keys.device_id() != Some(device) {
        return Err(Error::bad_request(
            "deviceKeys.device_id must be the device you connected as (?device=)",
        ));
    }
    if !keys.is_signed_by(user, device) {
        return Err(Error::bad_request(
            "deviceKeys must carry your device's signature",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(user: &str, device: &str, signer: &str) -> DeviceKeys {
        let value = json!({
            "user_id": matrix_user_id(user),
            "device_id": device,
            "signatures": {matrix_user_id(user): {format!("ed25519:{signer}"): "A".repeat(86)}},
        });
        DeviceKeys(value.as_object().unwrap().clone())
    }

    #[test]
    fn a_device_uploads_for_itself_only() {
        assert!(check_own(&keys("u1", "PHONE", "PHONE"), "u1", "PHONE").is_ok());
        let other_user = check_own(&keys("u2", "PHONE", "PHONE"), "u1", "PHONE").unwrap_err();
        assert!(other_user
            .public_message()
            .contains("user_id must be your own"));
        let other_device = check_own(&keys("u1", "LAPTOP", "LAPTOP"), "u1", "PHONE").unwrap_err();
        assert!(other_device
            .public_message()
            .contains("the device you connected as"));
        let unsigned = check_own(&keys("u1", "PHONE", "LAPTOP"), "u1", "PHONE").unwrap_err();
        assert!(unsigned.public_message().contains("signature"));
    }
}
