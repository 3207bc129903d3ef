//! Ticks: how far each of this device's messages got, pending → sent → delivered → read,
//! never backwards. `sent` frames make it sent; `receipt` frames (cumulative per member:
//! "everything up to seq") raise the other members' marks, and a message is delivered or
//! read once every other member's mark reached it. In a group "every other member" is the
//! members when it was sent who are still members, known from `group` replies and `system`
//! messages; in a direct chat it is the one other member.

use parley_protocol::{AckStatus, ConversationId, SystemEvent};
use std::collections::BTreeMap;

use super::Chat;
use crate::events::Event;
use crate::store::{Marks, Message, StoreError, Tick};

impl Chat {
    /// Who must ack a message sent into `conversation` now before it counts as delivered.
    pub(super) fn audience(
        &self,
        conversation: &ConversationId,
    ) -> Result<Vec<String>, StoreError> {
        Ok(match self.store.group(conversation)? {
            Some(group) => group
                .members
                .into_iter()
                .filter(|member| *member != self.me)
                .collect(),
            None => Vec::new(),
        })
    }

    pub(super) fn on_receipt(
        &mut self,
        conversation: &ConversationId,
        seq: u64,
        by: &str,
        status: AckStatus,
    ) -> Result<(), StoreError> {
        // Another device of this user acked: that says nothing about the others.
        if by == self.me {
            return Ok(());
        }
        let mut marks = self
            .store
            .marks(conversation)?
            .remove(by)
            .unwrap_or_default();
        let before = marks;
        marks.delivered = marks.delivered.max(seq);
        if status == AckStatus::Read {
            marks.read = marks.read.max(seq);
        }
        if marks != before {
            self.store.save_marks(conversation, by, &marks)?;
            self.update_ticks(conversation, seq)?;
        }
        Ok(())
    }

    /// Raises the ticks of this device's messages in `conversation` up to `seq`.
    pub(super) fn update_ticks(
        &mut self,
        conversation: &ConversationId,
        seq: u64,
    ) -> Result<(), StoreError> {
        let marks = self.store.marks(conversation)?;
        let members = self.store.group(conversation)?.map(|g| g.members);
        for (at, mut own) in self.store.own_up_to(conversation, seq, Tick::Read)? {
            let judges = judges(&own.audience, members.as_deref(), &self.me);
            let tick = own.tick.max(reached(at, &judges, &marks, &self.me));
            if tick > own.tick {
                own.tick = tick;
                self.store.save_own(conversation, at, &own)?;
                self.emit(Event::Tick {
                    id: own.id.clone(),
                    conversation: conversation.clone(),
                    seq: at,
                    tick,
                });
            }
        }
        Ok(())
    }

    /// A `system` message changes the group it belongs to.
    pub(super) fn apply_system(&mut self, message: &Message) -> Result<(), StoreError> {
        let Some(system) = &message.system else {
            return Ok(());
        };
        let conversation = &message.conversation;
        let mut group = self.store.group(conversation)?.unwrap_or_default();
        match system.event {
            SystemEvent::Created => {
                group.members = system.members.clone();
                group.admins = vec![message.from.clone()];
            }
            SystemEvent::Added => {
                for member in &system.members {
                    if !group.members.contains(member) {
                        group.members.push(member.clone());
                    }
                }
            }
            SystemEvent::Removed | SystemEvent::Left => {
                group.members.retain(|m| !system.members.contains(m));
                group.admins.retain(|m| !system.members.contains(m));
            }
        }
        group.name = system.name.clone();
        self.store.save_group(conversation, &group)?;
        self.emit(Event::Group {
            conversation: conversation.clone(),
            group,
        });
        // Someone who left no longer holds the ticks of earlier messages back.
        self.update_ticks(conversation, u64::MAX)
    }
}

/// The members whose marks decide: the audience still in the group; when none is known,
/// nobody in particular (then any other member's mark decides, as in a direct chat).
fn judges(audience: &[String], members: Option<&[String]>, me: &str) -> Vec<String> {
    let source: Vec<String> = if audience.is_empty() {
        members.unwrap_or_default().to_vec()
    } else {
        audience
            .iter()
            .filter(|a| members.is_none_or(|m| m.contains(a)))
            .cloned()
            .collect()
    };
    source.into_iter().filter(|m| m != me).collect()
}

/// The tick the marks give a message at `seq`.
fn reached(seq: u64, judges: &[String], marks: &BTreeMap<String, Marks>, me: &str) -> Tick {
    let all = |mark: fn(&Marks) -> u64| {
        if judges.is_empty() {
            marks
                .iter()
                .any(|(member, m)| member != me && mark(m) >= seq)
        } else {
            judges
                .iter()
                .all(|j| marks.get(j).is_some_and(|m| mark(m) >= seq))
        }
    };
    if all(|m| m.read) {
        Tick::Read
    } else if all(|m| m.delivered) {
        Tick::Delivered
    } else {
        Tick::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(entries: &[(&str, u64, u64)]) -> BTreeMap<String, Marks> {
        entries
            .iter()
            .map(|(who, delivered, read)| {
                (
                    (*who).to_owned(),
                    Marks {
                        delivered: *delivered,
                        read: *read,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_direct_chat_follows_the_other_member() {
        let m = marks(&[("bob", 5, 3)]);
        assert_eq!(reached(3, &[], &m, "me"), Tick::Read);
        assert_eq!(reached(4, &[], &m, "me"), Tick::Delivered);
        assert_eq!(reached(6, &[], &m, "me"), Tick::Sent);
    }

    #[test]
    fn a_group_waits_for_every_member_of_the_audience() {
        let audience = vec!["b".to_owned(), "c".to_owned()];
        let members = vec!["me".to_owned(), "b".to_owned(), "c".to_owned()];
        let judges = judges(&audience, Some(&members), "me");
        assert_eq!(
            reached(2, &judges, &marks(&[("b", 9, 9)]), "me"),
            Tick::Sent
        );
        assert_eq!(
            reached(2, &judges, &marks(&[("b", 9, 9), ("c", 2, 0)]), "me"),
            Tick::Delivered
        );
        assert_eq!(
            reached(2, &judges, &marks(&[("b", 9, 9), ("c", 2, 2)]), "me"),
            Tick::Read
        );
    }

    #[test]
    fn members_who_left_or_joined_later_do_not_count() {
        let audience = vec!["b".to_owned(), "c".to_owned()];
        // c left; d joined after the message.
        let members = vec!["me".to_owned(), "b".to_owned(), "d".to_owned()];
        let judges = judges(&audience, Some(&members), "me");
        assert_eq!(judges, ["b"]);
        assert_eq!(
            reached(2, &judges, &marks(&[("b", 2, 2)]), "me"),
            Tick::Read
        );
    }
}
