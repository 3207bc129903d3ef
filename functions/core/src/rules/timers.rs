//! Disappearing messages (issue 16): who may set a conversation's timer. Any member of a
//! direct chat may; in a group only an admin. Membership itself is [`super::plan`]'s to
//! check, before this is asked.

use parley_protocol::{ConversationId, Kind};

use crate::Error;

/// Whether `sender` may set `conversation`'s timer, given the group's `admins` as read.
pub fn check(
    conversation: &ConversationId,
    sender: &str,
    admins: Option<&[String]>,
) -> Result<(), Error> {
    match conversation.kind() {
        Kind::Direct => Ok(()),
        Kind::Group if admins.is_some_and(|a| a.iter().any(|admin| admin == sender)) => Ok(()),
        Kind::Group => Err(Error::forbidden(
            "only a group admin may set the disappearing-messages timer",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_member_of_a_direct_chat_and_only_a_group_admin() {
        let direct = ConversationId::direct("a", "b");
        assert!(check(&direct, "a", None).is_ok());
        let group = ConversationId::parse("g:0123456789abcdef0123456789abcdef").unwrap();
        let admins = vec!["a".to_owned()];
        assert!(check(&group, "a", Some(&admins)).is_ok());
        let refused = check(&group, "b", Some(&admins)).unwrap_err();
        assert_eq!(refused.code(), parley_protocol::ErrorCode::Forbidden);
        assert!(check(&group, "a", None).is_err(), "no record: no admin");
    }
}
