//! Where a Parley stack is: its WebSocket URL and its user pool.
//!
//! Three ways to say it: the local stack's `.devstack/stack.json` (written by `make dev`,
//! found by walking up from a folder), the saved output of
//! `aws cloudformation describe-stacks --stack-name X` for a deployed stack, or the values
//! themselves.

use parley_protocol::stack_file::StackFile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where `make dev` writes the local stack's description, relative to the repository root.
pub use parley_protocol::stack_file::LOCAL_STACK_FILE;

/// The template's output keys (infra/template.yaml `Outputs`) a client needs.
const OUTPUT_WEBSOCKET_URL: &str = "WebSocketUrl";
const OUTPUT_REGION: &str = "Region";
const OUTPUT_USER_POOL_ID: &str = "UserPoolId";
const OUTPUT_USER_POOL_CLIENT_ID: &str = "UserPoolClientId";

/// What a client needs to know about a stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackInfo {
    /// Opened with `?token=<ID token>`.
    pub websocket_url: String,
    pub region: String,
    /// `<region>_<id>`: SRP signs with the part after the underscore.
    pub user_pool_id: String,
    /// The public app client (no secret).
    pub user_pool_client_id: String,
    /// Where Cognito answers when it is not AWS's own endpoint: the local stack's
    /// `awsEndpoint`, which also serves the outbox of verification codes.
    pub cognito_endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot read the stack file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin} is not valid JSON: {source}")]
    Json {
        origin: String,
        source: serde_json::Error,
    },
    #[error("{origin}: missing {}", .missing.join(", "))]
    Missing {
        origin: String,
        missing: Vec<&'static str>,
    },
    #[error("{origin} describes {count} stacks; save the output of `aws cloudformation describe-stacks --stack-name <name>` for one")]
    NotOneStack { origin: String, count: usize },
    #[error("the user pool id {0:?} is not of the form <region>_<id>")]
    BadUserPoolId(String),
    #[error("no {LOCAL_STACK_FILE} in {} or any folder above it: start the local stack with `make dev`, or name a stack", .start.display())]
    NotFound { start: PathBuf },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeStacks {
    stacks: Vec<CfnStack>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CfnStack {
    stack_name: Option<String>,
    #[serde(default)]
    outputs: Vec<CfnOutput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CfnOutput {
    output_key: String,
    output_value: String,
}

impl StackInfo {
    /// A stack from its values; `cognito_endpoint` only when Cognito is not AWS's own.
    pub fn new(
        websocket_url: impl Into<String>,
        region: impl Into<String>,
        user_pool_id: impl Into<String>,
        user_pool_client_id: impl Into<String>,
        cognito_endpoint: Option<String>,
    ) -> Result<Self, StackError> {
        let values = [
            ("websocket_url", Some(websocket_url.into())),
            ("region", Some(region.into())),
            ("user_pool_id", Some(user_pool_id.into())),
            ("user_pool_client_id", Some(user_pool_client_id.into())),
        ];
        Self::checked("the given stack values".into(), values, cognito_endpoint)
    }

    /// The local stack described by the `stack.json` at `path`.
    pub fn local(path: &Path) -> Result<Self, StackError> {
        let text = std::fs::read_to_string(path).map_err(|source| StackError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let file: StackFile = match serde_json::from_str(&text) {
            Ok(file) => file,
            Err(source) => {
                // serde names only the first missing key: name every one a client needs.
                return Err(missing_local_keys(&origin, &text)
                    .unwrap_or(StackError::Json { origin, source }));
            }
        };
        // Locally Cognito is the emulator: without its endpoint nothing works.
        if file.aws_endpoint.is_empty() {
            return Err(StackError::Missing {
                origin,
                missing: vec!["awsEndpoint"],
            });
        }
        Self::checked(
            origin,
            [
                ("websocketUrl", Some(file.websocket_url)),
                ("region", Some(file.region)),
                ("userPoolId", Some(file.user_pool_id)),
                ("userPoolClientId", Some(file.user_pool_client_id)),
            ],
            Some(file.aws_endpoint),
        )
    }

    /// The local stack of the repository `start` is in: the first `.devstack/stack.json`
    /// found in `start` or a folder above it.
    pub fn find_local(start: &Path) -> Result<Self, StackError> {
        Self::local(&find_local_file(start)?)
    }

    /// A deployed stack from the saved JSON output of
    /// `aws cloudformation describe-stacks --stack-name X`.
    pub fn from_cloudformation(json_text: &str) -> Result<Self, StackError> {
        let origin = "the describe-stacks output".to_owned();
        let described: DescribeStacks =
            serde_json::from_str(json_text).map_err(|source| StackError::Json {
                origin: origin.clone(),
                source,
            })?;
        let [stack] = described.stacks.as_slice() else {
            return Err(StackError::NotOneStack {
                origin,
                count: described.stacks.len(),
            });
        };
        let origin = match &stack.stack_name {
            Some(name) => format!("the outputs of stack {name}"),
            None => "the stack's outputs".to_owned(),
        };
        let output = |key: &str| {
            stack
                .outputs
                .iter()
                .find(|o| o.output_key == key)
                .map(|o| o.output_value.clone())
        };
        Self::checked(
            origin,
            [
                (OUTPUT_WEBSOCKET_URL, output(OUTPUT_WEBSOCKET_URL)),
                (OUTPUT_REGION, output(OUTPUT_REGION)),
                (OUTPUT_USER_POOL_ID, output(OUTPUT_USER_POOL_ID)),
                (
                    OUTPUT_USER_POOL_CLIENT_ID,
                    output(OUTPUT_USER_POOL_CLIENT_ID),
                ),
            ],
            None,
        )
    }

    /// Builds from (name, value) pairs in the order websocket URL, region, pool, client,
    /// naming every missing or empty one at once.
    fn checked(
        origin: String,
        values: [(&'static str, Option<String>); 4],
        cognito_endpoint: Option<String>,
    ) -> Result<Self, StackError> {
        let missing: Vec<&'static str> = values
            .iter()
            .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(StackError::Missing { origin, missing });
        }
        let [websocket_url, region, user_pool_id, user_pool_client_id] =
            values.map(|(_, v)| v.unwrap_or_default());
        if !user_pool_id
            .split_once('_')
            .is_some_and(|(r, id)| !r.is_empty() && !id.is_empty())
        {
            return Err(StackError::BadUserPoolId(user_pool_id));
        }
        Ok(Self {
            websocket_url,
            region,
            user_pool_id,
            user_pool_client_id,
            cognito_endpoint,
        })
    }
}

/// The keys of the stack file a client needs that `text` lacks or leaves empty, as an
/// error (`awsEndpoint` alone first: without it the others do not matter); `None` when it
/// has them all (or is not a JSON object), so the file is broken in some other way.
fn missing_local_keys(origin: &str, text: &str) -> Option<StackError> {
    let json: Value = serde_json::from_str(text).ok()?;
    let absent = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    };
    let missing: Vec<&'static str> = if absent("awsEndpoint") {
        vec!["awsEndpoint"]
    } else {
        ["websocketUrl", "region", "userPoolId", "userPoolClientId"]
            .into_iter()
            .filter(|key| absent(key))
            .collect()
    };
    (!missing.is_empty()).then(|| StackError::Missing {
        origin: origin.to_owned(),
        missing,
    })
}

/// The first `.devstack/stack.json` in `start` or a folder above it.
pub fn find_local_file(start: &Path) -> Result<PathBuf, StackError> {
    start
        .ancestors()
        .map(|dir| dir.join(LOCAL_STACK_FILE))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| StackError::NotFound {
            start: start.to_path_buf(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = r#"{"websocketUrl": "ws://127.0.0.1:8790/prod",
        "awsEndpoint": "http://127.0.0.1:8791", "region": "us-east-1",
        "userPoolId": "us-east-1_abc", "userPoolClientId": "client123", "bucket": "files",
        "tables": {"UsersTable": "users"}}"#;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("parley-stack-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_the_local_stack_file() {
        let dir = temp_dir("local");
        let path = dir.join("stack.json");
        std::fs::write(&path, LOCAL).unwrap();
        let stack = StackInfo::local(&path).unwrap();
        assert_eq!(
            stack,
            StackInfo {
                websocket_url: "ws://127.0.0.1:8790/prod".into(),
                region: "us-east-1".into(),
                user_pool_id: "us-east-1_abc".into(),
                user_pool_client_id: "client123".into(),
                cognito_endpoint: Some("http://127.0.0.1:8791".into()),
            }
        );
    }

    #[test]
    fn a_local_file_without_its_endpoint_or_keys_is_refused_by_name() {
        let dir = temp_dir("local-missing");
        let path = dir.join("stack.json");
        std::fs::write(
            &path,
            r#"{"websocketUrl": "ws://x", "region": "eu-west-1"}"#,
        )
        .unwrap();
        let error = StackInfo::local(&path).unwrap_err().to_string();
        assert!(error.contains("awsEndpoint"), "{error}");

        std::fs::write(
            &path,
            r#"{"awsEndpoint": "http://x", "websocketUrl": "ws://x", "region": ""}"#,
        )
        .unwrap();
        let error = StackInfo::local(&path).unwrap_err().to_string();
        assert!(
            error.ends_with(": missing region, userPoolId, userPoolClientId"),
            "{error}"
        );
        assert!(error.contains(&path.display().to_string()), "{error}");
    }

    #[test]
    fn a_missing_or_broken_file_says_so() {
        let dir = temp_dir("broken");
        let missing = StackInfo::local(&dir.join("nope.json")).unwrap_err();
        assert!(matches!(missing, StackError::Read { .. }), "{missing}");
        std::fs::write(dir.join("bad.json"), "{not json").unwrap();
        let bad = StackInfo::local(&dir.join("bad.json")).unwrap_err();
        assert!(matches!(bad, StackError::Json { .. }), "{bad}");
    }

    #[test]
    fn finds_the_local_file_walking_up() {
        let root = temp_dir("walk");
        let deep = root.join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(root.join(".devstack")).unwrap();
        std::fs::write(root.join(LOCAL_STACK_FILE), LOCAL).unwrap();
        assert_eq!(find_local_file(&deep).unwrap(), root.join(LOCAL_STACK_FILE));
        assert_eq!(
            StackInfo::find_local(&deep).unwrap().user_pool_client_id,
            "client123"
        );

        // A nearer one wins.
        std::fs::create_dir_all(root.join("a/.devstack")).unwrap();
        std::fs::write(root.join("a").join(LOCAL_STACK_FILE), LOCAL).unwrap();
        assert_eq!(
            find_local_file(&deep).unwrap(),
            root.join("a").join(LOCAL_STACK_FILE)
        );
    }

    #[test]
    fn no_local_file_anywhere_names_the_start_and_make_dev() {
        let root = temp_dir("none");
        // Nothing above the temp dir holds a .devstack on these machines.
        let error = find_local_file(&root).unwrap_err().to_string();
        assert!(error.contains("make dev"), "{error}");
        assert!(error.contains(&root.display().to_string()), "{error}");
    }

    const DESCRIBE_STACKS: &str = r#"{
        "Stacks": [{
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/parley/x",
            "StackName": "parley",
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [
                {"OutputKey": "WebSocketUrl", "OutputValue": "wss://abc.execute-api.eu-west-1.amazonaws.com/prod",
                 "Description": "The URL clients connect to, with ?token=JWT."},
                {"OutputKey": "UserPoolId", "OutputValue": "eu-west-1_XyZ"},
                {"OutputKey": "UserPoolClientId", "OutputValue": "5abc"},
                {"OutputKey": "Region", "OutputValue": "eu-west-1"},
                {"OutputKey": "FilesBucketName", "OutputValue": "parley-files"}
            ]
        }]
    }"#;

    #[test]
    fn reads_a_deployed_stack_from_describe_stacks() {
        let stack = StackInfo::from_cloudformation(DESCRIBE_STACKS).unwrap();
        assert_eq!(
            stack,
            StackInfo {
                websocket_url: "wss://abc.execute-api.eu-west-1.amazonaws.com/prod".into(),
                region: "eu-west-1".into(),
                user_pool_id: "eu-west-1_XyZ".into(),
                user_pool_client_id: "5abc".into(),
                cognito_endpoint: None,
            }
        );
    }

    #[test]
    fn describe_stacks_without_the_outputs_names_the_missing_keys() {
        let text = r#"{"Stacks": [{"StackName": "half", "Outputs": [
            {"OutputKey": "WebSocketUrl", "OutputValue": "wss://x/prod"},
            {"OutputKey": "Region", "OutputValue": "eu-west-1"}]}]}"#;
        let error = StackInfo::from_cloudformation(text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "the outputs of stack half: missing UserPoolId, UserPoolClientId"
        );
        // A stack still being created has no Outputs at all.
        let error = StackInfo::from_cloudformation(r#"{"Stacks": [{"StackName": "new"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("WebSocketUrl, Region, UserPoolId"),
            "{error}"
        );
    }

    #[test]
    fn describe_stacks_must_describe_one_stack() {
        let none = StackInfo::from_cloudformation(r#"{"Stacks": []}"#).unwrap_err();
        assert!(
            matches!(none, StackError::NotOneStack { count: 0, .. }),
            "{none}"
        );
        let two = format!(
            r#"{{"Stacks": [{s}, {s}]}}"#,
            s = r#"{"StackName": "a", "Outputs": []}"#
        );
        let two = StackInfo::from_cloudformation(&two).unwrap_err();
        assert!(
            matches!(two, StackError::NotOneStack { count: 2, .. }),
            "{two}"
        );
        let not_json = StackInfo::from_cloudformation("Stacks:").unwrap_err();
        assert!(matches!(not_json, StackError::Json { .. }), "{not_json}");
    }

    #[test]
    fn builds_from_values_and_checks_them() {
        let stack =
            StackInfo::new("wss://x/prod", "eu-west-1", "eu-west-1_abc", "client", None).unwrap();
        assert_eq!(stack.user_pool_id, "eu-west-1_abc");
        assert_eq!(stack.cognito_endpoint, None);

        let error = StackInfo::new("", "eu-west-1", "eu-west-1_abc", "", None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "the given stack values: missing websocket_url, user_pool_client_id"
        );
        let bad_pool = StackInfo::new("wss://x", "eu-west-1", "abc", "client", None).unwrap_err();
        assert!(
            matches!(bad_pool, StackError::BadUserPoolId(ref id) if id == "abc"),
            "{bad_pool}"
        );
    }
}
