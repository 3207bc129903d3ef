//! The `$connect` REQUEST authorizer Lambda: verifies the Cognito token a client puts in the
//! WebSocket URL and tells API Gateway who is connecting. See `handler` for the decisions.

mod handler;

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::auth::Verifier;
use parley_core::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();

    // Built once per cold start: the verifier caches the pool's keys for warm invocations.
    let verifier = Verifier::new(config::verifier_from_env()?)?;

    run(service_fn(|event| handler::handle(&verifier, event))).await
}
