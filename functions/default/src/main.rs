//! The `$default` and `ping` routes: `ping` is answered with `pong`, and every frame whose
//! `action` names no route lands here and is answered with an `error` frame, both through
//! the route response (no @connections call, no table).

use lambda_runtime::{run, service_fn, tracing, Error};

mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(handler::handle)).await
}
