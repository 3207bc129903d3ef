//! The [`KeyTransport`] over the client's own connection: each of the crypto engine's
//! requests becomes key frames (`keysUpload`, `keysQuery`, `keysClaim`, `sendToDevice`),
//! handed to the connection worker as requests awaited by id, so they get the worker's
//! retries (same id again after a timeout, a transient refusal or a reconnect). Requests too
//! big for one frame are split within the protocol's limits and the replies merged.

use parley_protocol::client::{DeviceKeys, KeysClaim, KeysQuery, KeysUpload, SendToDevice};
use parley_protocol::limits::{
    MAX_KEY_CLAIM_DEVICES, MAX_KEY_QUERY_USERS, MAX_TO_DEVICE_PER_FRAME,
};
use parley_protocol::{ClientFrame, ServerFrame};
use serde_json::Value;
use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot};

use crate::connection::Command;
use crate::crypto::{Answer, CryptoError, KeyTransport, Outgoing};

/// A `sendToDevice` frame holds at most this much content: the socket fragments frames over
/// 32 KB, and API Gateway takes messages up to 128 KB.
const MAX_TO_DEVICE_FRAME_BYTES: usize = 96 * 1024;

/// Sends key frames through the connection worker. It holds the worker's command channel
/// weakly: the worker stops once the application dropped its every `Client`, whatever
/// encryption still holds.
#[derive(Clone)]
pub(crate) struct SocketTransport {
    pub commands: mpsc::WeakUnboundedSender<Command>,
}

impl SocketTransport {
    /// Hands the worker a command; false once it stopped.
    pub fn command(&self, command: Command) -> bool {
        self.commands
            .upgrade()
            .is_some_and(|commands| commands.send(command).is_ok())
    }

    async fn request(&self, frame: ClientFrame) -> Result<ServerFrame, CryptoError> {
        let (reply, answer) = oneshot::channel();
        if !self.command(Command::Request(frame, reply)) {
            return Err(CryptoError::Transport("the client stopped".into()));
        }
        answer
            .await
            .map_err(|_| CryptoError::Transport("the client stopped".into()))?
            .map_err(|e| CryptoError::Transport(e.to_string()))
    }
}

