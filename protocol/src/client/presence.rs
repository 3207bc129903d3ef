//! Presence (online / last seen): whom a user shows theirs to. The `presence` and `privacy`
//! actions build on it.

use serde::{Deserialize, Serialize};

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
