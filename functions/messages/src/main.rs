//! The messaging routes (`send`, `sync`, `ack`, `typing`, `lookup`, the group actions and
//! `prefs`):
//! one function, one file per action under `actions/`. Clients are built once per cold start and shared by every invocation.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::connections::Connections;
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::users::Users;
use parley_core::{config, Config};

mod actions;
mod handler;
mod services;
mod steps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let bucket = std::env::var("FILES_BUCKET")
        .ok()
        .filter(|b| !b.is_empty())
        .ok_or("environment variable FILES_BUCKET is not set: the template must set it")?;
    let aws = config::load_aws().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let services = services::Services {
        limits: RateLimiter::new(dynamodb.clone(), &config.messages_table),
        store: Store::new(dynamodb.clone(), &config),
        delivery: Delivery::new(
            Delivery::api_client(&aws, &config.management_endpoint),
            Connections::new(dynamodb.clone(), &config.connections_table),
        ),
        users: Users::new(dynamodb, &config.users_table),
        files: services::Files::new(&aws, bucket),
    };
    run(service_fn(|event| handler::handle(&services, event))).await
}