impl KeyTransport for SocketTransport {
    async fn send(&mut self, request: &Outgoing) -> Result<Answer, CryptoError> {
        match request {
            Outgoing::KeysUpload {
                device_keys,
                one_time_keys,
                fallback_keys,
                ..
            } => {
                let device_keys = match device_keys {
                    Some(Value::Object(map)) => Some(DeviceKeys(map.clone())),
                    Some(_) => return Err(CryptoError::Olm("device keys not an object".into())),
                    None => None,
                };
                let frame = ClientFrame::KeysUpload(KeysUpload {
                    id: fresh_id(),
                    device_keys,
                    one_time_keys: one_time_keys.clone().into_iter().collect(),
                    fallback_keys: fallback_keys.clone().into_iter().collect(),
                });
                match self.request(frame).await? {
                    ServerFrame::KeysUploaded {
                        one_time_key_counts,
                        ..
                    } => Ok(Answer::KeysUploaded {
                        one_time_key_counts,
                    }),
                    other => Err(unexpected(&other)),
                }
            }
            Outgoing::KeysQuery { users, .. } => {
                let mut devices = BTreeMap::new();
                for chunk in users.chunks(MAX_KEY_QUERY_USERS) {
                    let frame = ClientFrame::KeysQuery(KeysQuery {
                        id: fresh_id(),
                        users: chunk.to_vec(),
                    });
                    match self.request(frame).await? {
                        ServerFrame::Keys { devices: part, .. } => {
                            for (user, by_device) in part {
                                let by_device: BTreeMap<String, Value> = by_device
                                    .into_iter()
                                    .map(|(d, k)| (d, Value::Object(k.0)))
                                    .collect();
                                devices.insert(user, by_device);
                            }
                        }
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(Answer::Keys { devices })
            }
            Outgoing::KeysClaim { devices, .. } => {
                let pairs: Vec<(&String, &String)> = devices
                    .iter()
                    .flat_map(|(user, ds)| ds.iter().map(move |d| (user, d)))
                    .collect();
                let mut one_time_keys: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
                for chunk in pairs.chunks(MAX_KEY_CLAIM_DEVICES) {
                    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
                    for (user, device) in chunk {
                        wanted
                            .entry((*user).clone())
                            .or_default()
                            .push((*device).clone());
                    }
                    let frame = ClientFrame::KeysClaim(KeysClaim {
                        id: fresh_id(),
                        devices: wanted,
                    });
                    match self.request(frame).await? {
                        ServerFrame::Claimed {
                            one_time_keys: part,
                            ..
                        } => {
                            for (user, by_device) in part {
                                let entry = one_time_keys.entry(user).or_default();
                                for (device, keys) in by_device {
                                    let keys: serde_json::Map<String, Value> =
                                        keys.into_iter().collect();
                                    entry.insert(device, Value::Object(keys));
                                }
                            }
                        }
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(Answer::Claimed { one_time_keys })
            }
            Outgoing::ToDevice {
                event_type,
                messages,
                ..
            } => {
                for frame in to_device_frames(event_type, messages) {
                    match self.request(ClientFrame::SendToDevice(frame)).await? {
                        ServerFrame::ToDeviceSent { .. } => {}
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(Answer::ToDeviceSent)
            }
        }
    }
}

/// Splits to-device messages into `sendToDevice` frames of at most 100 messages and
/// [`MAX_TO_DEVICE_FRAME_BYTES`] of content each, every frame with its own id.
pub(crate) fn to_device_frames(
    event_type: &str,
    messages: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<SendToDevice> {
    let mut frames = Vec::new();
    let mut current: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let (mut count, mut bytes) = (0usize, 0usize);
    for (user, devices) in messages {
        for (device, content) in devices {
            let size = content.len() + user.len() + device.len() + 8;
            if count > 0
                && (count == MAX_TO_DEVICE_PER_FRAME || bytes + size > MAX_TO_DEVICE_FRAME_BYTES)
            {
                frames.push(std::mem::take(&mut current));
                count = 0;
                bytes = 0;
            }
            current
                .entry(user.clone())
                .or_default()
                .insert(device.clone(), content.clone());
            count += 1;
            bytes += size;
        }
    }
    if count > 0 {
        frames.push(current);
    }
    frames
        .into_iter()
        .map(|messages| SendToDevice {
            id: fresh_id(),
            event_type: event_type.to_owned(),
            messages,
        })
        .collect()
}

fn unexpected(frame: &ServerFrame) -> CryptoError {
    CryptoError::Answer(format!("a {} frame", frame_type(frame)))
}

fn frame_type(frame: &ServerFrame) -> String {
    serde_json::to_value(frame)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_device_messages_split_by_count_and_size() {
        let mut messages = BTreeMap::new();
        for u in 0..3 {
            let devices: BTreeMap<String, String> = (0..90)
                .map(|d| (format!("D{d}"), "x".repeat(100)))
                .collect();
            messages.insert(format!("u{u}"), devices);
        }
        let frames = to_device_frames("m.room.encrypted", &messages);
        let counts: Vec<usize> = frames
            .iter()
            .map(|f| f.messages.values().map(BTreeMap::len).sum())
            .collect();
        assert_eq!(counts, [100, 100, 70]);
        assert_eq!(
            frames
                .iter()
                .map(|f| f.id.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3
        );

        let big: BTreeMap<String, BTreeMap<String, String>> = [(
            "u".to_owned(),
            (0..10)
                .map(|d| (format!("D{d}"), "y".repeat(16 * 1024)))
                .collect(),
        )]
        .into();
        let frames = to_device_frames("m.room.encrypted", &big);
        assert!(frames.len() > 1);
        for frame in &frames {
            let size: usize = frame
                .messages
                .values()
                .flat_map(|d| d.values())
                .map(String::len)
                .sum();
            assert!(size <= MAX_TO_DEVICE_FRAME_BYTES, "{size}");
        }
        assert_eq!(
            frames.iter().map(|f| f.messages["u"].len()).sum::<usize>(),
            10
        );
    }
}
