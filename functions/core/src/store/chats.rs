//! A user's chat settings, in their own partition of the messages table:
//! - `chat#<conversation>`: `mutedUntil` (N, ms, `-1` for always; absent: not muted),
//!   `archived`, `pinned`, `unread` (BOOL) and `conversation`;
//! - `pins`: `pins` (SS), the pinned conversations, whose size a conditional write keeps
//!   at [`MAX_PINNED_CHATS`] (the `pinned` flag on the chat item is what `chats` reads).
//!
//! No `ttl`: settings last as long as the user. The push function reads `mutedUntil`
//! ([`Store::muted_until`]).

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use std::collections::HashMap;

use super::Store;
use crate::rules::chats::too_many_pins;
use crate::Error;
use parley_protocol::limits::MAX_PINNED_CHATS;
use parley_protocol::{ChatSettings, ConversationId};

/// The sort-key prefix of a chat's settings (sorts before `p#`).
pub const CHAT_PREFIX: &str = "chat#";
/// The sort key of the pinned set (sorts after `p$`).
pub const PINS: &str = "pins";

type Item = HashMap<String, AttributeValue>;

/// What one `chat` changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatChange {
    /// `Some(None)` unmutes.
    pub muted_until: Option<Option<i64>>,
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    pub unread: Option<bool>,
}

