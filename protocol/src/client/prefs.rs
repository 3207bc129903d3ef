//! `prefs`: the caller's own preferences, read or changed. Today one: whether a reaction to
//! one of their messages pushes to their devices while they are offline (off unless set).
//! A field left out is left as it is; a frame with none just reads them.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Prefs {
    pub id: String,
    /// Push a reaction to my message while I am offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reaction_push: Option<bool>,
}

impl Prefs {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let reaction_push = match fields.0.get("reactionPush") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(on)) => Some(*on),
            Some(_) => {
                return Err(FrameError::bad_request(
                    "reactionPush must be true or false",
                ))
            }
        };
        Ok(Self { id, reaction_push })
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    #[test]
    fn prefs_are_read_or_set() {
        for frame in [
            json!({"action": "prefs", "id": "p1"}),
            json!({"action": "prefs", "id": "p2", "reactionPush": true}),
        ] {
            let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        }
        let error = ClientFrame::parse(
            &json!({"action": "prefs", "id": "p3", "reactionPush": "yes"}).to_string(),
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::BadRequest);
        assert_eq!(error.message, "reactionPush must be true or false");
        assert!(ClientFrame::parse(&json!({"action": "prefs"}).to_string()).is_err());
    }
}
