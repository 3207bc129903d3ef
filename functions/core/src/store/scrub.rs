//! Delete for everyone (issue 16) removes a message's text from storage, not only from
//! view: its log item, every member's copy, and the log items and copies of its earlier
//! edits keep their keys, sender, seq and time, and lose their content (`body`,
//! `encrypted`, `attachment`, `replyTo`, `mentions`) and their push mark (`offline`: a MODIFY still
//! carrying it would pass the push function's stream filter and push again). The state item
//! (`x#`, [`super::state`]) is rewritten whole by the delete's own transaction, without the
//! edited text and the reactions.
//!
//! Where each part happens:
//! - a direct chat: everything inside the delete's commit transaction (at most 3 × 11 items
//!   with [`parley_protocol::limits::MAX_EDITS`]): a stored delete has scrubbed its chat;
//! - a group: the log items inside the transaction, then the copies of every current and
//!   former member ([`Store::scrub_copies`]), one conditional UpdateItem per copy, by the
//!   caller after the commit; a retried delete (same `id`) does it again from what the log
//!   and the state item hold ([`Store::scrub_of`]), so a crash in between loses nothing.
//!
//! The attachment's object and its reservation are the caller's to delete: the S3 client is
//! the messages function's.

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeSet, HashMap};

use super::log::log_key;
use super::state::state_key;
use super::{StateRecord, Store};
use crate::cursor;
use crate::message::{Message, ENCRYPTED, OFFLINE};
use crate::Error;
use parley_protocol::{ConversationId, Kind};

/// Copies rewritten at once after a group delete.
const MAX_CONCURRENT_SCRUBS: usize = 64;
/// What a scrub removes; every attribute a message's content is stored in.
const SCRUB: &str = "REMOVE #body, #encrypted, #attachment, #replyTo, #mentions, #offline \
                     SET #deleted = :deleted, #ttl = if_not_exists(#ttl, :ttl)";

/// What a delete for everyone removes.
#[derive(Debug, Clone, PartialEq)]
pub struct Scrub {
    pub conversation: ConversationId,
    /// The deleted message and each of its edit entries: (seq, ts), which name their log
    /// items and their copies' positions.
    pub entries: Vec<(u64, i64)>,
    /// Whose mailboxes may hold copies: a direct chat's two members; a group's members and
    /// former members (a member who joined later has none, and gets none).
    pub owners: Vec<String>,
    /// The deleted message's attachment key and its uploader (who reserved it).
    pub attachment: Option<(String, String)>,
    /// When the message expires (epoch s): what a stub the scrub creates expires with.
    pub ttl: i64,
}

impl Scrub {
    /// What deleting `target`, whose state was `state` before the delete, removes for
    /// `owners`.
    pub fn of(target: &Message, state: Option<&StateRecord>, owners: Vec<String>) -> Self {
        let mut entries = vec![(target.seq, target.ts)];
        entries.extend(state.iter().flat_map(|s| s.edits.iter().copied()));
        Self {
            conversation: target.conversation.clone(),
            entries,
            owners,
            attachment: target
                .attachment
                .as_ref()
                .map(|a| (a.key.clone(), target.from.clone())),
            ttl: target.expires_at(),
        }
    }

    /// The log items, and in a direct chat also the copies, that the delete's transaction
    /// rewrites: (partition, sort key).
    pub(crate) fn in_transaction(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self
            .entries
            .iter()
            .map(|&(seq, _)| (self.conversation.to_string(), log_key(seq)))
            .collect();
        if self.conversation.kind() == Kind::Direct {
            keys.extend(self.copies());
        }
        keys
    }

    /// Every copy of every entry: (owner, position).
    fn copies(&self) -> Vec<(String, String)> {
        self.owners
            .iter()
            .flat_map(|owner| {
                self.entries.iter().map(move |&(seq, ts)| {
                    (
                        owner.clone(),
                        cursor::position(ts, self.conversation.as_str(), seq),
                    )
                })
            })
            .collect()
    }

    /// The transaction's rewrite of the item at `key`: without a condition, since a copy
    /// that expired must not cancel the delete (the stub it then creates holds no content
    /// and expires with the message; sync skips an item without a seq).
    pub(crate) fn update(&self, table: &str, key: (String, String)) -> Result<Update, Error> {
        let (names, values) = self.expression();
        Update::builder()
            .table_name(table)
            .key("userId", AttributeValue::S(key.0))
            .key("sk", AttributeValue::S(key.1))
            .update_expression(SCRUB)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(Error::internal)
    }

    #[allow(clippy::type_complexity)]
    fn expression(&self) -> (HashMap<String, String>, HashMap<String, AttributeValue>) {
        let names = [
            "body",
            ENCRYPTED,
            "attachment",
            "replyTo",
            "mentions",
            OFFLINE,
            "deleted",
            "ttl",
        ]
        .into_iter()
        .map(|name| (format!("#{name}"), name.to_owned()))
        .collect();
        let values = HashMap::from([
            (":deleted".to_owned(), AttributeValue::Bool(true)),
            (":ttl".to_owned(), AttributeValue::N(self.ttl.to_string())),
        ]);
        (names, values)
    }
}

