//! `ping`: keeps an idle connection open. API Gateway closes a connection after 10 minutes
//! without a data frame, and a browser cannot send WebSocket pings; the server answers
//! `pong` (echoing `id`) without touching any table.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Ping {
    /// Echoed by the `pong`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub id: Option<String>,
}

impl Ping {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = if fields.has("id") {
            Some(fields.id()?)
        } else {
            None
        };
        Ok(Self { id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    #[test]
    fn a_ping_may_carry_an_id() {
        assert_eq!(
            ClientFrame::parse(r#"{"action":"ping"}"#).unwrap(),
            ClientFrame::Ping(Ping { id: None })
        );
        let with_id = ClientFrame::parse(r#"{"action":"ping","id":"k-1"}"#).unwrap();
        assert_eq!(with_id.id(), Some("k-1"));
        assert_eq!(
            serde_json::to_value(&with_id).unwrap(),
            json!({"action": "ping", "id": "k-1"})
        );
        let bad = ClientFrame::parse(r#"{"action":"ping","id":"no spaces"}"#).unwrap_err();
        assert_eq!(bad.code, ErrorCode::BadRequest);
    }
}
