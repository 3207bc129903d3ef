//! What the template declares, resolved to local values: the functions to run and the
//! WebSocket API's routes. The template module produces it; the lambda and gateway modules
//! consume it. Nothing here knows about YAML or about processes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the local stack serves, as the template declares it.
#[derive(Debug, Clone)]
pub struct StackSpec {
    pub functions: Vec<FunctionSpec>,
    pub websocket: WebSocketApiSpec,
}

/// One Lambda function: which binary, with which environment and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// The template's logical id, e.g. `ConnectFunction`. Routes name functions by it.
    pub name: String,
    /// The executable that deploys as `bootstrap`: `<bin dir>/<last component of CodeUri>`.
    pub binary: PathBuf,
    /// The function's environment as deployed (template Globals merged with the function's
    /// own variables, intrinsics resolved to local values), before the Lambda runtime's own
    /// variables are added.
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    pub memory_mb: u32,
}

/// The API Gateway WebSocket API and its one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct WebSocketApiSpec {
    pub stage: String,
    /// e.g. `$request.body.action`.
    pub route_selection_expression: String,
    pub routes: Vec<RouteSpec>,
    /// The stage's `AccessLogSettings.Format`, when it has an access log.
    pub access_log_format: Option<String>,
}

/// One route: `$connect`, `$disconnect`, `$default` or a custom key such as `send`.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    pub key: String,
    /// Logical id of the function its AWS_PROXY integration invokes.
    pub function: String,
    /// A REQUEST authorizer (only meaningful on `$connect`).
    pub authorizer: Option<AuthorizerSpec>,
    /// True when the route has a route response (`RouteResponseSelectionExpression` and an
    /// `AWS::ApiGatewayV2::RouteResponse`): the integration's response body is then sent back
    /// to the client, as API Gateway does for two-way routes.
    pub two_way: bool,
}

/// A Lambda REQUEST authorizer.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizerSpec {
    /// Logical id of the authorizer function.
    pub function: String,
    /// Identity sources, e.g. `route.request.querystring.token`. When one is missing from the
    /// request, API Gateway answers 401 without invoking the authorizer.
    pub identity_source: Vec<String>,
}

impl StackSpec {
    pub fn function(&self, name: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.name == name)
    }
}
