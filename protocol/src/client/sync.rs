//! `sync`: one page of the messages after a cursor, across all of the caller's conversations.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::limits::{DEFAULT_PAGE, MAX_PAGE};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Sync {
    /// Where the last page ended (`synced.cursor`); none for the start of retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cursor: Option<String>,
    /// Messages in the page: at least 1; more than 500 is served as 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub limit: Option<u64>,
}

impl Sync {
    pub fn from(cursor: Option<String>) -> Self {
        Self {
            cursor,
            limit: None,
        }
    }

    /// The page size the server serves.
    pub fn page_size(&self) -> u32 {
        self.limit
            .map_or(DEFAULT_PAGE, |limit| limit.min(u64::from(MAX_PAGE)) as u32)
    }

    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let cursor = fields.optional_str("cursor")?.map(str::to_owned);
        let limit = match fields.optional_u64("limit", "a whole number")? {
            Some(0) => return Err(FrameError::bad_request("limit must be at least 1")),
            limit => limit,
        };
        Ok(Self { cursor, limit })
    }
}

#[cfg(test)]
mod tests {
    use crate::limits::{DEFAULT_PAGE, MAX_PAGE};
    use crate::ClientFrame;
    use serde_json::json;

    fn sync(frame: serde_json::Value) -> Result<super::Sync, crate::FrameError> {
        match ClientFrame::parse(&frame.to_string())? {
            ClientFrame::Sync(sync) => Ok(sync),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_and_bounds() {
        let plain = sync(json!({"action": "sync"})).unwrap();
        assert_eq!(plain.cursor, None);
        assert_eq!(plain.page_size(), DEFAULT_PAGE);
        let huge = sync(json!({"action": "sync", "limit": 100000})).unwrap();
        assert_eq!(huge.page_size(), MAX_PAGE);
        assert!(sync(json!({"action": "sync", "limit": -1})).is_err());
        assert!(sync(json!({"action": "sync", "limit": 0})).is_err());
        assert!(sync(json!({"action": "sync", "cursor": 5})).is_err());
        assert_eq!(
            sync(json!({"action": "sync", "cursor": "c1", "limit": 3})).unwrap(),
            super::Sync {
                cursor: Some("c1".into()),
                limit: Some(3)
            }
        );
    }
}
