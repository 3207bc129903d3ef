//! The project's own rules for `infra/template.yaml`, for what `cfn-lint` and `checkov` do
//! not see (they run in `make test` too):
//!
//! - every WebSocket route's `Target` leads, through an integration, to a function the
//!   template declares;
//! - no function's IAM statement grants a `*` resource (or an ARN wildcarded in its
//!   service, region or account) or a wildcard action, unless the action is one that AWS
//!   cannot scope to a resource; no managed policy by name (inline statements say exactly
//!   what is granted); `execute-api:ManageConnections` names this template's API and a stage;
//! - every DynamoDB table has TTL enabled on an attribute;
//! - every WebSocket stage has throttling limits, and an access log (it may be conditional:
//!   each `Fn::If` branch that has one is checked) whose format never includes the query
//!   string (it carries tokens) and, when it is JSON, stays JSON when rendered as the local
//!   gateway renders it with an error message holding quotes and backslashes
//!   (`"$context.error.message"` does not: `$context.error.messageString` is the quoted form);
//! - every function logs to a log group of this template that has a retention;
//! - an `AWS::ApiGateway::Account` (API Gateway's account-wide CloudWatch role for the
//!   region, which it replaces for every API and leaves dangling when the stack is deleted)
//!   is opt-in: it has a `Condition`, and a `DependsOn` on an API Gateway resource, which
//!   CloudFormation's docs require in an account that never had one;
//! - a function's DynamoDB stream filters (`FilterCriteria`) name only the `dynamodb` key,
//!   the only one Lambda filters DynamoDB records on;
//! - every CloudFront distribution reads its S3 origins through an origin access control of
//!   this template (never a legacy origin access identity), and each of its cache behaviors
//!   keeps viewers on HTTPS and uses a response headers policy of this template that sends
//!   HSTS and a Content-Security-Policy with `default-src`, `script-src`, `object-src 'none'`,
//!   `base-uri` and `frame-ancestors`, and without a wildcard, a bare scheme, `http:` or an
//!   `'unsafe-…'` source; `'wasm-unsafe-eval'` (compiling WebAssembly, not eval) only in
//!   `script-src`.
//!
//! The checks read the template as declared (intrinsics unresolved), so they hold for any
//! parameter values. Run by `cargo test -p parley-devstack template::policy_checks`.

use std::fmt;

use serde_json::Value as Json;

use super::document::{references, sub_variables, Resource, Template};
use crate::gateway::access_log::AccessLogFormat;
use crate::streams::DYNAMODB_KEY;

const FUNCTION_KINDS: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];
const ROUTE: &str = "AWS::ApiGatewayV2::Route";
const INTEGRATION: &str = "AWS::ApiGatewayV2::Integration";
const STAGE: &str = "AWS::ApiGatewayV2::Stage";
const API: &str = "AWS::ApiGatewayV2::Api";
const TABLE: &str = "AWS::DynamoDB::Table";
const LOG_GROUP: &str = "AWS::Logs::LogGroup";
const API_GATEWAY_ACCOUNT: &str = "AWS::ApiGateway::Account";
const DISTRIBUTION: &str = "AWS::CloudFront::Distribution";
const HEADERS_POLICY: &str = "AWS::CloudFront::ResponseHeadersPolicy";
const ORIGIN_ACCESS_CONTROL: &str = "AWS::CloudFront::OriginAccessControl";
/// Directives a web app's policy must state (`default-src` covers every other fetch).
const CSP_REQUIRED: &[&str] = &[
    "default-src",
    "script-src",
    "object-src 'none'",
    "base-uri",
    "frame-ancestors",
];

/// Actions that support no resource-level permission: `Resource: "*"` is the only choice.
const UNSCOPABLE_ACTIONS: &[&str] = &[
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:PutMetricData",
];

/// One broken rule, naming the resource to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub resource: String,
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.resource, self.problem)
    }
}

/// Every rule of the module documentation, applied to `template`.
pub fn check(template: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    routes_reach_functions(template, &mut findings);
    function_policies_are_scoped(template, &mut findings);
    tables_have_ttl(template, &mut findings);
    stages_are_throttled_and_logged(template, &mut findings);
    functions_have_log_groups(template, &mut findings);
    api_gateway_account_is_opt_in(template, &mut findings);
    stream_filters_name_only_the_dynamodb_key(template, &mut findings);
    distributions_are_https_under_a_strict_policy(template, &mut findings);
    findings
}

