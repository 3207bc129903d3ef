//! The environment a function process starts with: the spec's variables plus what Lambda's
//! sandbox sets, and nothing else from the devstack's own environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use crate::stack_spec::FunctionSpec;

/// Variables copied from the devstack's environment when set: enough for an executable to be
/// found and to behave (locale, temp dir), plus the Rust debugging switches developers set on
/// `make dev`. Everything else is withheld so the function sees only what it would see
/// deployed; a stray `AWS_PROFILE` or proxy variable on a laptop must not leak in.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

/// What varies per process, beyond the spec.
pub(crate) struct ProcessContext<'a> {
    pub region: &'a str,
    pub runtime_api: SocketAddr,
    pub log_stream: &'a str,
    /// The directory holding the binary, Lambda's `/var/task`.
    pub task_root: &'a Path,
}

/// The complete environment for one process of `spec`, given the devstack's environment
/// `inherited` (normally `std::env::vars()`).
pub(crate) fn process_environment(
    spec: &FunctionSpec,
    context: &ProcessContext<'_>,
    inherited: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = inherited
        .into_iter()
        .filter(|(name, _)| INHERITED.contains(&name.as_str()))
        .collect();

    // Lambda's sandbox runs in UTC.
    env.insert("TZ".into(), ":UTC".into());
    env.extend(spec.env.iter().map(|(k, v)| (k.clone(), v.clone())));

    // Region and credentials: the caller puts the local ones into the spec's env; these are
    // fallbacks only, so a function never reaches for a real account's configuration.
    let region = spec
        .env
        .get("AWS_REGION")
        .cloned()
        .unwrap_or_else(|| context.region.to_owned());
    env.entry("AWS_REGION".into())
        .or_insert_with(|| region.clone());
    env.entry("AWS_DEFAULT_REGION".into()).or_insert(region);
    let has_credentials = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .any(|name| spec.env.contains_key(*name));
    if !has_credentials {
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            env.insert(name.into(), "test".into());
        }
    }

    // Reserved by Lambda: set last, over anything the spec says, as deployment would.
    // lambda_runtime's `Config::from_env` panics without AWS_LAMBDA_FUNCTION_NAME,
    // AWS_LAMBDA_FUNCTION_MEMORY_SIZE and AWS_LAMBDA_FUNCTION_VERSION, and its client without
    // AWS_LAMBDA_RUNTIME_API; it reads the log group and stream too.
    let task_root = context.task_root.display().to_string();
    let reserved = [
        ("AWS_LAMBDA_RUNTIME_API", context.runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", spec.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", context.log_stream.to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", task_root.clone()),
        ("LAMBDA_RUNTIME_DIR", task_root),
    ];
    env.extend(reserved.into_iter().map(|(k, v)| (k.to_owned(), v)));
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn spec(env: &[(&str, &str)]) -> FunctionSpec {
        FunctionSpec {
            name: "ConnectFunction".into(),
            binary: PathBuf::from("/opt/bin/connect"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            timeout: Duration::from_secs(3),
            memory_mb: 256,
        }
    }

    fn build(spec: &FunctionSpec, inherited: &[(&str, &str)]) -> BTreeMap<String, String> {
        let context = ProcessContext {
            region: "eu-west-1",
            runtime_api: "127.0.0.1:4321".parse().expect("literal address"),
            log_stream: "2026/01/01/[$LATEST]abc",
            task_root: Path::new("/opt/bin"),
        };
        let inherited = inherited
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()));
        process_environment(spec, &context, inherited)
    }

    #[test]
    fn sets_what_lambda_runtime_requires() {
        let env = build(&spec(&[]), &[]);
        assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:4321");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "ConnectFunction");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(
            env["AWS_LAMBDA_LOG_GROUP_NAME"],
            "/aws/lambda/ConnectFunction"
        );
        assert_eq!(env["AWS_LAMBDA_LOG_STREAM_NAME"], "2026/01/01/[$LATEST]abc");
        assert_eq!(env["_HANDLER"], "bootstrap");
        assert_eq!(env["LAMBDA_TASK_ROOT"], "/opt/bin");
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "test");
    }

    #[test]
    fn spec_region_and_credentials_win_over_fallbacks() {
        let spec = spec(&[
            ("AWS_REGION", "us-east-2"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local-secret"),
            ("TABLE_NAME", "parley"),
        ]);
        let env = build(&spec, &[]);
        assert_eq!(env["AWS_REGION"], "us-east-2");
        assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-2");
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "local");
        assert!(!env.contains_key("AWS_SESSION_TOKEN"));
        assert_eq!(env["TABLE_NAME"], "parley");
    }

    #[test]
    fn only_basic_variables_are_inherited() {
        let inherited = [
            ("PATH", "/usr/bin"),
            ("RUST_LOG", "debug"),
            ("AWS_PROFILE", "production"),
            ("HTTP_PROXY", "http://proxy:3128"),
        ];
        let env = build(&spec(&[]), &inherited);
        assert_eq!(env["PATH"], "/usr/bin");
        assert_eq!(env["RUST_LOG"], "debug");
        assert!(!env.contains_key("AWS_PROFILE"));
        assert!(!env.contains_key("HTTP_PROXY"));
    }

    #[test]
    fn reserved_variables_override_the_spec() {
        let env = build(&spec(&[("AWS_LAMBDA_FUNCTION_NAME", "Other")]), &[]);
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "ConnectFunction");
    }
}
