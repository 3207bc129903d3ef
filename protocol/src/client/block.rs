//! `block` and `blocks`: a user the caller blocks sends them nothing any more (messages,
//! typing, receipts; the caller's presence is hidden from them), without being told.
//! `block` blocks (`blocked: true`) or unblocks (`false`); `blocks` lists whom the caller
//! blocks.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;

/// `block`: block or unblock `user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Block {
    pub id: String,
    pub user: String,
    pub blocked: bool,
}

impl Block {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self {
            id: fields.id()?,
            user: fields.user("user")?,
            blocked: fields
                .optional_bool("blocked")?
                .ok_or_else(|| FrameError::bad_request("blocked must be true or false"))?,
        })
    }
}

/// `blocks`: list whom the caller blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Blocks {
    pub id: String,
}

impl Blocks {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self { id: fields.id()? })
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    const USER: &str = "9b2f0c3e-71d4-4c55-a1f0-2e8d6b4f9c70";

    #[test]
    fn block_names_a_user_and_says_whether() {
        for frame in [
            json!({"action": "block", "id": "b1", "user": USER, "blocked": true}),
            json!({"action": "block", "id": "b2", "user": USER, "blocked": false}),
            json!({"action": "blocks", "id": "b3"}),
        ] {
            let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        }
        for (frame, message) in [
            (
                json!({"action": "block", "id": "b4", "user": USER}),
                "blocked must be true or false",
            ),
            (
                json!({"action": "block", "id": "b5", "user": "a:b", "blocked": true}),
                "user is not a valid user id",
            ),
            (json!({"action": "blocks"}), "id is required"),
        ] {
            let error = ClientFrame::parse(&frame.to_string()).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest);
            assert_eq!(error.message, message, "{frame}");
        }
    }
}