fn finding(findings: &mut Vec<Finding>, resource: &Resource, problem: impl Into<String>) {
    findings.push(Finding {
        resource: resource.logical_id.clone(),
        problem: problem.into(),
    });
}

/// Resources of `kinds` that `value` refers to.
fn referenced<'t>(template: &'t Template, value: &Json, kinds: &[&str]) -> Vec<&'t Resource> {
    references(value)
        .iter()
        .filter_map(|name| template.resource(name))
        .filter(|resource| kinds.contains(&resource.kind.as_str()))
        .collect()
}

fn routes_reach_functions(template: &Template, findings: &mut Vec<Finding>) {
    for route in template.resources_of_kind(ROUTE) {
        let Some(target) = route.property("Target") else {
            finding(findings, route, "has no Target, so no function handles it");
            continue;
        };
        let integrations = referenced(template, target, &[INTEGRATION]);
        if integrations.is_empty() {
            finding(
                findings,
                route,
                format!("Target refers to no integration of this template ({target})"),
            );
        }
        for integration in integrations {
            let functions = integration
                .property("IntegrationUri")
                .map(|uri| referenced(template, uri, FUNCTION_KINDS))
                .unwrap_or_default();
            if functions.len() != 1 {
                finding(
                    findings,
                    route,
                    format!(
                        "its integration {} reaches no function of this template",
                        integration.logical_id
                    ),
                );
            }
        }
    }
}

fn function_policies_are_scoped(template: &Template, findings: &mut Vec<Finding>) {
    let apis: Vec<&str> = template
        .resources_of_kind(API)
        .map(|api| api.logical_id.as_str())
        .collect();
    for function in FUNCTION_KINDS
        .iter()
        .flat_map(|kind| template.resources_of_kind(kind))
    {
        let policies = match function.property("Policies") {
            None => continue,
            Some(Json::Array(policies)) => policies.clone(),
            Some(one) => vec![one.clone()],
        };
        for policy in &policies {
            match policy {
                Json::String(name) => finding(
                    findings,
                    function,
                    format!(
                        "grants the managed policy {name}: write the statements it needs instead"
                    ),
                ),
                Json::Object(map) if map.contains_key("Statement") => {
                    let statements = match &map["Statement"] {
                        Json::Array(statements) => statements.clone(),
                        one => vec![one.clone()],
                    };
                    for statement in &statements {
                        check_statement(function, statement, &apis, findings);
                    }
                }
                // SAM policy templates (`DynamoDBCrudPolicy: {TableName: ..}`) are scoped
                // by their parameters.
                _ => {}
            }
        }
    }
}

fn as_list(value: Option<&Json>) -> Vec<Json> {
    match value {
        None => Vec::new(),
        Some(Json::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    }
}

fn check_statement(
    function: &Resource,
    statement: &Json,
    apis: &[&str],
    findings: &mut Vec<Finding>,
) {
    if statement.get("Effect").and_then(Json::as_str) == Some("Deny") {
        return;
    }
    if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
        finding(
            findings,
            function,
            "a statement uses NotAction/NotResource: name the actions and resources instead",
        );
    }
    let actions: Vec<String> = as_list(statement.get("Action"))
        .iter()
        .map(|a| a.as_str().unwrap_or_default().to_owned())
        .collect();
    for action in &actions {
        if action.contains('*') {
            finding(
                findings,
                function,
                format!("grants the wildcard action {action:?}: name each action it calls"),
            );
        }
    }
    let unscopable = !actions.is_empty()
        && actions
            .iter()
            .all(|action| UNSCOPABLE_ACTIONS.contains(&action.as_str()));
    let resources = as_list(statement.get("Resource"));
    if resources.is_empty() {
        finding(findings, function, "a statement names no Resource");
    }
    for resource in &resources {
        let text = match resource {
            Json::String(text) => Some(text.clone()),
            Json::Object(map) => match map.get("Fn::Sub") {
                Some(Json::String(text)) => Some(text.clone()),
                Some(Json::Array(parts)) => parts.first().and_then(Json::as_str).map(str::to_owned),
                _ => None,
            },
            _ => None,
        };
        let Some(text) = text else { continue };
        if !unscopable && is_wildcard_resource(&text) {
            finding(
                findings,
                function,
                format!("grants {actions:?} on the wildcard resource {text:?}: name the resource"),
            );
        }
        if actions.iter().any(|a| a == "execute-api:ManageConnections") {
            check_manage_connections(function, &text, apis, findings);
        }
    }
}

