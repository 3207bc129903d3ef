//! The connections table: one item per user (`userId` HASH) holding every live WebSocket
//! connection of theirs, so that the devices of a whole group are a few BatchGetItem
//! requests (100 users each) instead of one Query per member, and no request path Scans.
//!
//! Each connection is a top-level attribute of the user's item, `c#<connection id>`, a map
//! `{tokenExpiresAt, connectedAt, deviceId?}` (`deviceId`: the `?device=` it connected with). `$connect` adds its attribute and `$disconnect` (or a
//! post that found the connection gone, 410) removes it, each with one UpdateItem that
//! touches that attribute alone: concurrent connects and disconnects of one user's devices
//! never overwrite each other's, with no read-modify-write and no condition to lose. (A map
//! attribute holding the connections would need the map to exist before a nested `SET`,
//! which two first connects at once cannot both ensure in one request.)
//!
//! Presence: the item also holds `lastSeen` (N, ms: when the user's last connection closed,
//! set by `$disconnect`) and one `w#<viewer connection id>` = `{user, until}` per viewer
//! watching this user's presence (the `presence` action; `until` is the lease's end, ms).
//! `$connect` and `$disconnect` post to the live watchers when the user comes online or goes
//! offline, and `$connect` forgets the watchers whose lease ended.
//!
//! Expiry: API Gateway closes every connection after 2 hours. An entry whose `$disconnect`
//! never came is past its own expiry ([`Connection::ttl`]) 2 h 10 min after it connected:
//! readers skip it, and the user's next `$connect` removes it in the same UpdateItem. The
//! item's `ttl` is the newest connection's expiry plus [`LAST_SEEN_KEPT_SECS`], so that
//! `lastSeen` outlives the last connection, and DynamoDB deletes the item of a user who
//! stopped connecting a month ago; connects land seconds apart at most, far inside the 10 minutes of
//! grace, so a connect that writes an older `ttl` than a concurrent one cannot expire a live
//! connection.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::time::Duration;

use crate::error::condition_failed;
use crate::identity::Identity;
use crate::Error;

/// API Gateway closes every connection after 2 hours; an entry whose `$disconnect` never
/// arrived stops counting a little after that.
pub const MAX_CONNECTION_SECS: i64 = 2 * 60 * 60;
const TTL_GRACE_SECS: i64 = 10 * 60;
/// How long the item (with `lastSeen`) outlives its user's newest connection.
pub const LAST_SEEN_KEPT_SECS: i64 = 30 * 24 * 60 * 60;
/// The prefix of a watcher's attribute in the watched user's item.
const WATCHER_PREFIX: &str = "w#";
/// The prefix of a connection's attribute in its user's item.
const CONNECTION_PREFIX: &str = "c#";
/// DynamoDB's limit on the keys of one BatchGetItem.
const BATCH_KEYS: usize = 100;
/// BatchGetItem requests in flight at once (1024 members: 11 requests, 3 rounds).
const MAX_CONCURRENT_BATCHES: usize = 4;
/// How often a batch's unprocessed keys are asked for again before the lookup fails.
const MAX_ATTEMPTS: u32 = 10;

type Item = HashMap<String, AttributeValue>;

/// One device of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub user_id: String,
    pub connection_id: String,
    /// When the token that opened it expires (epoch seconds).
    pub token_expires_at: i64,
    /// When it was opened (epoch milliseconds, as API Gateway reports it).
    pub connected_at_ms: i64,
    /// The key directory's device it connected as (`?device=`), if it named one.
    pub device_id: Option<String>,
}

impl Connection {
    pub fn new(identity: &Identity, connection_id: &str, connected_at_ms: i64) -> Self {
        Self {
            user_id: identity.user_id.clone(),
            connection_id: connection_id.to_owned(),
            token_expires_at: identity.token_expires_at,
            connected_at_ms,
            device_id: identity.device_id.clone(),
        }
    }

