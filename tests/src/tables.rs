//! Reading the stack's DynamoDB tables directly, to check what the functions stored.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::{Duration, Instant};

use crate::stack::StackInfo;

pub fn dynamodb(stack: &StackInfo) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(stack.region.clone()))
        .endpoint_url(&stack.aws_endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "e2e"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The connection ids recorded for a user.
pub async fn connections_of(stack: &StackInfo, user_id: &str) -> Vec<String> {
    let output = dynamodb(stack)
        .query()
        .table_name(stack.table("ConnectionsTable"))
        .key_condition_expression("userId = :u")
        .expression_attribute_values(":u", AttributeValue::S(user_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("query the connections table");
    output
        .items()
        .iter()
        .filter_map(|item| item.get("connectionId")?.as_s().ok().cloned())
        .collect()
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

/// Writes a connection record the way `$connect` does (connectionId, userId,
/// tokenExpiresAt, connectedAt, ttl), for a connection that is not live: a device that
/// vanished without its `$disconnect` having removed the record.
pub async fn put_connection(stack: &StackInfo, user_id: &str, connection_id: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let (secs, millis) = (now.as_secs() as i64, now.as_millis() as i64);
    dynamodb(stack)
        .put_item()
        .table_name(stack.table("ConnectionsTable"))
        .item("userId", AttributeValue::S(user_id.to_owned()))
        .item("connectionId", AttributeValue::S(connection_id.to_owned()))
        .item(
            "tokenExpiresAt",
            AttributeValue::N((secs + 3600).to_string()),
        )
        .item("connectedAt", AttributeValue::N(millis.to_string()))
        .item(
            "ttl",
            AttributeValue::N((secs + 2 * 3600 + 600).to_string()),
        )
        .send()
        .await
        .expect("put a connection record");
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