/// `*`, or an ARN whose service, region or account is `*` (or whose resource part is).
fn is_wildcard_resource(text: &str) -> bool {
    if text.trim() == "*" {
        return true;
    }
    // `${AWS::Region}` and friends hold colons: stand them in before splitting.
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        plain.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                plain.push('X');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    plain.push_str(rest);
    let parts: Vec<&str> = plain.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        return parts[2] == "*" || parts[3] == "*" || parts[4] == "*" || parts[5] == "*";
    }
    false
}

/// `arn:..:execute-api:<region>:<account>:${Api}/<stage>/POST/@connections/*`: this API,
/// one stage (not `*`).
fn check_manage_connections(
    function: &Resource,
    text: &str,
    apis: &[&str],
    findings: &mut Vec<Finding>,
) {
    let variables = sub_variables(text);
    let Some(api) = variables.iter().find(|v| apis.contains(&v.as_str())) else {
        finding(
            findings,
            function,
            format!("execute-api:ManageConnections on {text:?} does not name this template's WebSocket API"),
        );
        return;
    };
    let after_api = text
        .split_once(&format!("${{{api}}}/"))
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let stage = after_api.split('/').next().unwrap_or_default();
    if stage.is_empty() || stage.contains('*') {
        finding(
            findings,
            function,
            format!("execute-api:ManageConnections on {text:?} is not scoped to a stage"),
        );
    }
}

fn tables_have_ttl(template: &Template, findings: &mut Vec<Finding>) {
    for table in template.resources_of_kind(TABLE) {
        let ttl = table.property("TimeToLiveSpecification");
        let enabled = ttl
            .and_then(|t| t.get("Enabled"))
            .is_some_and(|e| e == &Json::Bool(true) || e == "true");
        let attribute = ttl
            .and_then(|t| t.get("AttributeName"))
            .and_then(Json::as_str)
            .is_some_and(|a| !a.is_empty());
        if !(enabled && attribute) {
            finding(
                findings,
                table,
                "has no TTL (TimeToLiveSpecification with Enabled: true and an AttributeName)",
            );
        }
    }
}

fn positive(value: Option<&Json>) -> bool {
    match value {
        Some(Json::Number(n)) => n.as_f64().is_some_and(|n| n > 0.0),
        // A parameter or other intrinsic: its value is checked where it is declared.
        Some(Json::Object(_)) => true,
        Some(Json::String(s)) => s.parse::<f64>().is_ok_and(|n| n > 0.0),
        _ => false,
    }
}

fn stages_are_throttled_and_logged(template: &Template, findings: &mut Vec<Finding>) {
    for stage in template.resources_of_kind(STAGE) {
        let defaults = stage.property("DefaultRouteSettings");
        for limit in ["ThrottlingBurstLimit", "ThrottlingRateLimit"] {
            if !positive(defaults.and_then(|d| d.get(limit))) {
                finding(
                    findings,
                    stage,
                    format!("has no throttling: DefaultRouteSettings.{limit} must be set above 0"),
                );
            }
        }
        let Some(declared) = stage.property("AccessLogSettings") else {
            finding(findings, stage, "has no AccessLogSettings");
            continue;
        };
        let branches = value_branches(declared);
        if branches.is_empty() {
            finding(findings, stage, "has no AccessLogSettings");
        }
        for settings in branches {
            check_access_log(template, stage, settings, findings);
        }
    }
}

/// What a value may be: itself, or each branch of an `Fn::If` (nested ones too), without
/// the `AWS::NoValue` branches.
fn value_branches(value: &Json) -> Vec<&Json> {
    match value.get("Fn::If").and_then(Json::as_array) {
        Some(parts) if parts.len() == 3 => parts[1..].iter().flat_map(value_branches).collect(),
        _ if value.get("Ref").and_then(Json::as_str) == Some("AWS::NoValue") => Vec::new(),
        _ => vec![value],
    }
}

