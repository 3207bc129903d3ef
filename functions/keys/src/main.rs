//! The keys function (`keysUpload`, `keysQuery`, `keysClaim`, `sendToDevice`, `toDeviceSync`,
//! `toDeviceAck`, `deviceChanges`, `removeDevice`): end-to-end encryption's key directory,
//! device lists and per-device inboxes. It stores
//! public keys and opaque messages and hands them out; the clients do all the cryptography.
//! Clients are built once per cold start.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::connections::Connections;
use parley_core::delivery::Delivery;
use parley_core::devices::Devices;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::{config, Config};

mod actions;
mod handler;
mod services;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let devices_table = std::env::var("DEVICES_TABLE")
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or("environment variable DEVICES_TABLE is not set: the template must set it")?;
    let aws = config::load_aws().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let connections = Connections::new(dynamodb.clone(), &config.connections_table);
    let services = services::Services {
        limits: RateLimiter::new(dynamodb.clone(), &config.messages_table),
        store: Store::new(dynamodb.clone(), &config),
        devices: Devices::new(dynamodb, devices_table),
        delivery: Delivery::new(
            Delivery::api_client(&aws, &config.management_endpoint),
            connections,
        ),
    };
    run(service_fn(|event| handler::handle(&services, event))).await
}
