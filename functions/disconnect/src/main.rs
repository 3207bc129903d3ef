//! The `$disconnect` route: forgets the connection. API Gateway sends it for every close,
//! abrupt ones included, on a best-effort basis; the record's TTL covers the rest.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::connections::Connections;
use parley_core::delivery::Delivery;
use parley_core::{config, Config};

mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = config::load_aws().await;
    let connections = Connections::new(
        aws_sdk_dynamodb::Client::new(&aws),
        config.connections_table,
    );
    // Posts `presence` frames to the user's watchers ([`handler`]).
    let delivery = Delivery::new(
        Delivery::api_client(&aws, &config.management_endpoint),
        connections,
    );
    run(service_fn(|event| handler::handle(&delivery, event))).await
}