fn check_access_log(
    template: &Template,
    stage: &Resource,
    settings: &Json,
    findings: &mut Vec<Finding>,
) {
    let format = settings
        .get("Format")
        .map(|f| f.to_string())
        .unwrap_or_default()
        .to_lowercase();
    if format.is_empty() || format == "null" {
        finding(findings, stage, "its access log has no Format");
    }
    if let Some(leak) = ["requestoverride", "querystring"]
        .into_iter()
        .find(|leak| format.contains(leak))
    {
        finding(
            findings,
            stage,
            format!("its access log format includes {leak}: the query string carries tokens"),
        );
    }
    if let Some(text) = settings.get("Format").and_then(Json::as_str) {
        if text.trim_start().starts_with('{') {
            // Ids, names and numbers hold no quotes; the error message may.
            let hostile = AccessLogFormat::new(text).render(|name| {
                Some(match name {
                    "error.message" => r#"say "hi" \ bye"#.to_owned(),
                    _ => "1".to_owned(),
                })
            });
            if let Err(error) = serde_json::from_str::<Json>(&hostile) {
                finding(
                    findings,
                    stage,
                    format!(
                        "its access log format is not JSON once a value holds a quote ({error}): \
                         use $context.error.messageString (unquoted) for error messages"
                    ),
                );
            }
        }
    }
    let destination = settings.get("DestinationArn");
    if destination.is_none_or(|d| referenced(template, d, &[LOG_GROUP]).is_empty()) {
        finding(
            findings,
            stage,
            "its access log goes to no log group of this template",
        );
    }
}

fn api_gateway_account_is_opt_in(template: &Template, findings: &mut Vec<Finding>) {
    for account in template.resources_of_kind(API_GATEWAY_ACCOUNT) {
        if account.condition.is_none() {
            finding(
                findings,
                account,
                "sets API Gateway's account-wide CloudWatch role unconditionally: give it a Condition on a parameter that is off by default",
            );
        }
        let on_api_gateway = account.depends_on.iter().any(|name| {
            template.resource(name).is_some_and(|r| {
                r.kind != API_GATEWAY_ACCOUNT
                    && (r.kind.starts_with("AWS::ApiGateway::")
                        || r.kind.starts_with("AWS::ApiGatewayV2::"))
            })
        });
        if !on_api_gateway {
            finding(
                findings,
                account,
                "has no DependsOn on an API Gateway resource of this template (required in an account that never had one)",
            );
        }
    }
}

fn stream_filters_name_only_the_dynamodb_key(template: &Template, findings: &mut Vec<Finding>) {
    for function in template.resources_of_kind(FUNCTION_KINDS[0]) {
        let Some(Json::Object(events)) = function.property("Events") else {
            continue;
        };
        for (name, event) in events {
            if event.get("Type").and_then(Json::as_str) != Some("DynamoDB") {
                continue;
            }
            let filters = event
                .pointer("/Properties/FilterCriteria/Filters")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            for filter in filters {
                let Some(pattern) = filter.get("Pattern").and_then(Json::as_str) else {
                    continue;
                };
                let Ok(Json::Object(fields)) = serde_json::from_str::<Json>(pattern) else {
                    finding(
                        findings,
                        function,
                        format!("event {name}: filter pattern {pattern:?} is not a JSON object"),
                    );
                    continue;
                };
                for key in fields.keys().filter(|key| *key != DYNAMODB_KEY) {
                    finding(
                        findings,
                        function,
                        format!(
                            "event {name}: filter pattern filters on {key:?}, but DynamoDB event source mappings filter only under \"{DYNAMODB_KEY}\""
                        ),
                    );
                }
            }
        }
    }
}

