//! Presence (online / last seen). `presence` watches a contact while a chat with them is
//! open (a lease the client renews) and answers their state at once; `privacy` reads or sets
//! whom the caller shows theirs to.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;

/// `presence`: the caller's state of `user` now, and, with `watch: true`, a `presence` frame
/// on each of their online/offline flips for the next 5 minutes (renewed by sending it
/// again; `watch: false` stops).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Presence {
    pub id: String,
    pub user: String,
    pub watch: bool,
}

impl Presence {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self {
            id: fields.id()?,
            user: fields.user("user")?,
            watch: fields.optional_bool("watch")?.unwrap_or(true),
        })
    }
}

/// `privacy`: set whom the caller shows their presence to (`lastSeen`), or, without it,
/// read the setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Privacy {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub last_seen: Option<Audience>,
}

impl Privacy {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let last_seen = match fields.optional_str("lastSeen")? {
            None => None,
            Some(text) => Some(Audience::parse(text).ok_or_else(|| {
                FrameError::bad_request("lastSeen must be \"everyone\", \"contacts\" or \"nobody\"")
            })?),
        };
        Ok(Self {
            id: fields.id()?,
            last_seen,
        })
    }
}

/// Whom a user shows their presence (online and last seen) to. Reciprocal: a user sees
/// another's only where their own setting would show theirs to that other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Audience {
    #[default]
    Everyone,
    /// Users the owner has written to in a direct chat.
    Contacts,
    Nobody,
}

impl Audience {
    pub const NAMES: [&'static str; 3] = ["everyone", "contacts", "nobody"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "everyone" => Some(Self::Everyone),
            "contacts" => Some(Self::Contacts),
            "nobody" => Some(Self::Nobody),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Contacts => "contacts",
            Self::Nobody => "nobody",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::json;

    const USER: &str = "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15";

    #[test]
    fn presence_and_privacy_round_trip() {
        let frame = json!({"action": "presence", "id": "p1", "user": USER, "watch": false});
        let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        let ClientFrame::Presence(presence) = ClientFrame::parse(
            &json!({"action": "presence", "id": "p2", "user": USER}).to_string(),
        )
        .unwrap() else {
            panic!("not a presence frame");
        };
        assert!(presence.watch, "watching is the default");
        let set = json!({"action": "privacy", "id": "v1", "lastSeen": "contacts"});
        let parsed = ClientFrame::parse(&set.to_string()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), set);
        let bad = ClientFrame::parse(r#"{"action":"privacy","id":"v2","lastSeen":"friends"}"#)
            .unwrap_err();
        assert_eq!(bad.code, ErrorCode::BadRequest);
        assert_eq!(bad.id.as_deref(), Some("v2"));
        let no_user = ClientFrame::parse(r#"{"action":"presence","id":"p3"}"#).unwrap_err();
        assert_eq!(no_user.code, ErrorCode::BadRequest);
    }

    #[test]
    fn audiences_read_and_write_their_names() {
        for name in Audience::NAMES {
            let audience = Audience::parse(name).unwrap();
            assert_eq!(audience.as_str(), name);
            assert_eq!(serde_json::to_value(audience).unwrap(), name);
        }
        assert_eq!(Audience::parse("friends"), None);
    }
}
