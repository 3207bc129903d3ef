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
