//! Every way the local stack departs from the template, in one place:
//!
//! - pseudo-parameters: account `000000000000`, stack name `parley-local`, partition `aws`;
//! - parameters, each applied only when the template declares it:
//!   - `AllowPasswordAuth=true`: moto's Cognito speaks `USER_PASSWORD_AUTH`, not SRP;
//!   - `ApiGatewayCloudWatchRole=existing`: the stage keeps its access log (the gateway
//!     writes it in the template's format) and there is no account setting to take over;
//!   - `AllowedWebOrigins=http://localhost:5173,http://127.0.0.1:5173`: the files bucket's
//!     CORS rule lets a web client served by a local dev server (Vite's default port, under
//!     either name a browser may use) PUT and GET the presigned URLs; the origin the devstack
//!     serves the web app on is added to it (`crate::web`);
//! - resources the template does not name are called `parley-local-<LogicalId>`;
//! - function environment, after the template's own variables are resolved:
//!   - `JWKS_URL` (when the template sets it) → `{awsEndpoint}/{userPoolId}/.well-known/jwks.json`,
//!     moto's JWKS for the user pool the template's value names;
//!   - `MANAGEMENT_ENDPOINT` (when the template sets it) → `http://127.0.0.1:{managementPort}/{stage}`,
//!     the gateway emulator's `@connections` API as the AWS proxy forwards it;
//!   - every function: `AWS_ENDPOINT_URL={awsEndpoint}` (the SDK then talks to moto through
//!     the AWS proxy), `AWS_REGION`, `AWS_DEFAULT_REGION`, local credentials of its own
//!     ([`function_access_key_id`]: `devstack-<LogicalId>`, which tells the AWS proxy whose
//!     role to check a request against, presigned URLs included; moto accepts any key), and
//!     `AWS_SDK_UA_APP_ID` set to the function's name, which the SDK puts in its user agent
//!     so the proxy can count callers apart;
//!   - `AWS_LAMBDA_LOG_FORMAT` / `AWS_LAMBDA_LOG_LEVEL` exactly as the function's
//!     `LoggingConfig` says, as Lambda itself sets them;
//! - binaries: `<bin dir>/<last component of CodeUri>` instead of the packaged `bootstrap`.
//! - the web app's security headers: the response headers policy's, its Content-Security-Policy
//!   naming the local endpoints instead of AWS's, and no HSTS over plain HTTP ([`super::headers`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::deployment::Deployment;
use super::document::{references, Template};
use super::error::TemplateError;
use super::resolve::Resolver;

pub const ACCOUNT_ID: &str = "000000000000";
pub const STACK_NAME: &str = "parley-local";
pub const PARTITION: &str = "aws";
/// Parameter values the local stack always uses (when the template declares them).
pub const PARAMETER_OVERRIDES: &[(&str, &str)] = &[
    ("AllowPasswordAuth", "true"),
    ("ApiGatewayCloudWatchRole", "existing"),
    ("AllowedWebOrigins", LOCAL_WEB_ORIGINS),
];
/// The web origins the local files bucket's CORS rule allows: a dev server on port 5173.
pub const LOCAL_WEB_ORIGINS: &str = "http://localhost:5173,http://127.0.0.1:5173";
/// The devstack's own credentials (provisioning, the stream poller). moto checks no
/// signatures; any static pair will do.
pub const ACCESS_KEY_ID: &str = "devstack";
pub const SECRET_ACCESS_KEY: &str = "devstack";

/// A function's own access key id. The AWS proxy reads it from each request's signature
/// (or a presigned URL's `X-Amz-Credential`) to know which role to check the request
/// against, as AWS knows it from the role session's credentials.
pub fn function_access_key_id(function: &str) -> String {
    format!("{ACCESS_KEY_ID}-{function}")
}

/// The local endpoints and paths the resolved stack points at.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalStack {
    /// The AWS proxy in front of moto, e.g. `http://127.0.0.1:8791`.
    pub aws_endpoint: String,
    pub region: String,
    /// The gateway emulator's port (already bound, so never 0).
    pub gateway_port: u16,
    /// The port functions reach `@connections` on: the AWS proxy's, which forwards to the
    /// gateway (the gateway's own port works too, uncounted).
    pub management_port: u16,
    /// Where the function binaries are built, e.g. `target/debug`.
    pub bin_dir: PathBuf,
}

