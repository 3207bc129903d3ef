//! What Lambda's event source mappings and SNS mobile push need locally. moto serves
//! DynamoDB Streams but invokes nothing, so the local stack polls each stream the template
//! maps to a function ([`mapping`]) as Lambda does ([`poller`]) and invokes the function's
//! real binary through the lambda pool with the event Lambda sends ([`event`]), after the
//! mapping's event filters ([`filter`]), counting what it read and let through ([`counts`]).

pub mod counts;
mod event;
mod filter;
mod mapping;
mod poller;

pub use event::batch_event;
pub use filter::DYNAMODB_KEY;
pub use mapping::{stream_mappings, StartingPosition, StreamMapping};

use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use tokio::task::JoinSet;

use crate::aws::sdk_config;
use crate::lambda::Functions;
use crate::template::{Resolver, TemplateError};
use poller::ShardPoller;

/// The running pollers; stopping (or dropping) the handle stops them.
pub struct Pollers {
    tasks: JoinSet<()>,
}

impl Pollers {
    /// Starts one poller per shard of every stream mapping of the template. `aws_endpoint`
    /// is moto's own endpoint (polling is the stack's business, not a function's request).
    pub async fn start(
        resolver: &Resolver<'_>,
        aws_endpoint: &str,
        region: &str,
        functions: &Functions,
    ) -> Result<Self, TemplateError> {
        let client = aws_sdk_dynamodbstreams::Client::new(&sdk_config(aws_endpoint, region).await);
        let mut tasks = JoinSet::new();
        for mapping in stream_mappings(resolver)? {
            let shards = client
                .describe_stream()
                .stream_arn(&mapping.stream_arn)
                .send()
                .await
                .map_err(|e| {
                    TemplateError::invalid(format!(
                        "{}: DescribeStream {}: {}",
                        mapping.name,
                        mapping.stream_arn,
                        DisplayErrorContext(&e)
                    ))
                })?
                .stream_description
                .and_then(|d| d.shards)
                .unwrap_or_default();
            for shard in shards {
                let Some(shard_id) = shard.shard_id else {
                    continue;
                };
                tracing::info!(mapping = %mapping.name, shard = %shard_id, batch = mapping.batch_size, window = ?mapping.batching_window, "polling stream");
                let poller = ShardPoller {
                    mapping: mapping.clone(),
                    shard_id,
                    client: client.clone(),
                    functions: functions.clone(),
                };
                tasks.spawn(poller.run());
            }
        }
        Ok(Self { tasks })
    }

    /// Stops every poller (a batch in flight is abandoned, as when Lambda's poller moves).
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}
