//! Group membership changes: who may make them, what the group looks like after, who hears of
//! it, and the `system` object the stored message carries. Pure: the store's append applies a
//! change to the record it read ([`super::plan`]), inside the same conditional write that allocates the
//! message's seq, so a membership change and the messages around it are totally ordered.

use std::collections::BTreeSet;

use parley_protocol::limits::MAX_GROUP_MEMBERS;
use parley_protocol::{ErrorCode, System, SystemEvent};

use crate::store::ConversationRecord;
use crate::Error;

/// A change to a group's membership, as a client asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new group: the actor is its first member and first admin.
    Create {
        name: String,
        members: Vec<String>,
    },
    Add(Vec<String>),
    Remove(Vec<String>),
    Leave,
}

/// A change applied to a group's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub members: BTreeSet<String>,
    pub admins: BTreeSet<String>,
    pub name: String,
    /// Who gets the system message: the members after the change and those it removed.
    pub audience: Vec<String>,
    /// The message's `system` object: `{event, members, name}`.
    pub system: System,
}

impl Change {
    /// Applies the change by `actor` to `record` (`None`: the group does not exist yet).
    /// `Ok(None)` means it changes nothing (adding members already in, removing outsiders).
    pub fn apply(
        &self,
        actor: &str,
        record: Option<&ConversationRecord>,
    ) -> Result<Option<Applied>, Error> {
        let (mut members, mut admins, name) = match (self, record) {
            (Self::Create { name, .. }, None) => (BTreeSet::new(), BTreeSet::new(), name.clone()),
            (Self::Create { .. }, Some(_)) => {
                return Err(Error::bad_request("this id was already used"))
            }
            (_, None) => return Err(Error::client(ErrorCode::NotFound, "no such group")),
            (_, Some(record)) => {
                let members: BTreeSet<String> = record.members.iter().cloned().collect();
                if !members.contains(actor) {
                    return Err(Error::forbidden("you are not a member of this group"));
                }
                (
                    members,
                    record.admins.iter().cloned().collect(),
                    record.name.clone().unwrap_or_default(),
                )
            }
        };
        let before = members.clone();
        let (event, affected): (SystemEvent, Vec<String>) = match self {
            Self::Create {
                members: invited, ..
            } => {
                members.insert(actor.to_owned());
                members.extend(invited.iter().cloned());
                admins.insert(actor.to_owned());
                (SystemEvent::Created, members.iter().cloned().collect())
            }
            Self::Add(added) => {
                require_admin(&admins, actor)?;
                let new: Vec<String> = dedup(added)
                    .into_iter()
                    .filter(|m| !members.contains(m))
                    .collect();
                members.extend(new.iter().cloned());
                (SystemEvent::Added, new)
            }
            Self::Remove(removed) => {
                require_admin(&admins, actor)?;
                let gone: Vec<String> = dedup(removed)
                    .into_iter()
                    .filter(|m| members.contains(m))
                    .collect();
                for member in &gone {
                    members.remove(member);
                    admins.remove(member);
                }
                (SystemEvent::Removed, gone)
            }
            Self::Leave => {
                members.remove(actor);
                admins.remove(actor);
                (SystemEvent::Left, vec![actor.to_owned()])
            }
        };
        if affected.is_empty() {
            return Ok(None);
        }
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(Error::client(
                ErrorCode::TooLarge,
                format!("a group has at most {MAX_GROUP_MEMBERS} members"),
            ));
        }
        // A group is never left without an admin while it has members: the first remaining
        // member (in id order, so every replay picks the same one) takes over.
        if admins.is_empty() {
            if let Some(first) = members.iter().next() {
                admins.insert(first.clone());
            }
        }
        let audience = before.union(&members).cloned().collect();
        let system = System {
            event,
            members: affected,
            name: name.clone(),
        };
        Ok(Some(Applied {
            members,
            admins,
            name,
            audience,
            system,
        }))
    }
}

impl Applied {
    /// The members this change brought in (`created`, `added`), if any.
    pub fn joined(&self) -> Option<Vec<String>> {
        match self.system.event {
            SystemEvent::Created | SystemEvent::Added => Some(self.system.members.clone()),
            SystemEvent::Removed | SystemEvent::Left => None,
        }
    }
}

