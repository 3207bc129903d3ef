//! Configuration, read from the environment once per cold start. The template sets every
//! variable in `Globals`; the local stack sets the same ones, pointing at its emulators.

use crate::auth::VerifierConfig;

/// Everything the functions need to know about their deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// DynamoDB table of live connections (`CONNECTIONS_TABLE`).
    pub connections_table: String,
    /// Cognito user pool id (`USER_POOL_ID`).
    pub user_pool_id: String,
    /// The app client whose tokens open connections (`USER_POOL_CLIENT_ID`).
    pub user_pool_client_id: String,
    /// The `iss` every token must carry (`TOKEN_ISSUER`).
    pub token_issuer: String,
    /// Where the pool's signing keys are fetched (`JWKS_URL`). Never derived from a token.
    pub jwks_url: String,
    /// The `@connections` API of this WebSocket stage (`MANAGEMENT_ENDPOINT`).
    pub management_endpoint: String,
    /// Conversation records: seq counters and group membership (`CONVERSATIONS_TABLE`).
    pub conversations_table: String,
    /// Every user's mailbox of messages (`MESSAGES_TABLE`).
    pub messages_table: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "environment variable {0} is not set: the template's Globals (or the local stack) must set it"
)]
pub struct MissingVariable(pub &'static str);

impl Config {
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        let var = |name: &'static str| {
            lookup(name)
                .filter(|value| !value.is_empty())
                .ok_or(MissingVariable(name))
        };
        Ok(Self {
            connections_table: var("CONNECTIONS_TABLE")?,
            user_pool_id: var("USER_POOL_ID")?,
            user_pool_client_id: var("USER_POOL_CLIENT_ID")?,
            token_issuer: var("TOKEN_ISSUER")?,
            jwks_url: var("JWKS_URL")?,
            management_endpoint: var("MANAGEMENT_ENDPOINT")?,
            conversations_table: var("CONVERSATIONS_TABLE")?,
            messages_table: var("MESSAGES_TABLE")?,
        })
    }

    /// What the token verifier checks tokens against.
    pub fn verifier(&self) -> VerifierConfig {
        VerifierConfig {
            issuer: self.token_issuer.clone(),
            jwks_url: self.jwks_url.clone(),
            client_id: self.user_pool_client_id.clone(),
        }
    }
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
            ("USER_POOL_ID", "us-east-1_abc"),
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
        let verifier = config.verifier();
        assert_eq!(verifier.client_id, "client");
        assert_eq!(verifier.issuer, env["TOKEN_ISSUER"]);
        assert_eq!(verifier.jwks_url, env["JWKS_URL"]);
    }

    #[test]
    fn names_the_missing_variable() {
        let mut env = full_env();
        env.remove("JWKS_URL");
        let err = Config::from_lookup(|name| env.get(name).cloned()).unwrap_err();
        assert_eq!(err, MissingVariable("JWKS_URL"));
        assert!(err.to_string().contains("JWKS_URL"));
    }

    #[test]
    fn an_empty_variable_counts_as_missing() {
        let mut env = full_env();
        env.insert("CONNECTIONS_TABLE", String::new());
        let err = Config::from_lookup(|name| env.get(name).cloned()).unwrap_err();
        assert_eq!(err, MissingVariable("CONNECTIONS_TABLE"));
    }
}
