//! What presence reads and writes in the message store: each user's `prefs` item (their
//! own partition of the messages table; `lastSeen` = whom they show their presence to, absent
//! for everyone) and, for "contacts", the `writers` of the pair's direct chat record
//! (who has written in it; the send path adds the sender at no extra request).
//!
//! The watchers and `lastSeen` itself live in the connections table
//! ([`crate::connections`]).

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use std::collections::HashMap;

use super::blocks::{blocked_by_key, blockers_in, BLOCKED_BY};
use super::conversations::WRITERS;
use super::Store;
use crate::rules::presence::Side;
use crate::Error;
use parley_protocol::client::Audience;
use parley_protocol::ConversationId;

/// The sort key of a user's preferences (sorts after `p$`).
pub const PREFS: &str = "prefs";

type Item = HashMap<String, AttributeValue>;

fn prefs_key(user: &str) -> Item {
    HashMap::from([
        ("userId".into(), AttributeValue::S(user.to_owned())),
        ("sk".into(), AttributeValue::S(PREFS.to_owned())),
    ])
}

fn audience_in(item: Option<&Item>) -> Audience {
    item.and_then(|i| i.get("lastSeen")?.as_s().ok())
        .and_then(|text| Audience::parse(text))
        .unwrap_or_default()
}

impl Store {
    /// Whom `user` shows their presence to (one GetItem).
    pub async fn privacy(&self, user: &str) -> Result<Audience, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .set_key(Some(prefs_key(user)))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(audience_in(output.item()))
    }

    /// Sets whom `user` shows their presence to (one UpdateItem).
    pub async fn set_privacy(&self, user: &str, audience: Audience) -> Result<(), Error> {
        self.db
            .update_item()
            .table_name(&self.messages_table)
            .set_key(Some(prefs_key(user)))
            .update_expression("SET lastSeen = :a")
            .expression_attribute_values(":a", AttributeValue::S(audience.as_str().to_owned()))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Both sides of `viewer` looking at `owner`'s presence: their settings, whether each
    /// has written to the other in their direct chat, and whether either blocks the other.
    /// One BatchGetItem of five keys over two tables (eventually consistent: a setting
    /// changed within the last second may be read old, and the watch is re-decided at the
    /// next renewal; a block also ends the blocked user's watches at once).
    pub async fn presence_sides(
        &self,
        owner: &str,
        viewer: &str,
    ) -> Result<(Side, Side, bool), Error> {
        let direct = ConversationId::direct(owner, viewer);
        let prefs = KeysAndAttributes::builder()
            .keys(prefs_key(owner))
            .keys(prefs_key(viewer))
            .keys(blocked_by_key(owner))
            .keys(blocked_by_key(viewer))
            .build()
            .map_err(Error::internal)?;
        let record = KeysAndAttributes::builder()
            .keys(HashMap::from([(
                "conversationId".into(),
                AttributeValue::S(direct.to_string()),
            )]))
            .projection_expression(WRITERS)
            .build()
            .map_err(Error::internal)?;
        let output = self
            .db
            .batch_get_item()
            .request_items(&self.messages_table, prefs)
            .request_items(&self.conversations_table, record)
            .send()
            .await
            .map_err(Error::aws)?;
        if output.unprocessed_keys().is_some_and(|u| !u.is_empty()) {
            return Err(Error::internal("presence read left keys unprocessed"));
        }
        let responses = output.responses();
        let found = |table: &str| {
            responses
                .and_then(|r| r.get(table))
                .cloned()
                .unwrap_or_default()
        };
        let prefs = found(&self.messages_table);
        let of = |user: &str| {
            audience_in(prefs.iter().find(|i| {
                i.get("userId").and_then(|v| v.as_s().ok()) == Some(&user.to_owned())
                    && i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some(PREFS)
            }))
        };
        let writers: Vec<String> = found(&self.conversations_table)
            .first()
            .and_then(|i| i.get(WRITERS)?.as_ss().ok().cloned())
            .unwrap_or_default();
        let wrote = |user: &str| writers.iter().any(|w| w == user);
        let blocks = |blocker: &str, blocked: &str| {
            prefs.iter().any(|i| {
                i.get("userId").and_then(|v| v.as_s().ok()) == Some(&blocked.to_owned())
                    && i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str)
                        == Some(BLOCKED_BY)
                    && blockers_in(i).contains(blocker)
            })
        };
        let blocked = blocks(owner, viewer) || blocks(viewer, owner);
        Ok((
            Side {
                audience: of(owner),
                counts_other_as_contact: wrote(owner),
            },
            Side {
                audience: of(viewer),
                counts_other_as_contact: wrote(viewer),
            },
            blocked,
        ))
    }
}