fn distributions_are_https_under_a_strict_policy(template: &Template, findings: &mut Vec<Finding>) {
    for distribution in template.resources_of_kind(DISTRIBUTION) {
        let config = distribution.property("DistributionConfig");
        let field = |name: &str| config.and_then(|c| c.get(name));
        for origin in as_list(field("Origins")) {
            let Some(s3) = origin.get("S3OriginConfig") else {
                continue;
            };
            let controls = origin
                .get("OriginAccessControlId")
                .map(|id| referenced(template, id, &[ORIGIN_ACCESS_CONTROL]))
                .unwrap_or_default();
            let identity = s3.get("OriginAccessIdentity").and_then(Json::as_str);
            if controls.is_empty() || !matches!(identity, None | Some("")) {
                finding(
                    findings,
                    distribution,
                    format!(
                        "origin {}: an S3 origin must be read through an origin access control of this template, with an empty OriginAccessIdentity",
                        origin.get("Id").unwrap_or(&Json::Null)
                    ),
                );
            }
        }
        let behaviors = field("DefaultCacheBehavior")
            .into_iter()
            .cloned()
            .chain(as_list(field("CacheBehaviors")));
        for behavior in behaviors {
            let path = behavior
                .get("PathPattern")
                .and_then(Json::as_str)
                .unwrap_or("*");
            let protocol = behavior.get("ViewerProtocolPolicy").and_then(Json::as_str);
            if !matches!(protocol, Some("redirect-to-https" | "https-only")) {
                finding(
                    findings,
                    distribution,
                    format!("behavior {path}: ViewerProtocolPolicy must be redirect-to-https or https-only"),
                );
            }
            let policies = behavior
                .get("ResponseHeadersPolicyId")
                .map(|id| referenced(template, id, &[HEADERS_POLICY]))
                .unwrap_or_default();
            let [policy] = policies.as_slice() else {
                finding(
                    findings,
                    distribution,
                    format!("behavior {path}: no response headers policy of this template"),
                );
                continue;
            };
            for problem in headers_policy_problems(policy) {
                finding(findings, policy, problem);
            }
        }
    }
}

/// What a response headers policy lacks, or allows, that a web app's must not.
fn headers_policy_problems(policy: &Resource) -> Vec<String> {
    let security = policy
        .property("ResponseHeadersPolicyConfig")
        .and_then(|c| c.get("SecurityHeadersConfig"));
    let mut problems = Vec::new();
    if security
        .and_then(|s| s.get("StrictTransportSecurity"))
        .is_none()
    {
        problems.push("sends no Strict-Transport-Security".to_owned());
    }
    let csp = security
        .and_then(|s| s.pointer("/ContentSecurityPolicy/ContentSecurityPolicy"))
        .and_then(|value| match value {
            Json::String(text) => Some(text.as_str()),
            // `!Sub` or `!Sub [text, variables]`: the text as written, variables unresolved.
            Json::Object(sub) => match sub.get("Fn::Sub")? {
                Json::String(text) => Some(text.as_str()),
                Json::Array(parts) => parts.first()?.as_str(),
                _ => None,
            },
            _ => None,
        });
    let Some(csp) = csp else {
        problems.push("sends no Content-Security-Policy (a string or an Fn::Sub)".to_owned());
        return problems;
    };
    let directives: Vec<String> = csp
        .split(';')
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty())
        .collect();
    for required in CSP_REQUIRED {
        let (name, value) = required.split_once(' ').unwrap_or((required, ""));
        let stated = directives.iter().any(|d| {
            d.split_once(' ')
                .is_some_and(|(n, rest)| n == name && (value.is_empty() || rest == value))
        });
        if !stated {
            problems.push(format!("Content-Security-Policy does not state {required}"));
        }
    }
    for directive in &directives {
        let script_src = directive.starts_with("script-src ");
        for source in directive.split(' ').skip(1) {
            let loose = source == "*"
                || source.contains("://*")
                || source.starts_with("'unsafe-")
                || (source == "'wasm-unsafe-eval'" && !script_src)
                || source == "http:"
                || source.starts_with("http://")
                || (source.ends_with(':') && !matches!(source, "data:" | "blob:"));
            if loose {
                problems.push(format!(
                    "Content-Security-Policy allows {source} in {directive:?}"
                ));
            }
        }
    }
    problems
}

