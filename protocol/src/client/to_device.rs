//! The per-device inbox of end-to-end encryption: `sendToDevice` (opaque messages to other
//! devices, mostly the Olm-encrypted room keys), `toDeviceSync` (what waits for the calling
//! device) and `toDeviceAck` (what it has processed, which the server then deletes). Contents
//! are JSON strings the server stores byte for byte; it checks only their length.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::client::keys::user_device_map;
use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::is_valid_id;
use crate::limits::{
    MAX_INBOX_PAGE, MAX_TO_DEVICE_ACK, MAX_TO_DEVICE_CONTENT_BYTES, MAX_TO_DEVICE_PER_FRAME,
};

const MAX_EVENT_TYPE_LEN: usize = 64;

/// An event type: 1–64 characters of `[A-Za-z0-9._-]` (`m.room.encrypted`,
/// `m.room_key.withheld`, `m.key.verification.request`, …).
fn is_event_type(text: &str) -> bool {
    (1..=MAX_EVENT_TYPE_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// `sendToDevice`: 1–100 messages of one event type, `{<user id>: {<device id>: "<content>"}}`,
/// each content a string of at most 16 KiB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SendToDevice {
    /// Fresh per frame, the same on every retry of it.
    pub id: String,
    pub event_type: String,
    pub messages: BTreeMap<String, BTreeMap<String, String>>,
}

impl SendToDevice {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let event_type = fields.required_str("eventType")?;
        if !is_event_type(event_type) {
            return Err(FrameError::bad_request(
                "eventType must be 1-64 characters of A-Z, a-z, 0-9, ., _ and -",
            ));
        }
        let mut too_long = false;
        let messages = user_device_map(fields, "messages", |value| {
            value
                .as_object()?
                .iter()
                .map(|(device, content)| {
                    let content = content.as_str().filter(|_| is_valid_id(device))?;
                    too_long |= content.len() > MAX_TO_DEVICE_CONTENT_BYTES;
                    Some((device.clone(), content.to_owned()))
                })
                .collect::<Option<BTreeMap<_, _>>>()
        })
        .map_err(|_| {
            FrameError::bad_request("messages must map user ids to {device id: content string}")
        })?;
        if too_long {
            return Err(FrameError::too_large(format!(
                "each message at most {MAX_TO_DEVICE_CONTENT_BYTES} bytes"
            )));
        }
        let count: usize = messages.values().map(BTreeMap::len).sum();
        if count == 0 {
            return Err(FrameError::bad_request("messages must hold 1-100 messages"));
        }
        if count > MAX_TO_DEVICE_PER_FRAME {
            return Err(FrameError::too_large(format!(
                "at most {MAX_TO_DEVICE_PER_FRAME} messages in one sendToDevice"
            )));
        }
        Ok(Self {
            id,
            event_type: event_type.to_owned(),
            messages,
        })
    }

    /// Every (user, device, content) addressed.
    pub fn each(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.messages.iter().flat_map(|(user, devices)| {
            devices
                .iter()
                .map(move |(device, content)| (user.as_str(), device.as_str(), content.as_str()))
        })
    }
}

/// `toDeviceSync`: the oldest messages waiting for the calling device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToDeviceSync {
    /// 1–100; more is served as 100; none is 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub limit: Option<u64>,
}

impl ToDeviceSync {
    pub fn page_size(&self) -> u32 {
        self.limit
            .map_or(MAX_INBOX_PAGE, |l| l.min(u64::from(MAX_INBOX_PAGE)) as u32)
    }

    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        match fields.optional_u64("limit", "a whole number")? {
            Some(0) => Err(FrameError::bad_request("limit must be at least 1")),
            limit => Ok(Self { limit }),
        }
    }
}

/// `toDeviceAck`: inbox messages the calling device has processed (1–100 ids); the server
/// deletes them. Ids no longer stored are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToDeviceAck {
    pub ids: Vec<String>,
}

