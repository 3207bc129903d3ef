//! The `AWS::ApiGatewayV2` resources of the WebSocket API → [`WebSocketApiSpec`]: its stage,
//! route selection expression and routes. A route's function is found by following
//! references, as API Gateway follows ids: Route `Target` → Integration `IntegrationUri` →
//! function; Route `AuthorizerId` → Authorizer `AuthorizerUri` → function; RouteResponse
//! `RouteId` → Route.

use super::document::{references, Resource, Template};
use super::error::TemplateError;
use super::resolve::Resolver;
use crate::stack_spec::{AuthorizerSpec, RouteSpec, WebSocketApiSpec};

const API: &str = "AWS::ApiGatewayV2::Api";
const STAGE: &str = "AWS::ApiGatewayV2::Stage";
const ROUTE: &str = "AWS::ApiGatewayV2::Route";
const ROUTE_RESPONSE: &str = "AWS::ApiGatewayV2::RouteResponse";
const INTEGRATION: &str = "AWS::ApiGatewayV2::Integration";
const AUTHORIZER: &str = "AWS::ApiGatewayV2::Authorizer";
const FUNCTIONS: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];

/// The template's one WebSocket API.
pub(crate) fn websocket_api(resolver: &Resolver) -> Result<WebSocketApiSpec, TemplateError> {
    let mut apis = Vec::new();
    for api in existing(resolver, API)? {
        if property_string(resolver, api, "ProtocolType")?.as_deref() == Some("WEBSOCKET") {
            apis.push(api);
        }
    }
    let [api] = apis.as_slice() else {
        return Err(TemplateError::invalid(format!(
            "expected exactly one {API} with ProtocolType WEBSOCKET, found {}",
            apis.len()
        )));
    };
    let in_api = |resource: &Resource| {
        resource
            .property("ApiId")
            .is_some_and(|id| references(id).contains(&api.logical_id))
    };
    let api_context = |e: TemplateError| e.context(format!("resource {}", api.logical_id));

    let route_selection_expression = property_string(resolver, api, "RouteSelectionExpression")?
        .ok_or_else(|| api_context(TemplateError::invalid("no RouteSelectionExpression")))?;

    let stages: Vec<_> = existing(resolver, STAGE)?
        .into_iter()
        .filter(|s| in_api(s))
        .collect();
    let [stage] = stages.as_slice() else {
        return Err(api_context(TemplateError::invalid(format!(
            "expected exactly one {STAGE}, found {}",
            stages.len()
        ))));
    };
    let stage_name = property_string(resolver, stage, "StageName")?.ok_or_else(|| {
        TemplateError::invalid(format!("resource {}: no StageName", stage.logical_id))
    })?;

    let route_responses: Vec<_> = existing(resolver, ROUTE_RESPONSE)?
        .into_iter()
        .filter(|r| in_api(r))
        .collect();
    let mut routes = Vec::new();
    for route in existing(resolver, ROUTE)?.into_iter().filter(|r| in_api(r)) {
        routes.push(
            route_spec(route, &route_responses, resolver)
                .map_err(|e| e.context(format!("route {}", route.logical_id)))?,
        );
    }

    // `AccessLogSettings` may be conditional (`AWS::NoValue` when the stage has no log).
    let access_log_format = match stage.property("AccessLogSettings") {
        Some(settings) => resolver
            .resolve(settings)
            .map_err(|e| e.context(format!("resource {} AccessLogSettings", stage.logical_id)))?
            .and_then(|settings| settings.get("Format")?.as_str().map(str::to_owned)),
        None => None,
    };

    Ok(WebSocketApiSpec {
        stage: stage_name,
        route_selection_expression,
        routes,
        access_log_format,
    })
}