    /// Epoch seconds after which the connection is certainly closed: readers skip the entry
    /// and the next connect removes it.
    pub fn ttl(&self) -> i64 {
        self.connected_at_ms / 1000 + MAX_CONNECTION_SECS + TTL_GRACE_SECS
    }

    /// The entry's attribute name in the user's item.
    fn attribute(&self) -> String {
        attribute(&self.connection_id)
    }

    fn entry(&self) -> AttributeValue {
        let mut entry = HashMap::from([
            (
                "tokenExpiresAt".into(),
                AttributeValue::N(self.token_expires_at.to_string()),
            ),
            (
                "connectedAt".into(),
                AttributeValue::N(self.connected_at_ms.to_string()),
            ),
        ]);
        if let Some(device) = &self.device_id {
            entry.insert("deviceId".into(), AttributeValue::S(device.clone()));
        }
        AttributeValue::M(entry)
    }
}

fn attribute(connection_id: &str) -> String {
    format!("{CONNECTION_PREFIX}{connection_id}")
}

/// Every connection an item of the table records, live or not.
pub fn connections_in(item: &Item) -> Vec<Connection> {
    let Some(user_id) = item.get("userId").and_then(|v| v.as_s().ok()) else {
        return Vec::new();
    };
    item.iter()
        .filter_map(|(name, value)| {
            let connection_id = name.strip_prefix(CONNECTION_PREFIX)?;
            let entry = value.as_m().ok()?;
            let n = |k: &str| entry.get(k)?.as_n().ok()?.parse().ok();
            Some(Connection {
                user_id: user_id.clone(),
                connection_id: connection_id.to_owned(),
                token_expires_at: n("tokenExpiresAt")?,
                connected_at_ms: n("connectedAt")?,
                device_id: entry.get("deviceId").and_then(|v| v.as_s().ok()).cloned(),
            })
        })
        .collect()
}

/// A viewer's connection watching a user's presence ([`crate::rules::presence`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// The viewer's connection, as a delivery target.
    pub device: Connection,
    /// When the lease ends (ms).
    pub until: i64,
}

fn watchers_in(item: &Item) -> Vec<Watcher> {
    item.iter()
        .filter_map(|(name, value)| {
            let connection_id = name.strip_prefix(WATCHER_PREFIX)?;
            let entry = value.as_m().ok()?;
            Some(Watcher {
                device: Connection {
                    user_id: entry.get("user")?.as_s().ok()?.clone(),
                    connection_id: connection_id.to_owned(),
                    token_expires_at: 0,
                    connected_at_ms: 0,
                    device_id: None,
                },
                until: entry.get("until")?.as_n().ok()?.parse().ok()?,
            })
        })
        .collect()
}

/// A user's connections as their item records them: those still live at `now_secs`, and
/// those past their expiry (their `$disconnect` never came); their presence watchers (lease
/// live or not) and when they were last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    pub live: Vec<Connection>,
    pub expired: Vec<Connection>,
    pub watchers: Vec<Watcher>,
    pub last_seen: Option<i64>,
}

impl Devices {
    pub fn of(item: Option<&Item>, now_secs: i64) -> Self {
        let (live, expired) = item
            .map(connections_in)
            .unwrap_or_default()
            .into_iter()
            .partition(|c| c.ttl() > now_secs);
        Self {
            live,
            expired,
            watchers: item.map(watchers_in).unwrap_or_default(),
            last_seen: item.and_then(|i| i.get("lastSeen")?.as_n().ok()?.parse().ok()),
        }
    }

    /// The watchers whose lease is live at `now_ms`, as delivery targets.
    pub fn watching(&self, now_ms: i64) -> Vec<Connection> {
        self.watchers
            .iter()
            .filter(|w| crate::rules::presence::watching(w.until, now_ms))
            .map(|w| w.device.clone())
            .collect()
    }