impl ChatChange {
    /// The UpdateItem of the chat item: its expression, names and values.
    fn update(&self, conversation: &ConversationId) -> (String, Item) {
        let mut set = vec!["conversation = :c".to_owned()];
        let mut values: Item = HashMap::from([(":c".into(), s(conversation.to_string()))]);
        let mut remove = Vec::new();
        match self.muted_until {
            Some(Some(until)) => {
                set.push("mutedUntil = :m".into());
                values.insert(":m".into(), AttributeValue::N(until.to_string()));
            }
            Some(None) => remove.push("mutedUntil"),
            None => {}
        }
        for (name, value) in [
            ("archived", self.archived),
            ("pinned", self.pinned),
            ("unread", self.unread),
        ] {
            if let Some(value) = value {
                set.push(format!("{name} = :{name}"));
                values.insert(format!(":{name}"), AttributeValue::Bool(value));
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        (expression, values)
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn chat_key(user: &str, conversation: &ConversationId) -> Item {
    HashMap::from([
        ("userId".into(), s(user)),
        ("sk".into(), s(format!("{CHAT_PREFIX}{conversation}"))),
    ])
}

/// Reads a chat item; `None` when it names no valid conversation.
pub fn settings_from_item(item: &Item) -> Option<ChatSettings> {
    let conversation = item
        .get("conversation")
        .and_then(|v| v.as_s().ok())
        .and_then(|c| ConversationId::parse(c).ok())?;
    let flag = |name: &str| item.get(name).and_then(|v| v.as_bool().ok()) == Some(&true);
    Some(ChatSettings {
        muted_until: item
            .get("mutedUntil")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
        archived: flag("archived"),
        pinned: flag("pinned"),
        unread: flag("unread"),
        conversation,
    })
}

impl Store {
    /// Applies `change` to `user`'s settings of `conversation` and answers them as they
    /// now stand. A pin beyond [`MAX_PINNED_CHATS`] is refused (`too_large`) and changes
    /// nothing.
    pub async fn change_chat(
        &self,
        user: &str,
        conversation: &ConversationId,
        change: &ChatChange,
    ) -> Result<ChatSettings, Error> {
        let (expression, values) = change.update(conversation);
        let item = match change.pinned {
            // One item: one UpdateItem, which answers the new state.
            None => self
                .db
                .update_item()
                .table_name(&self.messages_table)
                .set_key(Some(chat_key(user, conversation)))
                .update_expression(expression)
                .set_expression_attribute_values(Some(values))
                .return_values(ReturnValue::AllNew)
                .send()
                .await
                .map_err(Error::aws)?
                .attributes
                .unwrap_or_default(),
            // The pinned set moves with the flag, in one transaction; a transaction answers
            // nothing, so the item is read back.
            Some(pinned) => {
                self.pin(user, conversation, pinned, expression, values)
                    .await?;
                self.db
                    .get_item()
                    .table_name(&self.messages_table)
                    .set_key(Some(chat_key(user, conversation)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(Error::aws)?
                    .item
                    .unwrap_or_default()
            }
        };
        settings_from_item(&item)
            .ok_or_else(|| Error::internal("a chat item without its conversation"))
    }

    async fn pin(
        &self,
        user: &str,
        conversation: &ConversationId,
        pinned: bool,
        expression: String,
        values: Item,
    ) -> Result<(), Error> {
        let chat = Update::builder()
            .table_name(&self.messages_table)
            .set_key(Some(chat_key(user, conversation)))
            .update_expression(expression)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(Error::internal)?;
        let member = AttributeValue::Ss(vec![conversation.to_string()]);
        let pins = Update::builder()
            .table_name(&self.messages_table)
            .key("userId", s(user))
            .key("sk", s(PINS))
            .expression_attribute_names("#pins", "pins")
            .expression_attribute_values(":c", member);
        let pins = if pinned {
            // Re-pinning a pinned chat is allowed at the cap: it changes nothing.
            pins.update_expression("ADD #pins :c")
                .condition_expression(
                    "attribute_not_exists(#pins) OR size(#pins) < :max OR contains(#pins, :one)",
                )
                .expression_attribute_values(
                    ":max",
                    AttributeValue::N(MAX_PINNED_CHATS.to_string()),
                )
                .expression_attribute_values(":one", s(conversation.to_string()))
        } else {
            pins.update_expression("DELETE #pins :c")
        };
        let pins = pins.build().map_err(Error::internal)?;
        let result = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(chat).build())
            .transact_items(TransactWriteItem::builder().update(pins).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                    if cancelled
                        .cancellation_reasons()
                        .get(1)
                        .is_some_and(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Err(too_many_pins())
                }
                _ => Err(Error::aws(error)),
            },
        }
    }

    /// Every conversation whose settings `user` changed from the defaults (eventually
    /// consistent: a listing after a change may lag it by a moment, and the change itself
    /// reached the other devices live).
    pub async fn chats(&self, user: &str) -> Result<Vec<ChatSettings>, Error> {
        let mut chats = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .db
                .query()
                .table_name(&self.messages_table)
                .key_condition_expression("userId = :u AND begins_with(sk, :prefix)")
                .expression_attribute_values(":u", s(user))
                .expression_attribute_values(":prefix", s(CHAT_PREFIX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            chats.extend(
                output
                    .items()
                    .iter()
                    .filter_map(settings_from_item)
                    .filter(|c| *c != ChatSettings::default_for(c.conversation.clone())),
            );
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(chats);
            }
        }
    }

    /// Until when `user` muted `conversation` (`-1`: always; `None`: not muted). One
    /// eventually consistent GetItem of one attribute.
    pub async fn muted_until(&self, user: &str, conversation: &str) -> Result<Option<i64>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .key("userId", s(user))
            .key("sk", s(format!("{CHAT_PREFIX}{conversation}")))
            .projection_expression("mutedUntil")
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output
            .item()
            .and_then(|item| item.get("mutedUntil"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::END;

    fn group() -> ConversationId {
        ConversationId::parse("g:5f1d2c3b4a5968778695a4b3c2d1e0f9").unwrap()
    }

    #[test]
    fn the_keys_sort_outside_the_message_copies() {
        for key in [format!("{CHAT_PREFIX}{}", group()), PINS.to_owned()] {
            assert!(
                key.as_str() < "p#" || key.as_str() > END,
                "{key} sorts among the copies"
            );
        }
    }

    #[test]
    fn a_change_sets_what_it_names_and_removes_an_unmute() {
        let change = ChatChange {
            muted_until: Some(None),
            archived: Some(true),
            ..Default::default()
        };
        let (expression, values) = change.update(&group());
        assert_eq!(
            expression,
            "SET conversation = :c, archived = :archived REMOVE mutedUntil"
        );
        assert_eq!(values[":archived"], AttributeValue::Bool(true));
        let (expression, values) = ChatChange {
            muted_until: Some(Some(-1)),
            pinned: Some(false),
            unread: Some(true),
            ..Default::default()
        }
        .update(&group());
        assert_eq!(
            expression,
            "SET conversation = :c, mutedUntil = :m, pinned = :pinned, unread = :unread"
        );
        assert_eq!(values[":m"], AttributeValue::N("-1".into()));
    }

    #[test]
    fn items_read_back_as_settings() {
        let mut item = chat_key("u1", &group());
        item.insert("conversation".into(), s(group().to_string()));
        item.insert("mutedUntil".into(), AttributeValue::N("42".into()));
        item.insert("pinned".into(), AttributeValue::Bool(true));
        let settings = settings_from_item(&item).unwrap();
        assert_eq!(settings.muted_until, Some(42));
        assert!(settings.pinned && !settings.archived && !settings.unread);
        item.remove("conversation");
        assert_eq!(settings_from_item(&item), None);
    }
}