fn route_spec(
    route: &Resource,
    route_responses: &[&Resource],
    resolver: &Resolver,
) -> Result<RouteSpec, TemplateError> {
    let template = resolver.template();
    let key = property_string(resolver, route, "RouteKey")?
        .ok_or_else(|| TemplateError::invalid("no RouteKey"))?;

    let target = route
        .property("Target")
        .ok_or_else(|| TemplateError::invalid("no Target, so no function to invoke"))?;
    let integration =
        referenced(template, target, &[INTEGRATION]).map_err(|e| e.context("Target"))?;
    let uri = integration.property("IntegrationUri").ok_or_else(|| {
        TemplateError::invalid(format!(
            "integration {} has no IntegrationUri",
            integration.logical_id
        ))
    })?;
    let function = referenced(template, uri, FUNCTIONS)
        .map_err(|e| {
            e.context(format!(
                "integration {} IntegrationUri",
                integration.logical_id
            ))
        })?
        .logical_id
        .clone();

    let authorizer = match route.property("AuthorizerId") {
        Some(id) => Some(
            authorizer_spec(referenced(template, id, &[AUTHORIZER])?, resolver)
                .map_err(|e| e.context("AuthorizerId"))?,
        ),
        None => None,
    };

    let two_way = property_string(resolver, route, "RouteResponseSelectionExpression")?.is_some()
        && route_responses.iter().any(|response| {
            response
                .property("RouteId")
                .is_some_and(|id| references(id).contains(&route.logical_id))
        });

    Ok(RouteSpec {
        key,
        function,
        authorizer,
        two_way,
    })
}

fn authorizer_spec(
    authorizer: &Resource,
    resolver: &Resolver,
) -> Result<AuthorizerSpec, TemplateError> {
    let context = |e: TemplateError| e.context(format!("authorizer {}", authorizer.logical_id));
    let uri = authorizer
        .property("AuthorizerUri")
        .ok_or_else(|| context(TemplateError::invalid("no AuthorizerUri")))?;
    let function = referenced(resolver.template(), uri, FUNCTIONS)
        .map_err(|e| context(e.context("AuthorizerUri")))?
        .logical_id
        .clone();
    let identity_source = match authorizer.property("IdentitySource") {
        Some(sources) => resolver.resolve(sources).map_err(context)?,
        None => None,
    };
    let identity_source = match identity_source {
        Some(serde_json::Value::Array(sources)) => sources
            .iter()
            .map(|s| resolver.resolve_string(s))
            .collect::<Result<_, _>>()
            .map_err(context)?,
        // The v1 form: one comma-separated string.
        Some(serde_json::Value::String(sources)) => {
            sources.split(',').map(|s| s.trim().to_owned()).collect()
        }
        _ => Vec::new(),
    };
    Ok(AuthorizerSpec {
        function,
        identity_source,
    })
}

/// The one resource of one of `kinds` that `value` refers to. A reference to a name the
/// template does not declare is an error naming it.
fn referenced<'t>(
    template: &'t Template,
    value: &serde_json::Value,
    kinds: &[&str],
) -> Result<&'t Resource, TemplateError> {
    let names = references(value);
    let mut found = Vec::new();
    for name in &names {
        match template.resource(name) {
            Some(resource) if kinds.contains(&resource.kind.as_str()) => found.push(resource),
            Some(_) => {}
            None if template.parameter(name).is_some() => {}
            None => {
                return Err(TemplateError::invalid(format!(
                    "refers to {name}, which the template does not declare"
                )))
            }
        }
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(TemplateError::invalid(format!(
            "refers to no {} (found references to {names:?})",
            kinds.join(" or ")
        ))),
        many => Err(TemplateError::invalid(format!(
            "refers to several of {}: {:?}",
            kinds.join(" or "),
            many.iter().map(|r| &r.logical_id).collect::<Vec<_>>()
        ))),
    }
}

/// A property resolved to a string, `None` when absent (or `AWS::NoValue`).
fn property_string(
    resolver: &Resolver,
    resource: &Resource,
    name: &str,
) -> Result<Option<String>, TemplateError> {
    let context = |e: TemplateError| e.context(format!("resource {} {name}", resource.logical_id));
    match resource.property(name) {
        Some(value) => match resolver.resolve(value).map_err(context)? {
            Some(_) => resolver.resolve_string(value).map(Some).map_err(context),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

fn existing<'t>(
    resolver: &Resolver<'t>,
    kind: &'t str,
) -> Result<Vec<&'t Resource>, TemplateError> {
    let mut resources = Vec::new();
    for resource in resolver.template().resources_of_kind(kind) {
        if resolver.exists(resource)? {
            resources.push(resource);
        }
    }
    Ok(resources)
}