impl ToDeviceAck {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let mut ids = fields.string_list("ids", MAX_TO_DEVICE_ACK, || {
            FrameError::too_large(format!("at most {MAX_TO_DEVICE_ACK} ids in one ack"))
        })?;
        if ids.is_empty() || !ids.iter().all(|id| is_valid_id(id)) {
            return Err(FrameError::bad_request(
                "ids must list 1-100 inbox ids from toDevice frames",
            ));
        }
        ids.sort();
        ids.dedup();
        Ok(Self { ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn send_to_device_reads_and_round_trips() {
        let frame = json!({"action": "sendToDevice", "id": "t1", "eventType": "m.room.encrypted",
            "messages": {"u1": {"PHONE": "{\"a\":1}", "LAPTOP": "x"}, "u2": {"D": "y"}}});
        let ClientFrame::SendToDevice(send) = parse(frame.clone()).unwrap() else {
            panic!("not a sendToDevice");
        };
        assert_eq!(
            send.each().collect::<Vec<_>>(),
            [
                ("u1", "LAPTOP", "x"),
                ("u1", "PHONE", "{\"a\":1}"),
                ("u2", "D", "y")
            ]
        );
        assert_eq!(
            serde_json::to_value(ClientFrame::SendToDevice(send)).unwrap(),
            frame
        );
    }

    #[test]
    fn bad_to_device_frames_are_refused() {
        let send = |event: Value, messages: Value| {
            parse(json!({"action": "sendToDevice", "id": "t1", "eventType": event, "messages": messages}))
                .unwrap_err()
        };
        let ok = json!({"u1": {"D": "x"}});
        assert!(send(json!("m room"), ok.clone())
            .message
            .starts_with("eventType must be"));
        assert!(send(json!(""), ok).message.starts_with("eventType must be"));
        for bad in [
            json!({"u1": {"D": {"not": "a string"}}}),
            json!({"u1": {"a b": "x"}}),
            json!({"u 1": {"D": "x"}}),
            json!({}),
            json!({"u1": {}}),
        ] {
            assert_eq!(
                send(json!("m.room.encrypted"), bad.clone()).code,
                ErrorCode::BadRequest,
                "{bad}"
            );
        }
        let big = "x".repeat(MAX_TO_DEVICE_CONTENT_BYTES + 1);
        assert_eq!(
            send(json!("m.room.encrypted"), json!({"u1": {"D": big}})).code,
            ErrorCode::TooLarge
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_TO_DEVICE_PER_FRAME)
            .map(|i| (format!("D{i}"), json!("x")))
            .collect();
        assert_eq!(
            send(json!("m.room.encrypted"), json!({ "u1": many })).code,
            ErrorCode::TooLarge
        );
    }

    #[test]
    fn sync_and_ack_are_bounded() {
        let ClientFrame::ToDeviceSync(sync) =
            parse(json!({"action": "toDeviceSync", "limit": 500})).unwrap()
        else {
            panic!("not a toDeviceSync");
        };
        assert_eq!(sync.page_size(), MAX_INBOX_PAGE);
        assert_eq!(ToDeviceSync::default().page_size(), MAX_INBOX_PAGE);
        assert!(parse(json!({"action": "toDeviceSync", "limit": 0})).is_err());
        let ClientFrame::ToDeviceAck(ack) =
            parse(json!({"action": "toDeviceAck", "ids": ["b", "a", "b"]})).unwrap()
        else {
            panic!("not a toDeviceAck");
        };
        assert_eq!(ack.ids, ["a", "b"]);
        for bad in [json!([]), json!(["a b"]), json!("a")] {
            assert_eq!(
                parse(json!({"action": "toDeviceAck", "ids": bad}))
                    .unwrap_err()
                    .code,
                ErrorCode::BadRequest
            );
        }
        let many: Vec<String> = (0..=MAX_TO_DEVICE_ACK).map(|i| format!("i{i}")).collect();
        assert_eq!(
            parse(json!({"action": "toDeviceAck", "ids": many}))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
    }
}
