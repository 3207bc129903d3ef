//! The push function: `registerPush` (a WebSocket route) and the messages table's DynamoDB
//! Stream (an event source mapping), in one function so that SNS mobile push, its
//! permissions and its endpoint bookkeeping live in one place. Clients are built once per
//! cold start and shared by every invocation.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::delivery::Delivery;
use parley_core::{config, Config};

mod actions;
mod devices;
mod handler;
mod notify;
mod payload;
mod platform;
mod services;
mod settings;
mod sns;
mod stream;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let settings = settings::Settings::from_env()?;
    // Said once per cold start, not per record: with no platform application configured
    // nothing can be registered and the stream is acknowledged without work.
    if settings.applications.is_empty() {
        tracing::warn!("push is off: no SNS platform application ARN is configured");
    }
    let aws = config::load_aws().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let services = services::Services {
        devices: devices::Devices::new(dynamodb.clone(), &settings.push_table),
        store: parley_core::store::Store::new(dynamodb, &config),
        sns: sns::Sns::new(
            aws_sdk_sns::Client::new(&aws),
            settings.applications.clone(),
        ),
        management: Delivery::api_client(&aws, &config.management_endpoint),
    };
    run(service_fn(|event| handler::handle(&services, event))).await
}
