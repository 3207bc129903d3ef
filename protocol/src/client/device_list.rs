//! A user's device list (issue 15): `deviceChanges` (which users' device lists changed since
//! a time, for a device that was offline) and `removeDevice` (one of the caller's own
//! devices: its keys and inbox go, and the users who share a conversation with the caller
//! hear of it). Live changes come as `deviceChanged {user}` frames.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::is_valid_id;

/// `deviceChanges {id, since?}`: the users whose device list changed after `since` (ms since
/// the epoch, the `until` of an earlier reply; absent: everything the server still holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DeviceChanges {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub since: Option<i64>,
}

impl DeviceChanges {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let since = fields
            .optional_u64("since", "a time in milliseconds since the epoch")?
            .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX));
        Ok(Self { id, since })
    }
}

/// `removeDevice {id, device}`: one of the caller's own registered devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RemoveDevice {
    pub id: String,
    pub device: String,
}

impl RemoveDevice {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let device = fields.required_str("device")?;
        if !is_valid_id(device) {
            return Err(FrameError::bad_request(
                "device must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
            ));
        }
        Ok(Self {
            id,
            device: device.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    #[test]
    fn device_list_frames_round_trip() {
        for frame in [
            json!({"action": "deviceChanges", "id": "d1"}),
            json!({"action": "deviceChanges", "id": "d1", "since": 1764069000000_i64}),
            json!({"action": "removeDevice", "id": "r1", "device": "OLDPHONE"}),
        ] {
            let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        }
    }

    #[test]
    fn device_list_frames_are_checked() {
        for (frame, expected) in [
            (
                json!({"action": "deviceChanges", "id": "d1", "since": -1}),
                "since must be",
            ),
            (
                json!({"action": "deviceChanges", "id": "d1", "since": "yesterday"}),
                "since must be",
            ),
            (
                json!({"action": "removeDevice", "id": "r1"}),
                "device is required",
            ),
            (
                json!({"action": "removeDevice", "id": "r1", "device": "a b"}),
                "device must be",
            ),
        ] {
            let error = ClientFrame::parse(&frame.to_string()).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest, "{frame}");
            assert!(error.message.contains(expected), "{frame}: {error:?}");
            assert!(error.id.is_some(), "the id is echoed: {frame}");
        }
    }
}