    /// The watchers whose lease ended by `now_ms` (their attributes, to forget).
    pub fn stale_watchers(&self, now_ms: i64) -> Vec<String> {
        self.watchers
            .iter()
            .filter(|w| !crate::rules::presence::watching(w.until, now_ms))
            .map(|w| format!("{WATCHER_PREFIX}{}", w.device.connection_id))
            .collect()
    }
}

/// The connections table, through a client built once per cold start.
#[derive(Debug, Clone)]
pub struct Connections {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Connections {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(user_id: &str) -> Item {
        HashMap::from([("userId".into(), AttributeValue::S(user_id.to_owned()))])
    }

    /// Records `connection` and forgets `expired` entries and `stale_watchers` (attribute
    /// names, [`Devices::stale_watchers`]) of the same user, in one UpdateItem that touches
    /// those attributes alone.
    pub async fn add(
        &self,
        connection: &Connection,
        expired: &[Connection],
        stale_watchers: &[String],
    ) -> Result<(), Error> {
        let mut names = HashMap::from([
            ("#c".to_owned(), connection.attribute()),
            ("#ttl".to_owned(), "ttl".to_owned()),
        ]);
        let mut expression = "SET #c = :c, #ttl = :ttl".to_owned();
        let removed: Vec<String> = expired
            .iter()
            .filter(|old| old.connection_id != connection.connection_id)
            .map(Connection::attribute)
            .chain(stale_watchers.iter().cloned())
            .enumerate()
            .map(|(i, attribute)| {
                names.insert(format!("#x{i}"), attribute);
                format!("#x{i}")
            })
            .collect();
        if !removed.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removed.join(", ")));
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&connection.user_id)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":c", connection.entry())
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((connection.ttl() + LAST_SEEN_KEPT_SECS).to_string()),
            )
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// `$disconnect`: forgets a connection and records `lastSeen` in one UpdateItem, and
    /// returns what the item then holds (`None` when the connection was gone already, so
    /// that a second close tells no one).
    pub async fn disconnect(
        &self,
        user_id: &str,
        connection_id: &str,
        now_ms: i64,
    ) -> Result<Option<Devices>, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id)))
            .update_expression("REMOVE #c SET lastSeen = :now")
            .condition_expression("attribute_exists(#c)")
            .expression_attribute_names("#c", attribute(connection_id))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(Devices::of(output.attributes(), now_ms / 1000))),
            Err(error) if condition_failed(&error) => Ok(None),
            Err(error) => Err(Error::aws(error)),
        }
    }

    /// `presence` with `watch`: records `viewer` as a watcher of `user` until `until` (ms)
    /// and returns the watched user's item as it then stands (one UpdateItem). A user with no
    /// item gets one that expires a little after the lease.
    pub async fn watch(
        &self,
        user_id: &str,
        viewer: &Connection,
        until: i64,
    ) -> Result<Devices, Error> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id)))
            .update_expression("SET #w = :w, #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#w", format!("{WATCHER_PREFIX}{}", viewer.connection_id))
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(
                ":w",
                AttributeValue::M(HashMap::from([
                    ("user".into(), AttributeValue::S(viewer.user_id.clone())),
                    ("until".into(), AttributeValue::N(until.to_string())),
                ])),
            )
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((until / 1000 + TTL_GRACE_SECS).to_string()),
            )
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(Devices::of(
            output.attributes(),
            crate::clock::now_ms() / 1000,
        ))
    }

    /// `presence` without `watch`: stops `viewer_connection` watching `user` and returns the
    /// watched user's item (one UpdateItem; no item is made for a user who has none).
    pub async fn unwatch(&self, user_id: &str, viewer_connection: &str) -> Result<Devices, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id)))
            .update_expression("REMOVE #w")
            .condition_expression("attribute_exists(userId)")
            .expression_attribute_names("#w", format!("{WATCHER_PREFIX}{viewer_connection}"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Devices::of(
                output.attributes(),
                crate::clock::now_ms() / 1000,
            )),
            Err(error) if condition_failed(&error) => Ok(Devices::default()),
            Err(error) => Err(Error::aws(error)),
        }
    }

    /// Forgets a connection (one UpdateItem). Forgetting an absent one is not an error:
    /// `$disconnect` and a 410 cleanup may both try; the condition keeps the request from
    /// making an empty item for a user who has none.
    pub async fn remove(&self, user_id: &str, connection_id: &str) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id)))
            .update_expression("REMOVE #c")
            .condition_expression("attribute_exists(#c)")
            .expression_attribute_names("#c", attribute(connection_id))
            .send()
            .await;
        match result {
            Err(error) if !condition_failed(&error) => Err(Error::aws(error)),
            // Removed, or absent already.
            _ => Ok(()),
        }
    }

    /// A user's connections, live and expired (one consistent GetItem: `$connect` counts
    /// them against the device cap).
    pub async fn devices(&self, user_id: &str, now_secs: i64) -> Result<Devices, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(Devices::of(output.item(), now_secs))
    }

    /// Every live connection of every user in `users`: BatchGetItem, 100 users a request,
    /// a few requests at once. Eventually consistent, as a Query of the table was: a device
    /// that connected within the last second may be missed, and its user is then pushed
    /// instead and syncs.
    pub async fn of_users(
        &self,
        users: &[String],
        now_secs: i64,
    ) -> Result<Vec<Connection>, Error> {
        let mut unique: Vec<&String> = users.iter().collect();
        unique.sort();
        unique.dedup();
        let batches: Vec<Vec<Item>> = unique
            .chunks(BATCH_KEYS)
            .map(|chunk| chunk.iter().map(|user| Self::key(user)).collect())
            .collect();
        let items: Vec<Vec<Item>> = stream::iter(batches)
            .map(|keys| self.get_batch(keys))
            .buffer_unordered(MAX_CONCURRENT_BATCHES)
            .try_collect()
            .await?;
        Ok(items
            .iter()
            .flatten()
            .flat_map(|item| Devices::of(Some(item), now_secs).live)
            .collect())
    }

    async fn get_batch(&self, mut keys: Vec<Item>) -> Result<Vec<Item>, Error> {
        let mut items = Vec::new();
        for attempt in 0..MAX_ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .build()
                .map_err(Error::internal)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(Error::aws)?;
            if let Some(found) = output.responses().and_then(|r| r.get(&self.table)) {
                items.extend(found.iter().cloned());
            }
            keys = output
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .map(|k| k.keys().to_vec())
                .unwrap_or_default();
            if keys.is_empty() {
                return Ok(items);
            }
            // Throttled: ask again for what is left, after a pause.
            tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
        }
        Err(Error::internal(
            "BatchGetItem kept leaving connection keys unprocessed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(id: &str, connected_at_ms: i64) -> Connection {
        Connection {
            user_id: "u1".into(),
            connection_id: id.into(),
            token_expires_at: 1_700_003_600,
            connected_at_ms,
            device_id: None,
        }
    }

    #[test]
    fn entries_round_trip_and_expire() {
        let identity = Identity {
            user_id: "u1".into(),
            token_expires_at: 1_700_003_600,
            device_id: Some("PHONE".into()),
        };
        let live = Connection::new(&identity, "c1=", 1_700_000_000_123);
        assert_eq!(live.device_id.as_deref(), Some("PHONE"));
        assert_eq!(live.ttl(), 1_700_000_000 + 7200 + 600);
        let old = connection("c0/", 1_690_000_000_000);
        let mut item = Connections::key("u1");
        item.insert(live.attribute(), live.entry());
        item.insert(old.attribute(), old.entry());
        item.insert("ttl".into(), AttributeValue::N(live.ttl().to_string()));
        let devices = Devices::of(Some(&item), 1_700_000_100);
        assert_eq!(devices.live, vec![live]);
        assert_eq!(devices.expired, vec![old]);
        assert_eq!(Devices::of(None, 0), Devices::default());
    }
}