fn functions_have_log_groups(template: &Template, findings: &mut Vec<Finding>) {
    let global = template
        .function_globals()
        .get("LoggingConfig")
        .and_then(|l| l.get("LogGroup"));
    for function in FUNCTION_KINDS
        .iter()
        .flat_map(|kind| template.resources_of_kind(kind))
    {
        let log_group = function
            .property("LoggingConfig")
            .and_then(|l| l.get("LogGroup"))
            .or(if function.kind == FUNCTION_KINDS[0] {
                global
            } else {
                None
            });
        let groups = log_group
            .map(|g| referenced(template, g, &[LOG_GROUP]))
            .unwrap_or_default();
        let [group] = groups.as_slice() else {
            finding(
                findings,
                function,
                "logs to no log group of this template: set LoggingConfig.LogGroup to a Ref of an AWS::Logs::LogGroup",
            );
            continue;
        };
        if group.property("RetentionInDays").is_none() {
            finding(
                findings,
                group,
                format!(
                    "(the log group of {}) has no RetentionInDays",
                    function.logical_id
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A small template that passes every check; each test breaks one thing.
    const GOOD: &str = r#"
Parameters:
  StageName: {Type: String, Default: prod}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 30}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: target/fn/
      LoggingConfig: {LogGroup: !Ref FnLogs}
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:PutItem
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: execute-api:ManageConnections
              Resource: !Sub "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/${StageName}/POST/@connections/*"
            - Effect: Allow
              Action: xray:PutTraceSegments
              Resource: "*"
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  AccessLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 30}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: !Ref StageName
      DefaultRouteSettings: {ThrottlingBurstLimit: 50, ThrottlingRateLimit: 100}
      AccessLogSettings:
        DestinationArn: !GetAtt AccessLogs.Arn
        Format: '{"requestId":"$context.requestId","routeKey":"$context.routeKey","error":$context.error.messageString}'
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: send
      Target: !Sub "integrations/${Integration}"
  AppBucket:
    Type: AWS::S3::Bucket
  AppAccess:
    Type: AWS::CloudFront::OriginAccessControl
    Properties:
      OriginAccessControlConfig: {Name: app, OriginAccessControlOriginType: s3, SigningBehavior: always, SigningProtocol: sigv4}
  AppHeaders:
    Type: AWS::CloudFront::ResponseHeadersPolicy
    Properties:
      ResponseHeadersPolicyConfig:
        Name: app
        SecurityHeadersConfig:
          StrictTransportSecurity: {AccessControlMaxAgeSec: 63072000, Override: true}
          ContentSecurityPolicy:
            Override: true
            ContentSecurityPolicy: !Sub
              - >-
                default-src 'self'; script-src 'self'; img-src 'self' data:;
                connect-src 'self' wss://${Api}.execute-api.${AWS::Region}.amazonaws.com;
                object-src 'none'; base-uri 'self'; frame-ancestors 'none'
              - {}
  App:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - Id: app
            DomainName: !GetAtt AppBucket.RegionalDomainName
            OriginAccessControlId: !GetAtt AppAccess.Id
            S3OriginConfig: {OriginAccessIdentity: ""}
        DefaultCacheBehavior:
          TargetOriginId: app
          ViewerProtocolPolicy: redirect-to-https
          ResponseHeadersPolicyId: !Ref AppHeaders
"#;

    fn findings(yaml: &str) -> Vec<String> {
        check(&Template::parse(yaml).unwrap())
            .iter()
            .map(Finding::to_string)
            .collect()
    }

    /// `GOOD` with `from` replaced by `to` (which must occur), and the one finding it causes.
    fn broken(from: &str, to: &str) -> Vec<String> {
        assert!(GOOD.contains(from), "{from:?} is not in the good template");
        findings(&GOOD.replacen(from, to, 1))
    }

    fn assert_one(found: Vec<String>, resource: &str, words: &str) {
        assert!(
            found.len() == 1
                && found[0].starts_with(&format!("{resource}:"))
                && found[0].contains(words),
            "expected one finding on {resource} containing {words:?}, got {found:#?}"
        );
    }

    #[test]
    fn the_real_template_passes_every_check() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let found: Vec<String> = check(&Template::load(&path).unwrap())
            .iter()
            .map(Finding::to_string)
            .collect();
        assert!(
            found.is_empty(),
            "infra/template.yaml breaks the project's template rules:\n  {}",
            found.join("\n  ")
        );
    }

    #[test]
    fn the_small_good_template_passes() {
        assert_eq!(findings(GOOD), Vec::<String>::new());
    }

    #[test]
    fn a_route_whose_target_reaches_no_function_is_found() {
        assert_one(
            broken(
                r#"Target: !Sub "integrations/${Integration}""#,
                "Target: integrations/abc",
            ),
            "Route",
            "no integration",
        );
        assert_one(
            broken(
                "${Fn.Arn}/invocations",
                "arn:aws:lambda:x:1:function:elsewhere/invocations",
            ),
            "Route",
            "reaches no function",
        );
        assert_one(
            broken("      Target: !Sub \"integrations/${Integration}\"\n", ""),
            "Route",
            "no Target",
        );
    }

    #[test]
    fn a_function_granting_a_wildcard_resource_is_found() {
        assert_one(
            broken("Resource: !GetAtt Table.Arn", r#"Resource: "*""#),
            "Fn",
            "wildcard resource",
        );
        assert_one(
            broken(
                "Resource: !GetAtt Table.Arn",
                r#"Resource: !Sub "arn:aws:dynamodb:${AWS::Region}:*:table/x""#,
            ),
            "Fn",
            "wildcard resource",
        );
        assert_one(
            broken("Action: dynamodb:PutItem", "Action: dynamodb:*"),
            "Fn",
            "wildcard action",
        );
        assert_one(
            broken("Action: xray:PutTraceSegments", "Action: s3:GetObject"),
            "Fn",
            "wildcard resource",
        );
        assert_one(
            broken(
                "      Policies:\n",
                "      Policies:\n        - AmazonDynamoDBFullAccess\n",
            ),
            "Fn",
            "managed policy",
        );
    }

    #[test]
    fn manage_connections_must_name_this_api_and_a_stage() {
        assert_one(
            broken("${Api}/${StageName}/POST", "${Api}/*/POST"),
            "Fn",
            "not scoped to a stage",
        );
        assert_one(
            broken("${Api}/${StageName}/POST", "abcdef/${StageName}/POST"),
            "Fn",
            "WebSocket API",
        );
    }

    #[test]
    fn a_table_without_ttl_is_found() {
        assert_one(
            broken(
                "{AttributeName: ttl, Enabled: true}",
                "{AttributeName: ttl, Enabled: false}",
            ),
            "Table",
            "no TTL",
        );
        assert_one(
            broken(
                "    Properties:\n      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}\n",
                "",
            ),
            "Table",
            "no TTL",
        );
    }

    #[test]
    fn a_stage_without_throttling_or_with_a_leaky_access_log_is_found() {
        assert_one(
            broken("      DefaultRouteSettings: {ThrottlingBurstLimit: 50, ThrottlingRateLimit: 100}\n", "      DefaultRouteSettings: {ThrottlingBurstLimit: 50}\n"),
            "Stage",
            "ThrottlingRateLimit",
        );
        assert_eq!(
            broken("      DefaultRouteSettings: {ThrottlingBurstLimit: 50, ThrottlingRateLimit: 100}\n", "")
                .len(),
            2
        );
        assert_one(
            broken(
                r#""routeKey":"$context.routeKey""#,
                r#""q":"$context.requestOverride.querystring.token""#,
            ),
            "Stage",
            "query string",
        );
        assert_one(
            broken(
                "DestinationArn: !GetAtt AccessLogs.Arn",
                "DestinationArn: arn:aws:logs:x:1:log-group:other",
            ),
            "Stage",
            "no log group",
        );
    }

    #[test]
    fn an_access_log_format_that_breaks_on_a_quoted_error_is_found() {
        assert_one(
            broken(
                r#""error":$context.error.messageString"#,
                r#""error":"$context.error.message""#,
            ),
            "Stage",
            "not JSON",
        );
    }

    #[test]
    fn a_conditional_access_log_is_checked_in_each_branch() {
        const SETTINGS: &str = r#"      AccessLogSettings:
        DestinationArn: !GetAtt AccessLogs.Arn
        Format: '{"requestId":"$context.requestId","routeKey":"$context.routeKey","error":$context.error.messageString}'
"#;
        const CONDITIONAL: &str = r#"      AccessLogSettings: !If
        - Logged
        - DestinationArn: !GetAtt AccessLogs.Arn
          Format: '{"requestId":"$context.requestId","routeKey":"$context.routeKey","error":$context.error.messageString}'
        - !Ref AWS::NoValue
"#;
        assert!(GOOD.contains(SETTINGS));
        let good = GOOD.replacen(SETTINGS, CONDITIONAL, 1);
        assert_eq!(findings(&good), Vec::<String>::new());
        assert_one(
            findings(&good.replace(
                "$context.routeKey",
                "$context.requestOverride.querystring.token",
            )),
            "Stage",
            "query string",
        );
        let never = GOOD.replacen(
            SETTINGS,
            "      AccessLogSettings: !If [Logged, !Ref AWS::NoValue, !Ref AWS::NoValue]\n",
            1,
        );
        assert_one(findings(&never), "Stage", "has no AccessLogSettings");
    }

    #[test]
    fn an_api_gateway_account_must_be_opt_in_and_wait_for_an_api() {
        let taken_over = format!(
            "{GOOD}  Account:\n    Type: AWS::ApiGateway::Account\n    Properties: {{CloudWatchRoleArn: arn:aws:iam::1:role/x}}\n"
        );
        let found = findings(&taken_over);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with("Account:") && found[0].contains("Condition"));
        assert!(found[1].starts_with("Account:") && found[1].contains("DependsOn"));
        let opt_in = taken_over.replace(
            "    Type: AWS::ApiGateway::Account\n",
            "    Type: AWS::ApiGateway::Account\n    Condition: RoleWanted\n    DependsOn: Api\n",
        );
        assert_eq!(findings(&opt_in), Vec::<String>::new());
        assert_one(
            findings(&opt_in.replace("    DependsOn: Api\n", "    DependsOn: Table\n")),
            "Account",
            "DependsOn",
        );
    }

    #[test]
    fn a_dynamodb_stream_filter_outside_the_dynamodb_key_is_found() {
        let with_filter = |pattern: &str| {
            GOOD.replacen(
                "      LoggingConfig: {LogGroup: !Ref FnLogs}\n",
                &format!(
                    "      LoggingConfig: {{LogGroup: !Ref FnLogs}}\n      Events:\n        Stream:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            FilterCriteria:\n              Filters:\n                - Pattern: '{pattern}'\n"
                ),
                1,
            )
        };
        assert_eq!(
            findings(&with_filter(
                r#"{"dynamodb": {"NewImage": {"offline": {"BOOL": [true]}}}}"#
            )),
            Vec::<String>::new()
        );
        assert_one(
            findings(&with_filter(
                r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"offline": {"BOOL": [true]}}}}"#,
            )),
            "Fn",
            "filters on \"eventName\"",
        );
    }

    #[test]
    fn a_function_without_a_retained_log_group_is_found() {
        assert_one(
            broken("      LoggingConfig: {LogGroup: !Ref FnLogs}\n", ""),
            "Fn",
            "no log group",
        );
        assert_one(
            broken("    Properties: {RetentionInDays: 30}\n  Fn:", "  Fn:"),
            "FnLogs",
            "RetentionInDays",
        );
    }

    #[test]
    fn a_distribution_off_https_or_without_access_control_or_a_strict_policy_is_found() {
        assert_one(
            broken(
                "ViewerProtocolPolicy: redirect-to-https",
                "ViewerProtocolPolicy: allow-all",
            ),
            "App",
            "behavior *: ViewerProtocolPolicy",
        );
        assert_one(
            broken(
                "OriginAccessControlId: !GetAtt AppAccess.Id\n            ",
                "",
            ),
            "App",
            "origin access control",
        );
        assert_one(
            broken(
                r#"{OriginAccessIdentity: ""}"#,
                "{OriginAccessIdentity: origin-access-identity/cloudfront/E1}",
            ),
            "App",
            "empty OriginAccessIdentity",
        );
        assert_one(
            broken(
                "ResponseHeadersPolicyId: !Ref AppHeaders",
                "ResponseHeadersPolicyId: 67f7725c-6f97-4210-82d7-5512b31e9d03",
            ),
            "App",
            "no response headers policy of this template",
        );
    }

    #[test]
    fn a_loose_or_incomplete_content_security_policy_is_found() {
        for (from, to, words) in [
            (
                "script-src 'self'",
                "script-src 'self' 'unsafe-inline'",
                "'unsafe-inline'",
            ),
            (
                "script-src 'self'",
                "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
                "'unsafe-eval'",
            ),
            (
                "default-src 'self'",
                "default-src 'self' 'wasm-unsafe-eval'",
                "'wasm-unsafe-eval'",
            ),
            (
                "img-src 'self' data:",
                "img-src 'self' data: https:",
                "https:",
            ),
            ("img-src 'self' data:", "img-src *", "allows *"),
            (
                "wss://${Api}.execute-api",
                "wss://*.execute-api",
                "wss://*.execute-api",
            ),
            (
                "frame-ancestors 'none'",
                "form-action 'self'",
                "frame-ancestors",
            ),
            (
                "object-src 'none'",
                "object-src 'self'",
                "object-src 'none'",
            ),
        ] {
            assert_one(broken(from, to), "AppHeaders", words);
        }
        assert_one(
            broken(
                "StrictTransportSecurity: {AccessControlMaxAgeSec: 63072000, Override: true}",
                "ContentTypeOptions: {Override: true}",
            ),
            "AppHeaders",
            "Strict-Transport-Security",
        );
    }
}
