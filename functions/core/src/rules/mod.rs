//! The domain's rules: who may write into a conversation, what a membership change makes of
//! a group, and the refusals a client gets (`forbidden`, `not_found`, `bad_request`) when a
//! rule says no. Pure functions of what the store read: the store stores and applies them to
//! every record it reads before a write (a lost race reads again, and the rules are asked
//! again about what it found), and the actions ask them without the store.

pub mod changes;
pub mod chats;
pub mod membership;
pub mod presence;
pub mod timers;

use parley_protocol::{ConversationId, ErrorCode, Kind};

use crate::store::ConversationRecord;
use crate::Error;
use membership::{Applied, Change};

/// `members` if `user` is one of them; refused otherwise.
pub fn member(members: Vec<String>, user: &str) -> Result<Vec<String>, Error> {
    if members.iter().any(|m| m == user) {
        Ok(members)
    } else {
        Err(Error::forbidden(
            "you are not a member of this conversation",
        ))
    }
}

/// What the rules allow a message into a conversation to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Appended to the mailboxes of `members`, with the membership change `applied`, if any
    /// (`members` is then everyone the change concerns: [`Applied::audience`]).
    Append {
        members: Vec<String>,
        applied: Option<Applied>,
    },
    /// A membership change that changes nothing: nothing is to be written.
    Unchanged,
}

/// What the sender's message to `conversation` (a membership `change`, or a plain message)
/// may be, given the conversation's `record` as read (`None`: none yet) and, for a direct
/// chat, whether the other member is a registered user.
pub fn plan(
    conversation: &ConversationId,
    sender: &str,
    change: Option<&Change>,
    record: Option<&ConversationRecord>,
    recipient_exists: Option<bool>,
) -> Result<Plan, Error> {
    if recipient_exists == Some(false) {
        return Err(Error::client(ErrorCode::NotFound, "no such user"));
    }
    match (conversation.kind(), change) {
        (Kind::Direct, None) => {
            member(conversation.direct_members(), sender).map(|members| Plan::Append {
                members,
                applied: None,
            })
        }
        (Kind::Direct, Some(_)) => Err(Error::bad_request(
            "a direct chat has no membership to change",
        )),
        (Kind::Group, Some(change)) => Ok(match change.apply(sender, record)? {
            Some(applied) => Plan::Append {
                members: applied.audience.clone(),
                applied: Some(applied),
            },
            None => Plan::Unchanged,
        }),
        (Kind::Group, None) => {
            let record =
                record.ok_or_else(|| Error::client(ErrorCode::NotFound, "no such conversation"))?;
            member(record.members.clone(), sender).map(|members| Plan::Append {
                members,
                applied: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[&str]) -> ConversationRecord {
        ConversationRecord {
            members: members.iter().map(|m| m.to_string()).collect(),
            ..ConversationRecord::default()
        }
    }

    #[test]
    fn only_members_write_and_unknown_targets_are_not_found() {
        let direct = ConversationId::direct("a", "b");
        assert!(matches!(
            plan(&direct, "a", None, None, Some(true)).unwrap(),
            Plan::Append { members, applied: None } if members.len() == 2
        ));
        let nobody = plan(&direct, "a", None, None, Some(false)).unwrap_err();
        assert_eq!(nobody.code(), ErrorCode::NotFound);
        let outsider = plan(&direct, "z", None, None, Some(true)).unwrap_err();
        assert_eq!(outsider.code(), ErrorCode::Forbidden);

        let id = ConversationId::group([7; 16]);
        let record = group(&["a", "b"]);
        assert!(plan(&id, "a", None, Some(&record), None).is_ok());
        let outsider = plan(&id, "z", None, Some(&record), None).unwrap_err();
        assert_eq!(outsider.code(), ErrorCode::Forbidden);
        let missing = plan(&id, "a", None, None, None).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound);
        let change = Change::Add(vec!["b".into()]);
        let refused = plan(&direct, "a", Some(&change), None, Some(true)).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::BadRequest);
    }
}
