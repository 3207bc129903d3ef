//! `typing`: the caller is typing in a conversation (relayed live, never stored).

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::ConversationId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Typing {
    pub conversation: ConversationId,
}

impl Typing {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self {
            conversation: fields.conversation("conversation")?,
        })
    }
}
