//! `ack`: the caller got (`delivered`) or saw (`read`) a conversation's messages up to `seq`.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::ConversationId;
use crate::server::AckStatus;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Ack {
    pub conversation: ConversationId,
    /// At least 1.
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    pub status: AckStatus,
}

impl Ack {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let conversation = fields.conversation("conversation")?;
        let seq = match fields.required_u64("seq", "a whole number")? {
            0 => return Err(FrameError::bad_request("seq must be at least 1")),
            seq => seq,
        };
        let status = match fields.required_str("status")? {
            "delivered" => AckStatus::Delivered,
            "read" => AckStatus::Read,
            _ => {
                return Err(FrameError::bad_request(
                    "status must be \"delivered\" or \"read\"",
                ))
            }
        };
        Ok(Self {
            conversation,
            seq,
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientFrame;
    use serde_json::json;

    #[test]
    fn acks_are_checked() {
        let frame = json!({"action": "ack", "conversation": "d:a:b", "seq": 3, "status": "read"});
        let ok = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(
            ok,
            ClientFrame::Ack(Ack {
                conversation: ConversationId::parse("d:a:b").unwrap(),
                seq: 3,
                status: AckStatus::Read
            })
        );
        assert_eq!(serde_json::to_value(&ok).unwrap(), frame);
        for bad in [
            json!({"action": "ack", "conversation": "d:a:b", "seq": 3, "status": "seen"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": 0, "status": "read"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": "3", "status": "read"}),
            json!({"action": "ack", "conversation": "d:a:b", "seq": 1e300, "status": "read"}),
            json!({"action": "ack", "seq": 3, "status": "read"}),
        ] {
            assert!(ClientFrame::parse(&bad.to_string()).is_err(), "{bad}");
        }
    }
}
