//! Error codes, and the refusal of a client frame that does not follow the protocol.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The `code` of an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    TooLarge,
    RateLimited,
    Internal,
}

impl ErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }

    /// Whether a client should give up on the frame: sending it again as it is cannot
    /// succeed. `internal` and `rate_limited` pass with time; `unauthorized` with a fresh
    /// token.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::BadRequest | Self::Forbidden | Self::NotFound | Self::TooLarge
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a client frame was refused before anything was done for it: `bad_request` or
/// `too_large`, a message naming the field, and the frame's `id` when it had a valid one
/// (replies echo it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub id: Option<String>,
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
}

impl FrameError {
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: None,
            code: ErrorCode::BadRequest,
            message: message.into(),
        }
    }

    pub fn too_large(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: None,
            code: ErrorCode::TooLarge,
            message: message.into(),
        }
    }

    pub(crate) fn with_id(mut self, id: Option<String>) -> Self {
        self.id = id;
        self
    }
}

/// The `error` frame that answers a refused frame.
impl From<FrameError> for crate::ServerFrame {
    fn from(refused: FrameError) -> Self {
        Self::Error {
            id: refused.id,
            code: refused.code,
            message: refused.message.into_owned(),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FrameError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_display_as_on_the_wire() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::TooLarge,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.to_string())
            );
        }
        assert_eq!(ErrorCode::TooLarge.to_string(), "too_large");
    }

    #[test]
    fn final_codes_are_the_ones_a_retry_cannot_fix() {
        assert!(ErrorCode::Forbidden.is_final());
        assert!(!ErrorCode::Internal.is_final());
        assert!(!ErrorCode::RateLimited.is_final());
        assert!(!ErrorCode::Unauthorized.is_final());
    }
}
