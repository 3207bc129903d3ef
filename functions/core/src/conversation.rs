//! Conversation and user ids. A direct chat's id is made from its two members, so it is the
//! same whichever of them starts it and its members need no lookup; a group's id is random.

use crate::Error;

/// The longest user id accepted (Cognito's `sub` is a 36-character UUID).
pub const MAX_USER_ID_LEN: usize = 128;
const DIRECT_PREFIX: &str = "d:";
const GROUP_PREFIX: &str = "g:";

/// Whether `id` can be a user id: 1–128 characters of `[A-Za-z0-9_-]`. Ids are used inside
/// keys and positions, so nothing else is let in.
pub fn is_valid_user_id(id: &str) -> bool {
    (1..=MAX_USER_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Group,
}

impl ConversationId {
    /// The direct chat of two users (a user may also write to themself).
    pub fn direct(a: &str, b: &str) -> Self {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Self(format!("{DIRECT_PREFIX}{low}:{high}"))
    }

    /// A new group's id.
    pub fn new_group() -> Self {
        Self(format!("{GROUP_PREFIX}{}", uuid::Uuid::new_v4().simple()))
    }

    /// Reads an id a client sent.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::bad_request("conversation is not a valid conversation id");
        if let Some(rest) = text.strip_prefix(DIRECT_PREFIX) {
            let (a, b) = rest.split_once(':').ok_or_else(invalid)?;
            if is_valid_user_id(a) && is_valid_user_id(b) && a <= b {
                return Ok(Self(text.to_owned()));
            }
        } else if let Some(rest) = text.strip_prefix(GROUP_PREFIX) {
            if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(Self(text.to_owned()));
            }
        }
        Err(invalid())
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

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
        assert_eq!(ConversationId::new_group().direct_other("alice"), None);
        assert_eq!(ConversationId::parse(ab.as_str()).unwrap(), ab);
    }

    #[test]
    fn group_ids_are_random_and_parse_back() {
        let g = ConversationId::new_group();
        assert_ne!(g, ConversationId::new_group());
        assert_eq!(g.kind(), Kind::Group);
        assert!(g.direct_members().is_empty());
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
    }

    #[test]
    fn user_ids_are_key_safe() {
        assert!(is_valid_user_id("4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15"));
        assert!(!is_valid_user_id(""));
        assert!(!is_valid_user_id("a#b"));
        assert!(!is_valid_user_id("a:b"));
        assert!(!is_valid_user_id(&"a".repeat(129)));
    }
}
