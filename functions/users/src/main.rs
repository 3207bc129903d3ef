//! The users function: Cognito's PostConfirmation trigger. When a sign-up is confirmed (by
//! the user's code, or by an administrator), it records the user in the users table, which
//! sends and lookups read instead of calling Cognito. Clients are built once per cold start.

use lambda_runtime::{run, service_fn, tracing, Error};
use parley_core::users::Users;
use parley_core::{config, Config};

mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = config::load_aws().await;
    let users = Users::new(aws_sdk_dynamodb::Client::new(&aws), &config.users_table);
    run(service_fn(|event| handler::handle(&users, event))).await
}
