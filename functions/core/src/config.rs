//! Configuration, read from the environment once per cold start. The template sets the
//! tables and the `@connections` endpoint in `Globals` for every function, and the token
//! verifier's settings for the authorizer only (a function Cognito triggers must not depend on
//! the user pool: see the template); the local stack sets the same, pointing at its emulators.

use crate::auth::VerifierConfig;

/// Everything the functions need to know about their deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// DynamoDB table of live connections (`CONNECTIONS_TABLE`).
    pub connections_table: String,
    /// The `@connections` API of this WebSocket stage (`MANAGEMENT_ENDPOINT`).
    pub management_endpoint: String,
    /// Conversation records: seq counters and group membership (`CONVERSATIONS_TABLE`).
    pub conversations_table: String,
    /// Every user's mailbox of messages (`MESSAGES_TABLE`).
    pub messages_table: String,
    /// Registered users, by id, email and phone (`USERS_TABLE`).
    pub users_table: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("environment variable {0} is not set: the template (or the local stack) must set it")]
pub struct MissingVariable(pub &'static str);

/// `name` through `lookup`, an empty value counting as missing.
fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, MissingVariable> {
    lookup(name)
        .filter(|value| !value.is_empty())
        .ok_or(MissingVariable(name))
}

impl Config {
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        Ok(Self {
            connections_table: required(&lookup, "CONNECTIONS_TABLE")?,
            management_endpoint: required(&lookup, "MANAGEMENT_ENDPOINT")?,
            conversations_table: required(&lookup, "CONVERSATIONS_TABLE")?,
            messages_table: required(&lookup, "MESSAGES_TABLE")?,
            users_table: required(&lookup, "USERS_TABLE")?,
        })
    }
}

/// What the token verifier checks tokens against: `USER_POOL_CLIENT_ID`, `TOKEN_ISSUER`,
/// `JWKS_URL` (the authorizer's own variables).
pub fn verifier_from_env() -> Result<VerifierConfig, MissingVariable> {
    verifier_from_lookup(|name| std::env::var(name).ok())
}

fn verifier_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<VerifierConfig, MissingVariable> {
    Ok(VerifierConfig {
        client_id: required(&lookup, "USER_POOL_CLIENT_ID")?,
        issuer: required(&lookup, "TOKEN_ISSUER")?,
        // Where the pool's signing keys are fetched. Never derived from a token.
        jwks_url: required(&lookup, "JWKS_URL")?,
    })
}

/// Loads the AWS SDK configuration (region, credentials, and `AWS_ENDPOINT_URL` locally).
pub async fn load_aws() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn full_env() -> HashMap<&'static str, String> {
        [
            ("CONNECTIONS_TABLE", "connections"),
            ("USER_POOL_CLIENT_ID", "client"),
            (
                "TOKEN_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
            ),
            (
                "JWKS_URL",
                "http://127.0.0.1:1/us-east-1_abc/.well-known/jwks.json",
            ),
            ("MANAGEMENT_ENDPOINT", "http://127.0.0.1:2/prod"),
            ("CONVERSATIONS_TABLE", "conversations"),
            ("MESSAGES_TABLE", "messages"),
            ("USERS_TABLE", "users"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    }

    #[test]
    fn reads_every_variable() {
        let env = full_env();
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        assert_eq!(config.connections_table, "connections");
        assert_eq!(config.management_endpoint, "http://127.0.0.1:2/prod");
        assert_eq!(config.users_table, "users");
        let verifier = verifier_from_lookup(|name| env.get(name).cloned()).unwrap();
        assert_eq!(verifier.client_id, "client");
        assert_eq!(verifier.issuer, env["TOKEN_ISSUER"]);
        assert_eq!(verifier.jwks_url, env["JWKS_URL"]);
    }

    #[test]
    fn names_the_missing_variable() {
        let mut env = full_env();
        env.remove("JWKS_URL");
        let err = verifier_from_lookup(|name| env.get(name).cloned()).unwrap_err();
        assert_eq!(err, MissingVariable("JWKS_URL"));
        assert!(err.to_string().contains("JWKS_URL"));
        env.remove("USERS_TABLE");
        let err = Config::from_lookup(|name| env.get(name).cloned()).unwrap_err();
        assert_eq!(err, MissingVariable("USERS_TABLE"));
    }

    #[test]
    fn an_empty_variable_counts_as_missing() {
        let mut env = full_env();
        env.insert("CONNECTIONS_TABLE", String::new());
        let err = Config::from_lookup(|name| env.get(name).cloned()).unwrap_err();
        assert_eq!(err, MissingVariable("CONNECTIONS_TABLE"));
    }
}