impl Deployment {
    /// The local deployment: local pseudo-parameters and [`PARAMETER_OVERRIDES`] for the
    /// parameters `template` declares, then `extra_overrides` on top.
    pub fn local(
        template: &Template,
        region: &str,
        extra_overrides: &BTreeMap<String, String>,
    ) -> Self {
        let mut parameter_overrides: BTreeMap<String, String> = PARAMETER_OVERRIDES
            .iter()
            .filter(|(name, _)| template.parameter(name).is_some())
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        parameter_overrides.extend(extra_overrides.clone());
        Self {
            region: region.to_owned(),
            account_id: ACCOUNT_ID.to_owned(),
            stack_name: STACK_NAME.to_owned(),
            partition: PARTITION.to_owned(),
            parameter_overrides,
        }
    }
}

impl LocalStack {
    /// `http://127.0.0.1:{managementPort}/{stage}`: where functions post to `@connections`.
    pub fn management_endpoint(&self, stage: &str) -> String {
        format!("http://127.0.0.1:{}/{stage}", self.management_port)
    }

    /// `ws://127.0.0.1:{gatewayPort}/{stage}`: where clients connect.
    pub fn websocket_url(&self, stage: &str) -> String {
        format!("ws://127.0.0.1:{}/{stage}", self.gateway_port)
    }

    /// moto's JWKS for a user pool.
    pub fn jwks_url(&self, user_pool_id: &str) -> String {
        format!(
            "{}/{user_pool_id}/.well-known/jwks.json",
            self.aws_endpoint.trim_end_matches('/')
        )
    }

    /// `<bin dir>/<last component of CodeUri>`: `../target/lambda/connect/` → `target/debug/connect`.
    pub fn binary(&self, function: &str, code_uri: &str) -> Result<PathBuf, TemplateError> {
        let name = code_uri
            .trim_end_matches(['/', '\\'])
            .rsplit(['/', '\\'])
            .next()
            .filter(|name| !name.is_empty() && *name != "." && *name != "..")
            .ok_or_else(|| {
                TemplateError::invalid(format!(
                    "function {function}: CodeUri {code_uri:?} names no binary"
                ))
            })?;
        Ok(Path::new(&self.bin_dir).join(name))
    }

    /// Applies the environment overrides listed in the module documentation.
    ///
    /// `declared` is the function's unresolved `Environment.Variables` (Globals merged in),
    /// read to find which user pool `JWKS_URL` names; `logging` its resolved `LoggingConfig`.
    pub(crate) fn override_environment(
        &self,
        function: &str,
        env: &mut BTreeMap<String, String>,
        declared: &Map<String, Json>,
        logging: Option<&Json>,
        resolver: &Resolver,
        stage: &str,
    ) -> Result<(), TemplateError> {
        if let Some(jwks) = declared.get("JWKS_URL") {
            let pool = referenced_user_pool(jwks, resolver).map_err(|e| {
                e.context(format!(
                    "function {function}: environment variable JWKS_URL"
                ))
            })?;
            env.insert("JWKS_URL".into(), self.jwks_url(&pool));
        }
        if declared.contains_key("MANAGEMENT_ENDPOINT") {
            env.insert(
                "MANAGEMENT_ENDPOINT".into(),
                self.management_endpoint(stage),
            );
        }
        let access_key_id = function_access_key_id(function);
        for (name, value) in [
            ("AWS_ENDPOINT_URL", self.aws_endpoint.as_str()),
            ("AWS_REGION", &self.region),
            ("AWS_DEFAULT_REGION", &self.region),
            ("AWS_ACCESS_KEY_ID", &access_key_id),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_SDK_UA_APP_ID", function),
        ] {
            env.insert(name.into(), value.into());
        }
        let logging_setting = |key: &str| logging.and_then(|l| l.get(key)).and_then(Json::as_str);
        if let Some(format) = logging_setting("LogFormat") {
            env.insert("AWS_LAMBDA_LOG_FORMAT".into(), format.to_owned());
        }
        if let Some(level) = logging_setting("ApplicationLogLevel") {
            env.insert("AWS_LAMBDA_LOG_LEVEL".into(), level.to_owned());
        }
        Ok(())
    }
}

/// The physical id of the one `AWS::Cognito::UserPool` a value refers to.
fn referenced_user_pool(value: &Json, resolver: &Resolver) -> Result<String, TemplateError> {
    let template = resolver.template();
    let pools: Vec<String> = references(value)
        .into_iter()
        .filter(|name| {
            template
                .resource(name)
                .is_some_and(|r| r.kind == "AWS::Cognito::UserPool")
        })
        .collect();
    let [pool] = pools.as_slice() else {
        return Err(TemplateError::invalid(format!(
            "expected a reference to exactly one AWS::Cognito::UserPool, found {pools:?}"
        )));
    };
    resolver
        .physical(pool)
        .map(|physical| physical.id.clone())
        .ok_or_else(|| TemplateError::invalid(format!("user pool {pool} does not exist yet")))
}