fn require_admin(admins: &BTreeSet<String>, actor: &str) -> Result<(), Error> {
    if admins.contains(actor) {
        Ok(())
    } else {
        Err(Error::forbidden("only the group's admins may do this"))
    }
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    ids.iter().filter(|id| seen.insert(*id)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn record(members: &[&str], admins: &[&str]) -> ConversationRecord {
        ConversationRecord {
            last_seq: 3,
            members: ids(members),
            admins: ids(admins),
            name: Some("team".into()),
            queue: Default::default(),
            timer: None,
        }
    }

    #[test]
    fn the_creator_is_a_member_and_the_first_admin() {
        let applied = Change::Create {
            name: "team".into(),
            members: ids(&["b", "c", "b"]),
        }
        .apply("a", None)
        .unwrap()
        .unwrap();
        assert_eq!(applied.members, ["a", "b", "c"].map(String::from).into());
        assert_eq!(applied.admins, ["a".to_string()].into());
        assert_eq!(applied.system.event, SystemEvent::Created);
        assert_eq!(applied.system.members, ["a", "b", "c"]);
        assert_eq!(applied.system.name, "team");
    }

    #[test]
    fn only_admins_add_and_remove() {
        let group = record(&["a", "b"], &["a"]);
        for change in [Change::Add(ids(&["c"])), Change::Remove(ids(&["a"]))] {
            let refused = change.apply("b", Some(&group)).unwrap_err();
            assert_eq!(refused.code(), ErrorCode::Forbidden);
        }
        let outsider = Change::Leave.apply("z", Some(&group)).unwrap_err();
        assert_eq!(outsider.code(), ErrorCode::Forbidden);
        let added = Change::Add(ids(&["c", "b"]))
            .apply("a", Some(&group))
            .unwrap()
            .unwrap();
        assert_eq!(added.system.members, ["c"], "b was in already");
        assert_eq!(added.audience, ids(&["a", "b", "c"]));
    }

    #[test]
    fn the_removed_hear_of_it_and_lose_admin() {
        let group = record(&["a", "b", "c"], &["a", "b"]);
        let removed = Change::Remove(ids(&["b", "x"]))
            .apply("a", Some(&group))
            .unwrap()
            .unwrap();
        assert_eq!(removed.members, ["a", "c"].map(String::from).into());
        assert_eq!(removed.admins, ["a".to_string()].into());
        assert_eq!(removed.system.members, ["b"]);
        assert_eq!(removed.audience, ids(&["a", "b", "c"]));
    }

    #[test]
    fn the_last_admin_leaving_hands_over() {
        let group = record(&["a", "c", "b"], &["a"]);
        let left = Change::Leave.apply("a", Some(&group)).unwrap().unwrap();
        assert_eq!(left.admins, ["b".to_string()].into());
        assert_eq!(left.system.event, SystemEvent::Left);
        let alone = record(&["a"], &["a"]);
        let empty = Change::Leave.apply("a", Some(&alone)).unwrap().unwrap();
        assert!(empty.members.is_empty() && empty.admins.is_empty());
    }

    #[test]
    fn no_op_changes_store_nothing() {
        let group = record(&["a", "b"], &["a"]);
        assert_eq!(
            Change::Add(ids(&["b"])).apply("a", Some(&group)).unwrap(),
            None
        );
        assert_eq!(
            Change::Remove(ids(&["q"]))
                .apply("a", Some(&group))
                .unwrap(),
            None
        );
    }

    #[test]
    fn groups_are_capped_at_1024() {
        let many: Vec<String> = (0..MAX_GROUP_MEMBERS).map(|i| format!("u{i}")).collect();
        let too_many = Change::Create {
            name: "big".into(),
            members: many.clone(),
        }
        .apply("creator", None)
        .unwrap_err();
        assert_eq!(too_many.code(), ErrorCode::TooLarge);
        let fits = Change::Create {
            name: "big".into(),
            members: many[1..].to_vec(),
        }
        .apply("u0", None)
        .unwrap()
        .unwrap();
        assert_eq!(fits.members.len(), MAX_GROUP_MEMBERS);
        assert!(Change::Create {
            name: "x".into(),
            members: vec![]
        }
        .apply("a", Some(&record(&["a"], &["a"])))
        .is_err());
    }
}
