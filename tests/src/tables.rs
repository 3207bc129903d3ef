//! Reading the stack's DynamoDB tables directly, to check what the functions stored.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::stack::StackInfo;

/// The prefix of a connection's attribute in its user's item of the connections table.
const CONNECTION_PREFIX: &str = "c#";

pub fn dynamodb(stack: &StackInfo) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(stack.region.clone()))
        .endpoint_url(&stack.aws_endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "e2e"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The connection ids recorded for a user: the `c#<id>` attributes of their item in the
/// connections table (one item per user, `functions/core/src/connections.rs`).
pub async fn connections_of(stack: &StackInfo, user_id: &str) -> Vec<String> {
    let output = dynamodb(stack)
        .get_item()
        .table_name(stack.table("ConnectionsTable"))
        .key("userId", AttributeValue::S(user_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the connections table");
    output.item().map(connection_ids).unwrap_or_default()
}

/// The connection ids an item of the connections table records.
fn connection_ids(item: &HashMap<String, AttributeValue>) -> Vec<String> {
    let mut ids: Vec<String> = item
        .keys()
        .filter_map(|name| name.strip_prefix(CONNECTION_PREFIX).map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// Every connection id recorded for any user (a Scan: tests only).
pub async fn all_connections(stack: &StackInfo) -> Vec<String> {
    let db = dynamodb(stack);
    let mut ids = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = db
            .scan()
            .table_name(stack.table("ConnectionsTable"))
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan the connections table");
        ids.extend(page.items().iter().flat_map(connection_ids));
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return ids,
        }
    }
}

/// Polls until the user's recorded connections number `count` (the `$disconnect` after a
/// close runs asynchronously, as on AWS), or panics after `within`.
pub async fn await_connection_count(
    stack: &StackInfo,
    user_id: &str,
    count: usize,
    within: Duration,
) {
    let started = Instant::now();
    loop {
        let found = connections_of(stack, user_id).await;
        if found.len() == count {
            return;
        }
        if started.elapsed() > within {
            panic!("expected {count} connection records for {user_id}, found {found:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until the user has a connection record that is not in `before` (the records read
/// before connecting), and returns its id; panics after `within`. Unlike a count, it cannot be
/// fooled by an earlier connection of the same user whose `$disconnect` lands meanwhile.
pub async fn await_new_connection(
    stack: &StackInfo,
    user_id: &str,
    before: &[String],
    within: Duration,
) -> String {
    let started = Instant::now();
    loop {
        let found = connections_of(stack, user_id).await;
        if let Some(new) = found.iter().find(|id| !before.contains(id)) {
            return new.clone();
        }
        if started.elapsed() > within {
            panic!("no new connection record for {user_id}: before {before:?}, now {found:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records a connection the way `$connect` does (the attribute `c#<id>` of the user's item,
/// `{tokenExpiresAt, connectedAt}`, and the item's `ttl`), for a connection that is not
/// live: a device that vanished without its `$disconnect` having removed it.
pub async fn put_connection(stack: &StackInfo, user_id: &str, connection_id: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let (secs, millis) = (now.as_secs() as i64, now.as_millis() as i64);
    let entry = AttributeValue::M(HashMap::from([
        (
            "tokenExpiresAt".to_owned(),
            AttributeValue::N((secs + 3600).to_string()),
        ),
        (
            "connectedAt".to_owned(),
            AttributeValue::N(millis.to_string()),
        ),
    ]));
    dynamodb(stack)
        .update_item()
        .table_name(stack.table("ConnectionsTable"))
        .key("userId", AttributeValue::S(user_id.to_owned()))
        .update_expression("SET #c = :c, #ttl = :ttl")
        .expression_attribute_names("#c", format!("{CONNECTION_PREFIX}{connection_id}"))
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":c", entry)
        .expression_attribute_values(
            ":ttl",
            AttributeValue::N((secs + 2 * 3600 + 600).to_string()),
        )
        .send()
        .await
        .expect("record a connection");
}

/// Polls until `connection_id` is no longer recorded for the user, or panics after `within`.
pub async fn await_connection_gone(
    stack: &StackInfo,
    user_id: &str,
    connection_id: &str,
    within: Duration,
) {
    let started = Instant::now();
    loop {
        let found = connections_of(stack, user_id).await;
        if !found.iter().any(|c| c == connection_id) {
            return;
        }
        if started.elapsed() > within {
            panic!("the record of {connection_id} for {user_id} is still there: {found:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves the sending time of the message at `seq` of `conversation` back by `by_ms`, as the
/// conversation's log holds it (`s#<seq>`, which the rules of changes to messages read):
/// how a test reaches the end of the edit or delete window without waiting for it, and
/// without a clock in production code that a test could turn.
pub async fn backdate_logged(stack: &StackInfo, conversation: &str, seq: u64, by_ms: i64) {
    dynamodb(stack)
        .update_item()
        .table_name(stack.table("MessagesTable"))
        .key("userId", AttributeValue::S(conversation.to_owned()))
        .key("sk", AttributeValue::S(format!("s#{seq:012}")))
        .update_expression("SET ts = ts - :by")
        .condition_expression("attribute_exists(ts)")
        .expression_attribute_values(":by", AttributeValue::N(by_ms.to_string()))
        .send()
        .await
        .expect("backdate a logged message");
}

/// An item of the messages table by its keys (`None`: not there).
pub async fn message_item(
    stack: &StackInfo,
    partition: &str,
    sk: &str,
) -> Option<HashMap<String, AttributeValue>> {
    dynamodb(stack)
        .get_item()
        .table_name(stack.table("MessagesTable"))
        .key("userId", AttributeValue::S(partition.to_owned()))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the messages table")
        .item()
        .cloned()
}

/// Every item of every table of the stack in which `needle` occurs anywhere (keys, values,
/// nested JSON), as text: a raw Scan, for a test to prove that something is gone from
/// storage and not only from view.
pub async fn items_containing(stack: &StackInfo, needle: &str) -> Vec<String> {
    let db = dynamodb(stack);
    let mut found = Vec::new();
    for table in stack.tables.values() {
        let mut start = None;
        loop {
            let output = db
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan a table");
            found.extend(
                output
                    .items()
                    .iter()
                    .map(|item| format!("{table}: {item:?}"))
                    .filter(|text| text.contains(needle)),
            );
            start = output.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
    }
    found
}

/// Moves the expiry (`ttl`) of every stored item of the message at `seq` of `conversation`
/// back by `by_secs`: its log entry (`s#`), its state item (`x#`, when a change made one) and
/// the copies in the mailboxes of `owners`. How a test passes a disappearing message's
/// expiry without waiting for it: the readers treat an item past its `ttl` as gone, since
/// DynamoDB deletes it hours late (and the local emulator never does).
pub async fn backdate_expiry(
    stack: &StackInfo,
    conversation: &str,
    seq: u64,
    owners: &[&str],
    by_secs: i64,
) {
    let db = dynamodb(stack);
    let table = stack.table("MessagesTable");
    let mut keys = vec![
        (conversation.to_owned(), format!("s#{seq:012}")),
        (conversation.to_owned(), format!("x#{seq:012}")),
    ];
    for owner in owners {
        let copies = db
            .query()
            .table_name(&table)
            // Mailbox copies sort under `p#` (the send records beside them name a seq too).
            .key_condition_expression("userId = :owner AND begins_with(sk, :copies)")
            .filter_expression("conversation = :conversation AND seq = :seq")
            .expression_attribute_values(":owner", AttributeValue::S((*owner).to_owned()))
            .expression_attribute_values(":copies", AttributeValue::S("p#".to_owned()))
            .expression_attribute_values(
                ":conversation",
                AttributeValue::S(conversation.to_owned()),
            )
            .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("find a member's copy");
        let sks: Vec<String> = copies
            .items()
            .iter()
            .filter_map(|item| item.get("sk")?.as_s().ok().cloned())
            .collect();
        assert_eq!(sks.len(), 1, "{owner} holds one copy of seq {seq}");
        keys.extend(sks.into_iter().map(|sk| ((*owner).to_owned(), sk)));
    }
    for (partition, sk) in keys {
        let result = db
            .update_item()
            .table_name(&table)
            .key("userId", AttributeValue::S(partition))
            .key("sk", AttributeValue::S(sk.clone()))
            .update_expression("SET #ttl = #ttl - :by")
            .condition_expression("attribute_exists(#ttl)")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":by", AttributeValue::N(by_secs.to_string()))
            .send()
            .await;
        if let Err(error) = result {
            // Only a state item may be missing (nothing changed the message).
            let missing = error
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception());
            assert!(missing && sk.starts_with("x#"), "backdate {sk}: {error:?}");
        }
    }
}
