//! Blocks (issue 16): who a user blocks, in their own partition of the messages table
//! (`blk#<blocked user>`, what `blocks` lists), and the reverse index in the blocked user's
//! partition (`blkby`, one top-level attribute `b#<blocker>` per blocker), which is what the
//! paths of the blocked user's sends read: a send reads it in its step 1 BatchGetItem (no
//! extra request), typing and ack with one GetItem. Both written in one transaction, so
//! they never disagree. Both sort before `p#`, outside a sync's range.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::{BTreeSet, HashMap};

use super::Store;
use crate::Error;

pub(crate) const BLOCK_PREFIX: &str = "blk#";
/// The sort key of the item listing who blocks a user.
pub const BLOCKED_BY: &str = "blkby";
const BLOCKER_PREFIX: &str = "b#";

type Item = HashMap<String, AttributeValue>;

fn key(user: &str, sk: String) -> Item {
    HashMap::from([
        ("userId".to_owned(), AttributeValue::S(user.to_owned())),
        ("sk".to_owned(), AttributeValue::S(sk)),
    ])
}

/// The key of the item saying that `blocker` blocks `blocked`.
pub(crate) fn block_key(blocker: &str, blocked: &str) -> Item {
    key(blocker, format!("{BLOCK_PREFIX}{blocked}"))
}

/// The key of the item listing who blocks `user`.
pub(crate) fn blocked_by_key(user: &str) -> Item {
    key(user, BLOCKED_BY.to_owned())
}

/// Who blocks the owner of a `blkby` item.
pub(crate) fn blockers_in(item: &Item) -> BTreeSet<String> {
    item.keys()
        .filter_map(|name| name.strip_prefix(BLOCKER_PREFIX))
        .map(str::to_owned)
        .collect()
}

impl Store {
    /// `blocker` blocks `blocked` (`on`) or unblocks them: one transaction of two items.
    /// Blocking twice, or unblocking someone not blocked, changes nothing.
    pub async fn set_block(&self, blocker: &str, blocked: &str, on: bool) -> Result<(), Error> {
        let own = block_key(blocker, blocked);
        let reverse = Update::builder()
            .table_name(&self.messages_table)
            .set_key(Some(blocked_by_key(blocked)))
            .expression_attribute_names("#b", format!("{BLOCKER_PREFIX}{blocker}"));
        let (own, reverse) = if on {
            let mut item = own;
            item.insert(
                "at".to_owned(),
                AttributeValue::N(crate::clock::now_ms().to_string()),
            );
            let put = Put::builder()
                .table_name(&self.messages_table)
                .set_item(Some(item))
                .build()
                .map_err(Error::internal)?;
            let update = reverse
                .update_expression("SET #b = :at")
                .expression_attribute_values(
                    ":at",
                    AttributeValue::N(crate::clock::now_ms().to_string()),
                )
                .build()
                .map_err(Error::internal)?;
            (TransactWriteItem::builder().put(put).build(), update)
        } else {
            let delete = Delete::builder()
                .table_name(&self.messages_table)
                .set_key(Some(own))
                .build()
                .map_err(Error::internal)?;
            let update = reverse
                .update_expression("REMOVE #b")
                .build()
                .map_err(Error::internal)?;
            (TransactWriteItem::builder().delete(delete).build(), update)
        };
        self.db
            .transact_write_items()
            .transact_items(own)
            .transact_items(TransactWriteItem::builder().update(reverse).build())
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Whom `user` blocks (one Query of their `blk#` items).
    pub async fn blocks(&self, user: &str) -> Result<Vec<String>, Error> {
        let mut users = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .db
                .query()
                .table_name(&self.messages_table)
                .key_condition_expression("userId = :user AND begins_with(sk, :blocks)")
                .expression_attribute_values(":user", AttributeValue::S(user.to_owned()))
                .expression_attribute_values(":blocks", AttributeValue::S(BLOCK_PREFIX.into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            users.extend(output.items().iter().filter_map(|item| {
                Some(
                    item.get("sk")?
                        .as_s()
                        .ok()?
                        .strip_prefix(BLOCK_PREFIX)?
                        .to_owned(),
                )
            }));
            start = output.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(users);
            }
        }
    }

    /// Who blocks `user` (one GetItem of their `blkby` item).
    pub async fn blocked_by(&self, user: &str) -> Result<BTreeSet<String>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .set_key(Some(blocked_by_key(user)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.item().map(blockers_in).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_sort_outside_the_positions_and_list_their_blockers() {
        for sk in [format!("{BLOCK_PREFIX}u"), BLOCKED_BY.to_owned()] {
            assert!(
                sk.as_str() < "p#" || sk.as_str() > crate::cursor::END,
                "{sk}"
            );
        }
        let mut item = blocked_by_key("u");
        item.insert("b#a".into(), AttributeValue::N("1".into()));
        item.insert("b#c".into(), AttributeValue::N("2".into()));
        assert_eq!(
            blockers_in(&item).into_iter().collect::<Vec<_>>(),
            ["a", "c"]
        );
    }
}
