//! The protocol's ids: a client's frame id, user ids, and conversation ids. A direct chat's id
//! is made from its two members, so it is the same whichever of them starts it; a group's
//! id is random. Clients treat conversation ids as opaque: they send `toUser` for a first
//! message and use the ids the server hands out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use crate::limits::{MAX_ID_LEN, MAX_USER_ID_LEN};

const DIRECT_PREFIX: &str = "d:";
const GROUP_PREFIX: &str = "g:";
/// Hex digits after a group id's prefix.
const GROUP_HEX_LEN: usize = 32;

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `id` is a valid client frame id: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.bytes().all(is_id_byte)
}

/// Whether `id` can be a user id: 1–128 characters of `[A-Za-z0-9_-]`. Ids are used inside
/// keys and positions, so nothing else is let in.
pub fn is_valid_user_id(id: &str) -> bool {
    (1..=MAX_USER_ID_LEN).contains(&id.len()) && id.bytes().all(is_id_byte)
}

/// A conversation's id, always well formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(test, derive(ts_rs::TS), ts(type = "string"))]
pub struct ConversationId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Group,
}

/// A conversation id that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConversationId;

impl fmt::Display for InvalidConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("conversation is not a valid conversation id")
    }
}

impl std::error::Error for InvalidConversationId {}

impl ConversationId {
    /// The direct chat of two users (a user may also write to themself).
    pub fn direct(a: &str, b: &str) -> Self {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Self(format!("{DIRECT_PREFIX}{low}:{high}"))
    }

    /// A group's id from 16 random bytes.
    pub fn group(random: [u8; 16]) -> Self {
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("{GROUP_PREFIX}{hex}"))
    }

    /// Reads an id a client sent.
    pub fn parse(text: &str) -> Result<Self, InvalidConversationId> {
        if let Some(rest) = text.strip_prefix(DIRECT_PREFIX) {
            let (a, b) = rest.split_once(':').ok_or(InvalidConversationId)?;
            if is_valid_user_id(a) && is_valid_user_id(b) && a <= b {
                return Ok(Self(text.to_owned()));
            }
        } else if let Some(rest) = text.strip_prefix(GROUP_PREFIX) {
            if rest.len() == GROUP_HEX_LEN && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(Self(text.to_owned()));
            }
        }
        Err(InvalidConversationId)
    }

    pub fn kind(&self) -> Kind {
        if self.0.starts_with(GROUP_PREFIX) {
            Kind::Group
        } else {
            Kind::Direct
        }
    }

    /// The distinct members of a direct chat (one for a note to self); none for a group.
    pub fn direct_members(&self) -> Vec<String> {
        match self
            .0
            .strip_prefix(DIRECT_PREFIX)
            .and_then(|rest| rest.split_once(':'))
        {
            Some((a, b)) if a == b => vec![a.to_owned()],
            Some((a, b)) => vec![a.to_owned(), b.to_owned()],
            None => Vec::new(),
        }
    }

    /// For a direct chat that `user` is in, the other member (`user` in a chat with oneself);
    /// `None` for a group.
    pub fn direct_other(&self, user: &str) -> Option<String> {
        let members = self.direct_members();
        if !members.iter().any(|m| m == user) {
            return None;
        }
        members
            .iter()
            .find(|m| *m != user)
            .or(members.first())
            .cloned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for ConversationId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserializing checks the id, as [`ConversationId::parse`] does.
impl<'de> Deserialize<'de> for ConversationId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_chat_has_one_id_whoever_starts_it() {
        let ab = ConversationId::direct("alice", "bob");
        assert_eq!(ab, ConversationId::direct("bob", "alice"));
        assert_eq!(ab.kind(), Kind::Direct);
        assert_eq!(ab.direct_members(), ["alice", "bob"]);
        assert_eq!(ConversationId::direct("me", "me").direct_members(), ["me"]);
        assert_eq!(ab.direct_other("alice").as_deref(), Some("bob"));
        assert_eq!(ab.direct_other("bob").as_deref(), Some("alice"));
        assert_eq!(ab.direct_other("carol"), None);
        assert_eq!(
            ConversationId::direct("me", "me")
                .direct_other("me")
                .as_deref(),
            Some("me")
        );
        assert_eq!(ConversationId::parse(ab.as_str()).unwrap(), ab);
    }

    #[test]
    fn group_ids_parse_back() {
        let g = ConversationId::group([0xab; 16]);
        assert_eq!(g.as_str(), format!("g:{}", "ab".repeat(16)));
        assert_eq!(g.kind(), Kind::Group);
        assert!(g.direct_members().is_empty());
        assert_eq!(g.direct_other("alice"), None);
        assert_eq!(ConversationId::parse(g.as_str()).unwrap(), g);
    }

    #[test]
    fn client_ids_are_checked() {
        for bad in [
            "", "x", "d:", "d:a", "d:b:a", "d:a:b#c", "g:xyz", "g:", "d:a:b:c",
        ] {
            assert!(ConversationId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(ConversationId::parse("d:a:b").is_ok());
        assert!(serde_json::from_str::<ConversationId>("\"d:b:a\"").is_err());
        assert_eq!(
            serde_json::to_string(&ConversationId::direct("a", "b")).unwrap(),
            "\"d:a:b\""
        );
    }

    #[test]
    fn user_ids_are_key_safe() {
        assert!(is_valid_user_id("4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15"));
        assert!(!is_valid_user_id(""));
        assert!(!is_valid_user_id("a#b"));
        assert!(!is_valid_user_id("a:b"));
        assert!(!is_valid_user_id(&"a".repeat(129)));
    }

    #[test]
    fn frame_ids_follow_the_contract() {
        assert!(is_valid_id("a"));
        assert!(is_valid_id("Msg_01-xyz"));
        assert!(is_valid_id(&"x".repeat(64)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"x".repeat(65)));
        assert!(!is_valid_id("has space"));
        assert!(!is_valid_id("émoji"));
    }
}
