//! A message's state after the changes made to it (issue 16): the newest edit, a delete for
//! everyone, one reaction per user. Every change entry, and every `state` a `sync` attaches,
//! is a state of its own, and [`MessageState::merge`] folds one into another. The merge is
//! commutative, associative and idempotent (each part keeps the fact with the highest seq),
//! so live entries, synced entries and sync's states can arrive in any order and any number
//! of times and still end in the same state.
//!
//! A `sync` state is a snapshot: complete up to its `version`. A reaction it does not list
//! was removed (or never made) by then, so it stands for a removal at `version` for every
//! user it does not name ([`MessageState::complete_to`]); an entry alone knows nothing of
//! the others.

use parley_protocol::changes::{Deleted, Edited};
use parley_protocol::ChangeKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One user's reaction as this device knows it: the entry that set it, and its emoji
/// (`None`: removed by an `unreact`, kept so an older `react` arriving late loses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionMark {
    pub seq: u64,
    pub emoji: Option<String>,
    /// An end-to-end encrypted reaction from a `sync` state whose key has not arrived: its
    /// `encrypted` content, kept to decrypt it then (`emoji` is empty meanwhile, and it is
    /// not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
}

impl ReactionMark {
    /// The order of two facts about one user's reaction: the higher seq wins; at an equal
    /// seq a removal (which only a snapshot makes up) wins, then a decrypted one over the
    /// same reaction still encrypted.
    fn rank(&self) -> (u64, bool, bool) {
        (self.seq, self.emoji.is_none(), self.encrypted.is_none())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageState {
    /// The highest seq of a change folded in (0: unchanged).
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Edited>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions: BTreeMap<String, ReactionMark>,
    /// Up to this seq the reactions are complete (from a `sync` snapshot): a user not named
    /// has no reaction made at or before it.
    #[serde(default)]
    pub complete_to: u64,
}

impl MessageState {
    /// The state one change entry makes: (its target, the state). `None` for a message
    /// that is not a change, or a change the server would not have stored (no target).
    pub fn of_entry(
        kind: ChangeKind,
        target: Option<u64>,
        seq: u64,
        ts: i64,
        from: &str,
        body: Option<&str>,
    ) -> Option<(u64, Self)> {
        let target = target?;
        let mut state = Self {
            version: seq,
            ..Self::default()
        };
        match kind {
            ChangeKind::Edit => {
                state.edited = Some(Edited {
                    seq,
                    ts,
                    body: body.unwrap_or_default().to_owned(),
                    encrypted: None,
                });
            }
            ChangeKind::Delete => {
                state.deleted = Some(Deleted {
                    seq,
                    ts,
                    by: from.to_owned(),
                });
            }
            // Not a change of a message: the conversation's disappearing-messages timer.
            ChangeKind::Timer => return None,
            ChangeKind::React | ChangeKind::Unreact => {
                let emoji =
                    (kind == ChangeKind::React).then(|| body.unwrap_or_default().to_owned());
                state.reactions.insert(
                    from.to_owned(),
                    ReactionMark {
                        seq,
                        emoji,
                        encrypted: None,
                    },
                );
            }
        }
        Some((target, state))
    }

    /// The state a `sync` attached to a message: a snapshot complete up to its version.
    pub fn of_snapshot(snapshot: parley_protocol::MessageState) -> Self {
        let mut state = Self {
            version: snapshot.version,
            edited: snapshot.edited,
            deleted: snapshot.deleted,
            reactions: snapshot
                .reactions
                .into_iter()
                .map(|(user, reaction)| {
                    (
                        user,
                        ReactionMark {
                            seq: reaction.seq,
                            emoji: Some(reaction.body),
                            encrypted: reaction.encrypted,
                        },
                    )
                })
                .collect(),
            complete_to: snapshot.version,
        };
        state.settle();
        state
    }

    /// Folds `other` in; says whether anything changed.
    pub fn merge(&mut self, other: &Self) -> bool {
        let before = self.clone();
        // A snapshot's silence about a user is a removal at its version.
        let silent = |state: &Self, user: &str| {
            (state.complete_to > 0 && !state.reactions.contains_key(user)).then_some(ReactionMark {
                seq: state.complete_to,
                emoji: None,
                encrypted: None,
            })
        };
        let users: Vec<String> = self
            .reactions
            .keys()
            .chain(other.reactions.keys())
            .cloned()
            .collect();
        let mut reactions = BTreeMap::new();
        for user in users {
            let best = [
                self.reactions.get(&user).cloned(),
                other.reactions.get(&user).cloned(),
                silent(self, &user),
                silent(other, &user),
            ]
            .into_iter()
            .flatten()
            .max_by_key(ReactionMark::rank);
            if let Some(best) = best {
                reactions.insert(user, best);
            }
        }
        self.reactions = reactions;
        // At an equal seq, the edit decrypted wins over the same edit still encrypted.
        self.edited = newest(self.edited.take(), other.edited.clone(), |e| {
            (e.seq, e.encrypted.is_none())
        });
        self.deleted = newest(self.deleted.take(), other.deleted.clone(), |d| {
            (d.seq, true)
        });
        self.version = self.version.max(other.version);
        self.complete_to = self.complete_to.max(other.complete_to);
        self.settle();
        *self != before
    }

    /// A deleted message keeps no edit and no reaction.
    fn settle(&mut self) {
        if self.deleted.is_some() {
            self.edited = None;
            self.reactions.clear();
        }
    }

    /// Whether an edit or a reaction in it is still encrypted (its key has not arrived).
    pub fn is_sealed(&self) -> bool {
        self.edited.as_ref().is_some_and(|e| e.encrypted.is_some())
            || self.reactions.values().any(|r| r.encrypted.is_some())
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// The reactions shown: each emoji with who chose it, the most chosen first (then by
    /// emoji, so the order is stable).
    pub fn reaction_counts(&self) -> Vec<(String, Vec<String>)> {
        let mut by_emoji: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (user, mark) in self.reactions.iter().filter(|(_, m)| m.encrypted.is_none()) {
            if let Some(emoji) = &mark.emoji {
                by_emoji.entry(emoji).or_default().push(user.clone());
            }
        }
        let mut counts: Vec<(String, Vec<String>)> = by_emoji
            .into_iter()
            .map(|(emoji, users)| (emoji.to_owned(), users))
            .collect();
        counts.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        counts
    }
}

/// The one with the higher seq (either when only one is there).
fn newest<T>(a: Option<T>, b: Option<T>, seq: impl Fn(&T) -> (u64, bool)) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if seq(&b) > seq(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::changes::Reaction;

    fn entry(kind: ChangeKind, seq: u64, from: &str, body: Option<&str>) -> MessageState {
        MessageState::of_entry(kind, Some(2), seq, 1000 + seq as i64, from, body)
            .unwrap()
            .1
    }

    fn folded(states: &[&MessageState]) -> MessageState {
        let mut state = MessageState::default();
        for s in states {
            state.merge(s);
        }
        state
    }

    /// Every order of `states` folds to the same state, and folding any of them again
    /// changes nothing.
    fn every_order_agrees(states: &[MessageState]) -> MessageState {
        let refs: Vec<&MessageState> = states.iter().collect();
        let expected = folded(&refs);
        for order in permutations(refs.len()) {
            let shuffled: Vec<&MessageState> = order.iter().map(|&i| refs[i]).collect();
            let mut state = folded(&shuffled);
            assert_eq!(state, expected, "order {order:?}");
            for again in &refs {
                assert!(!state.merge(again), "a repeat changed the state");
            }
        }
        expected
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut all = Vec::new();
        for rest in permutations(n - 1) {
            for at in 0..=rest.len() {
                let mut order = rest.clone();
                order.insert(at, n - 1);
                all.push(order);
            }
        }
        all
    }

    #[test]
    fn the_newest_edit_wins_whatever_the_order() {
        let state = every_order_agrees(&[
            entry(ChangeKind::Edit, 3, "a", Some("one")),
            entry(ChangeKind::Edit, 7, "a", Some("three")),
            entry(ChangeKind::Edit, 5, "a", Some("two")),
        ]);
        assert_eq!(state.edited.unwrap().body, "three");
        assert_eq!(state.version, 7);
    }

    #[test]
    fn reactions_count_per_emoji_and_an_unreact_removes_only_an_older_one() {
        let state = every_order_agrees(&[
            entry(ChangeKind::React, 3, "b", Some("👍")),
            entry(ChangeKind::React, 4, "c", Some("👍")),
            entry(ChangeKind::React, 5, "d", Some("❤️")),
            entry(ChangeKind::Unreact, 6, "d", None),
            entry(ChangeKind::React, 8, "d", Some("😂")),
            entry(ChangeKind::React, 9, "b", Some("❤️")),
            entry(ChangeKind::Unreact, 10, "c", None),
        ]);
        assert_eq!(
            state.reaction_counts(),
            vec![
                ("❤️".to_owned(), vec!["b".to_owned()]),
                ("😂".to_owned(), vec!["d".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_delete_hides_edits_and_reactions_before_or_after_it_arrives() {
        let state = every_order_agrees(&[
            entry(ChangeKind::Edit, 3, "a", Some("typo fixed")),
            entry(ChangeKind::React, 4, "b", Some("👍")),
            entry(ChangeKind::Delete, 5, "a", None),
        ]);
        assert!(state.is_deleted());
        assert_eq!(state.edited, None);
        assert!(state.reaction_counts().is_empty());
        assert_eq!(state.deleted.unwrap().by, "a");
    }

    #[test]
    fn a_sync_snapshot_removes_a_reaction_it_no_longer_lists() {
        // b reacted at 3 (seen live), then unreacted at 4 (not seen): the snapshot at 6
        // lists only c's.
        let snapshot = MessageState::of_snapshot(parley_protocol::MessageState {
            version: 6,
            edited: None,
            deleted: None,
            reactions: [(
                "c".to_owned(),
                Reaction {
                    seq: 6,
                    body: "🎉".into(),
                    encrypted: None,
                },
            )]
            .into(),
        });
        let state = every_order_agrees(&[
            entry(ChangeKind::React, 3, "b", Some("👍")),
            snapshot.clone(),
            // After the snapshot: stays.
            entry(ChangeKind::React, 8, "d", Some("👍")),
        ]);
        assert_eq!(
            state.reaction_counts(),
            vec![
                ("🎉".to_owned(), vec!["c".to_owned()]),
                ("👍".to_owned(), vec!["d".to_owned()]),
            ]
        );
        assert_eq!(state.version, 8);
    }

    #[test]
    fn a_snapshot_and_the_entries_it_folds_in_agree() {
        let snapshot = MessageState::of_snapshot(parley_protocol::MessageState {
            version: 5,
            edited: Some(Edited {
                seq: 5,
                ts: 1005,
                body: "two".into(),
                encrypted: None,
            }),
            deleted: None,
            reactions: [(
                "b".to_owned(),
                Reaction {
                    seq: 4,
                    body: "👍".into(),
                    encrypted: None,
                },
            )]
            .into(),
        });
        let state = every_order_agrees(&[
            entry(ChangeKind::Edit, 3, "a", Some("one")),
            entry(ChangeKind::React, 4, "b", Some("👍")),
            entry(ChangeKind::Edit, 5, "a", Some("two")),
            snapshot,
        ]);
        assert_eq!(state.edited.as_ref().unwrap().body, "two");
        assert_eq!(
            state.reaction_counts(),
            vec![("👍".to_owned(), vec!["b".to_owned()])]
        );
    }

    /// A `sync` snapshot whose edit (seq 3, by "a") and reaction (seq 4, by "b") are still
    /// encrypted: their key has not arrived.
    fn sealed_snapshot() -> MessageState {
        MessageState::of_snapshot(parley_protocol::MessageState {
            version: 4,
            edited: Some(Edited {
                seq: 3,
                ts: 1003,
                body: String::new(),
                encrypted: Some("{\"ciphertext\":\"e\"}".into()),
            }),
            deleted: None,
            reactions: [(
                "b".to_owned(),
                Reaction {
                    seq: 4,
                    body: String::new(),
                    encrypted: Some("{\"ciphertext\":\"r\"}".into()),
                },
            )]
            .into(),
        })
    }

    #[test]
    fn an_encrypted_edit_and_reaction_waiting_for_their_key_show_nothing_of_themselves() {
        let state = sealed_snapshot();
        assert!(state.is_sealed());
        assert!(state.reaction_counts().is_empty(), "{state:?}");
        let message = crate::store::Message {
            body: Some("original".into()),
            state,
            ..serde_json::from_value(serde_json::json!({
                "conversation": "d:a:b", "seq": 2, "message_id": "m2", "id": "i2", "from": "a",
                "ts": 1002, "body": null, "attachment": null, "system": null
            }))
            .unwrap()
        };
        assert_eq!(message.text(), Some("original"));
        assert!(message.has_sealed_changes());
    }

    #[test]
    fn the_decrypted_edit_and_reaction_win_over_their_encrypted_copies_in_any_order() {
        let state = every_order_agrees(&[
            sealed_snapshot(),
            entry(ChangeKind::Edit, 3, "a", Some("now decrypted")),
            entry(ChangeKind::React, 4, "b", Some("🎉")),
        ]);
        assert!(!state.is_sealed(), "{state:?}");
        assert_eq!(state.edited.as_ref().unwrap().body, "now decrypted");
        assert_eq!(
            state.reaction_counts(),
            vec![("🎉".to_owned(), vec!["b".to_owned()])]
        );
    }

    #[test]
    fn a_message_that_is_not_a_change_makes_no_state() {
        assert_eq!(
            MessageState::of_entry(ChangeKind::Edit, None, 3, 0, "a", Some("x")),
            None
        );
    }
}
