//! The messaging routes (`send`, `sync`, `ack`, `typing`, `lookup`): one function, one
//! module per action. Clients are built once per cold start and shared by every invocation.

use lambda_runtime::{run, service_fn, tracing, Error};
use messages::command;
use parley_core::connections::Connections;
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::{config, Config};

mod actions;
mod directory;
mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = config::load_aws().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let services = actions::Services {
        limits: RateLimiter::new(dynamodb.clone(), &config.messages_table),
        store: Store::new(
            dynamodb.clone(),
            &config.conversations_table,
            &config.messages_table,
        ),
        delivery: Delivery::new(
            Delivery::api_client(&aws, &config.management_endpoint),
            Connections::new(dynamodb, &config.connections_table),
        ),
        directory: directory::Directory::new(
            aws_sdk_cognitoidentityprovider::Client::new(&aws),
            &config.user_pool_id,
        ),
    };
    run(service_fn(|event| handler::handle(&services, event))).await
}
