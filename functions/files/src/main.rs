//! The files function (`uploadUrl`, `downloadUrl`): presigned S3 requests for keys it makes
//! inside a conversation, for members only. Clients are built once per cold start.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::{config, Config};

mod actions;
mod handler;
mod keys;
mod presign;
mod services;

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
        store: Store::new(dynamodb, &config),
        presigner: presign::Presigner::new(presign::s3_client(&aws), bucket),
        management: Delivery::api_client(&aws, &config.management_endpoint),
    };
    run(service_fn(|event| handler::handle(&services, event))).await
}
