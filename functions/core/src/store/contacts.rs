//! The contacts index (issue 15): a `conv#<conversation>` item in each member's partition of
//! the messages table for every conversation they are in, so that a device-list change of a
//! user reaches everyone who shares a conversation with them without a Scan. A direct chat's
//! pair is written when its first message is stored; a group's members when they join
//! (`created`, `added`), and removed when they leave or are removed. No `ttl`: membership
//! outlives the 30 days of messages. Conversations older than the index are not in it.

use aws_sdk_dynamodb::types::{AttributeValue, WriteRequest};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeSet, HashMap};

use super::Store;
use crate::batch::{self, Item};
use crate::Error;
use parley_protocol::{ConversationId, Kind};

const PREFIX: &str = "conv#";
/// Groups whose members are read at once.
const MAX_CONCURRENT_READS: usize = 16;

fn key(member: &str, conversation: &ConversationId) -> Item {
    HashMap::from([
        ("userId".to_owned(), AttributeValue::S(member.to_owned())),
        (
            "sk".to_owned(),
            AttributeValue::S(format!("{PREFIX}{conversation}")),
        ),
    ])
}

impl Store {
    /// Records that each of `members` is in `conversation` (Puts by key: idempotent).
    pub async fn index_members(
        &self,
        conversation: &ConversationId,
        members: &[String],
    ) -> Result<(), Error> {
        self.write_index(conversation, members, batch::put).await
    }

    /// Forgets that each of `members` is in `conversation`.
    pub async fn unindex_members(
        &self,
        conversation: &ConversationId,
        members: &[String],
    ) -> Result<(), Error> {
        self.write_index(conversation, members, batch::delete).await
    }

    /// `write` (a Put or a Delete) of each member's index item of `conversation`.
    async fn write_index(
        &self,
        conversation: &ConversationId,
        members: &[String],
        write: fn(Item) -> Result<WriteRequest, Error>,
    ) -> Result<(), Error> {
        let writes = members
            .iter()
            .map(|member| write(key(member, conversation)))
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.messages_table, writes).await
    }

    /// The conversations `user` is in, as the index holds them.
    pub async fn conversations_of(&self, user: &str) -> Result<Vec<ConversationId>, Error> {
        let mut conversations = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .db
                .query()
                .table_name(&self.messages_table)
                .key_condition_expression("userId = :u AND begins_with(sk, :p)")
                .expression_attribute_values(":u", AttributeValue::S(user.to_owned()))
                .expression_attribute_values(":p", AttributeValue::S(PREFIX.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            conversations.extend(output.items().iter().filter_map(|item| {
                let sk = item.get("sk")?.as_s().ok()?;
                ConversationId::parse(sk.strip_prefix(PREFIX)?).ok()
            }));
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(conversations);
            }
        }
    }

    /// Everyone who shares a conversation with `user`, `user` included: the direct chats'
    /// other members from their ids, each group's members from its record.
    pub async fn contacts(&self, user: &str) -> Result<BTreeSet<String>, Error> {
        let conversations = self.conversations_of(user).await?;
        let mut contacts = BTreeSet::from([user.to_owned()]);
        let (direct, groups): (Vec<_>, Vec<_>) = conversations
            .into_iter()
            .partition(|c| c.kind() == Kind::Direct);
        contacts.extend(direct.iter().flat_map(ConversationId::direct_members));
        let members: Vec<Vec<String>> = stream::iter(&groups)
            .map(|group| self.members(group))
            .buffer_unordered(MAX_CONCURRENT_READS)
            .try_collect()
            .await?;
        contacts.extend(members.into_iter().flatten());
        Ok(contacts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_items_sort_outside_the_mailbox_positions() {
        let item = key("u1", &ConversationId::direct("u1", "u2"));
        let sk = item["sk"].as_s().unwrap();
        assert_eq!(sk, "conv#d:u1:u2");
        assert!(sk.as_str() < "p#" || sk.as_str() > "p$", "{sk}");
    }
}
