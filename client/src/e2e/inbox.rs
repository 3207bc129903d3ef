//! This device's to-device inbox, on the worker's side: the messages the server sends it
//! (live `toDevice` frames and `toDeviceSync` pages) go to the crypto engine as they come,
//! before any `message` frame behind them, so a room key that arrived first is there when
//! its message is decrypted. They are acknowledged only once the engine has stored their
//! effect; the same inbox id is never fed twice (it may come live and again in a page
//! before its ack lands, and a pre-key message must not be decrypted twice).

use parley_protocol::limits::MAX_TO_DEVICE_ACK;
use parley_protocol::server::ToDeviceMessage as Inbound;
use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::crypto::{
    is_verification_event, Crypto, CryptoError, RoomKey, SyncChanges, ToDeviceMessage,
};

/// Inbox ids remembered as processed.
const REMEMBERED_IDS: usize = 4096;

#[derive(Default)]
pub(crate) struct KeyInbox {
    /// The device's key counts on the server, once known: fed to the engine with every
    /// batch (it reads a missing count as none left, and would upload more keys).
    counts: Option<(BTreeMap<String, u64>, Vec<String>)>,
    /// Messages that came before any count did.
    held: Vec<Inbound>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

/// What a batch did: the inbox ids to acknowledge (in frames' worth), the room keys that
/// arrived.
#[derive(Debug, Default)]
pub(crate) struct Processed {
    pub acks: Vec<Vec<String>>,
    pub room_keys: Vec<RoomKey>,
    /// `m.key.verification.*` messages, for the key task (acknowledged with the rest: a
    /// verification lost to a crash is started again by the people).
    pub verification: Vec<ToDeviceMessage>,
}

impl KeyInbox {
    /// New key counts (`toDeviceSynced`, `toDeviceAcked`): the held messages go through.
    pub async fn counts(
        &mut self,
        crypto: &Crypto,
        counts: BTreeMap<String, u64>,
        unused_fallback: Vec<String>,
    ) -> Result<Processed, CryptoError> {
        self.counts = Some((counts, unused_fallback));
        let held = std::mem::take(&mut self.held);
        self.receive(crypto, held).await
    }

    /// To-device messages (held until the first counts came).
    pub async fn messages(
        &mut self,
        crypto: &Crypto,
        messages: Vec<Inbound>,
    ) -> Result<Processed, CryptoError> {
        if self.counts.is_none() {
            self.held.extend(messages);
            return Ok(Processed::default());
        }
        self.receive(crypto, messages).await
    }

    async fn receive(
        &mut self,
        crypto: &Crypto,
        messages: Vec<Inbound>,
    ) -> Result<Processed, CryptoError> {
        let Some((counts, unused)) = self.counts.clone() else {
            return Ok(Processed::default());
        };
        let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
        let fresh: Vec<ToDeviceMessage> = messages
            .into_iter()
            .filter(|m| !self.seen.contains(&m.id))
            // A content that is not a JSON object will never go through: acked, dropped.
            .filter(|m| {
                let object =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&m.content);
                if object.is_err() {
                    tracing::warn!(from = %m.from, "a to-device message that is not JSON");
                }
                object.is_ok()
            })
            .map(|m| ToDeviceMessage {
                from: m.from,
                event_type: m.event_type,
                content: m.content,
            })
            .collect();
        // Verification messages go to the key task, which first asks for their sender's
        // devices (the engine ignores a request from a device it does not know).
        let (verification, fresh): (Vec<_>, Vec<_>) = fresh
            .into_iter()
            .partition(|m| is_verification_event(&m.event_type));
        let received = crypto
            .receive_sync(SyncChanges {
                to_device: fresh,
                one_time_key_counts: counts,
                unused_fallback_keys: unused,
                ..SyncChanges::default()
            })
            .await?;
        for id in &ids {
            self.remember(id);
        }
        Ok(Processed {
            acks: ids
                .chunks(MAX_TO_DEVICE_ACK)
                .map(<[String]>::to_vec)
                .collect(),
            room_keys: received.room_keys,
            verification,
        })
    }

    fn remember(&mut self, id: &str) {
        if self.seen.insert(id.to_owned()) {
            self.seen_order.push_back(id.to_owned());
            if self.seen_order.len() > REMEMBERED_IDS {
                if let Some(old) = self.seen_order.pop_front() {
                    self.seen.remove(&old);
                }
            }
        }
    }
}
