//! `.devstack/stack.json`: how clients, tests and tools find a running local stack (see
//! "The local stack" in the protocol). The devstack writes it; the client library, the
//! end-to-end tests and the benchmark read it. Declared here once, beside the frames, so
//! that writer and readers cannot drift apart.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the local stack writes the file, relative to the repository root.
pub const LOCAL_STACK_FILE: &str = ".devstack/stack.json";

/// The file's content. The first six fields are the protocol's contract; the rest are
/// conveniences for tests and tools. The devstack writes every field; a reader needs only
/// the five a client connects and signs in with, so a file written by hand with just those
/// (or by an older devstack) reads too: the others default to empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackFile {
    /// `ws://127.0.0.1:PORT/STAGE`; clients add `?token=JWT`.
    pub websocket_url: String,
    /// moto, e.g. `http://127.0.0.1:8791`: Cognito, DynamoDB, S3, SNS.
    pub aws_endpoint: String,
    pub region: String,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    #[serde(default)]
    pub bucket: String,
    /// The `@connections` API, as the functions see it.
    #[serde(default)]
    pub management_endpoint: String,
    /// moto's JWKS for the user pool.
    #[serde(default)]
    pub jwks_url: String,
    /// The table the functions know as `CONNECTIONS_TABLE`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_table: Option<String>,
    /// Logical id → table name, for every table.
    #[serde(default)]
    pub tables: BTreeMap<String, String>,
    /// Logical id → bucket name, for every bucket.
    #[serde(default)]
    pub buckets: BTreeMap<String, String>,
    /// Logical id → topic ARN, for every topic.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, String>,
}