impl Store {
    /// Rewrites every copy `scrub` names that exists, [`MAX_CONCURRENT_SCRUBS`] at once: a
    /// group's, after its delete committed. Idempotent.
    pub async fn scrub_copies(&self, scrub: &Scrub) -> Result<(), Error> {
        let (names, values) = scrub.expression();
        stream::iter(scrub.copies())
            .map(|(owner, position)| {
                let request = self
                    .db
                    .update_item()
                    .table_name(&self.messages_table)
                    .key("userId", AttributeValue::S(owner))
                    .key("sk", AttributeValue::S(position))
                    .update_expression(SCRUB)
                    // No copy (joined later, or expired): nothing to remove, nothing to make.
                    .condition_expression("attribute_exists(userId)")
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values(Some(values.clone()));
                async move {
                    match request.send().await {
                        Ok(_) => Ok(()),
                        Err(error) if crate::error::condition_failed(&error) => Ok(()),
                        Err(error) => Err(Error::aws(error)),
                    }
                }
            })
            .buffer_unordered(MAX_CONCURRENT_SCRUBS)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// What the delete of the message at `target` of `conversation` removes, as the store
    /// holds it once the delete committed (a retry finishing an interrupted scrub): the
    /// state item's edits and attachment, the log item's time, the group's members and
    /// former members. None when the message is not deleted.
    pub async fn scrub_of(
        &self,
        conversation: &ConversationId,
        target: u64,
    ) -> Result<Option<Scrub>, Error> {
        let state = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(conversation.to_string()))
            .key("sk", AttributeValue::S(state_key(target)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        let Some(state) = state.item().and_then(StateRecord::from_item) else {
            return Ok(None);
        };
        if state.state.deleted.is_none() {
            return Ok(None);
        }
        let Some(logged) = self.logged(conversation, target).await? else {
            return Ok(None);
        };
        let owners = match conversation.kind() {
            Kind::Direct => conversation.direct_members(),
            Kind::Group => match self.conversation(conversation).await? {
                Some(record) => owners_of_group(&record.members, &record.former),
                None => Vec::new(),
            },
        };
        let mut scrub = Scrub::of(&logged, Some(&state), owners);
        scrub.attachment = state.attachment.clone().map(|key| (key, logged.from));
        Ok(Some(scrub))
    }

    /// Forgets the deleted attachment once its object is gone: the uploader's reservation
    /// and the key the state item kept for a retry, which both name the file (two requests
    /// at once). A deleted attachment can never be attached again.
    pub async fn forget_attachment(&self, scrub: &Scrub) -> Result<(), Error> {
        let (Some((key, uploader)), Some(&(target, _))) =
            (&scrub.attachment, scrub.entries.first())
        else {
            return Ok(());
        };
        let reservation = self
            .db
            .delete_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(uploader.clone()))
            .key("sk", AttributeValue::S(super::reservations::key_of(key)))
            .send();
        let kept = self
            .db
            .update_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(scrub.conversation.to_string()))
            .key("sk", AttributeValue::S(state_key(target)))
            .update_expression("REMOVE #file")
            .condition_expression("attribute_exists(userId)")
            .expression_attribute_names("#file", super::state::FILE)
            .send();
        let (reservation, kept) = futures_util::future::join(reservation, kept).await;
        reservation.map_err(Error::aws)?;
        match kept {
            Err(error) if !crate::error::condition_failed(&error) => Err(Error::aws(error)),
            _ => Ok(()),
        }
    }
}

/// A group's current and former members, once each.
pub fn owners_of_group(members: &[String], former: &[String]) -> Vec<String> {
    members
        .iter()
        .chain(former)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::Attachment;

    fn target(conversation: ConversationId) -> Message {
        Message {
            conversation,
            seq: 3,
            message_id: "m".into(),
            client_id: "c".into(),
            from: "a".into(),
            ts: 1_700_000_000_000,
            body: Some("secret".into()),
            attachment: Some(Attachment {
                key: "c/k/f".into(),
                name: "f".into(),
                content_type: "text/plain".into(),
                size: 1,
            }),
            system: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            wakes: None,
            encrypted: Some("ciphertext".into()),
            seconds: None,
            lifetime: None,
        }
    }

    #[test]
    fn a_direct_delete_scrubs_logs_and_copies_of_the_message_and_its_edits_in_one_go() {
        let conversation = ConversationId::direct("a", "b");
        let state = StateRecord {
            edits: vec![(4, 1_700_000_000_100), (5, 1_700_000_000_200)],
            ..StateRecord::default()
        };
        let scrub = Scrub::of(
            &target(conversation.clone()),
            Some(&state),
            conversation.direct_members(),
        );
        assert_eq!(scrub.attachment, Some(("c/k/f".into(), "a".into())));
        let keys = scrub.in_transaction();
        assert_eq!(keys.len(), 3 * 3, "3 entries: a log item and 2 copies each");
        assert!(keys.contains(&(conversation.to_string(), "s#000000000005".into())));
        assert!(keys.contains(&(
            "b".into(),
            cursor::position(1_700_000_000_100, conversation.as_str(), 4)
        )));
    }

    #[test]
    fn a_group_delete_scrubs_its_logs_in_the_transaction_and_copies_after() {
        let conversation =
            ConversationId::parse("g:0123456789abcdef0123456789abcdef").expect("an id");
        let owners = owners_of_group(&["a".into(), "b".into()], &["c".into(), "b".into()]);
        assert_eq!(owners, ["a", "b", "c"]);
        let scrub = Scrub::of(&target(conversation), None, owners);
        assert_eq!(scrub.in_transaction().len(), 1, "the log item only");
        assert_eq!(scrub.copies().len(), 3);
    }

    #[test]
    fn the_scrub_removes_every_content_attribute_and_the_push_mark() {
        for attribute in [
            "#body",
            "#encrypted",
            "#attachment",
            "#replyTo",
            "#mentions",
            "#offline",
        ] {
            assert!(SCRUB.contains(attribute), "{attribute}");
        }
        let scrub = Scrub::of(&target(ConversationId::direct("a", "b")), None, Vec::new());
        let (names, _) = scrub.expression();
        assert_eq!(names["#offline"], OFFLINE);
        assert_eq!(names["#encrypted"], ENCRYPTED);
    }
}
