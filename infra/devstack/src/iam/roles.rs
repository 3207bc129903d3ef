//! Each function's execution role, read from the template as SAM builds it and resolved as
//! deployed: the function's `Policies` (inline statements, SAM policy templates, the managed
//! policies [`super::managed`] knows), what SAM adds by itself (`AWSLambdaBasicExecutionRole`;
//! for a DynamoDB stream event source `AWSLambdaDynamoDBExecutionRole`; `sqs:SendMessage` /
//! `sns:publish` on an event source's on-failure destination or the dead-letter queue), or,
//! when the function names its own `Role`, that `AWS::IAM::Role`'s inline and managed
//! policies. Permission boundaries are not read.

use serde_json::{json, Value as Json};

use super::managed;
use super::policy::Policy;
use super::sam_templates;
use crate::template::{Resolver, Resource, TemplateError, FUNCTION_KIND};

/// Event source types whose SAM role policy is a managed policy this module does not hold.
const UNKNOWN_PULL_SOURCES: &[&str] = &[
    "Kinesis",
    "SQS",
    "MQ",
    "MSK",
    "SelfManagedKafka",
    "DocumentDB",
];

/// One function's identity and what its role allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// The function's logical id, e.g. `MessagesFunction`.
    pub function: String,
    /// Who AWS says made the request: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`
    /// (Lambda names the role session after the function).
    pub session_arn: String,
    pub policy: Policy,
}

/// The role of every function that exists in this deployment.
pub fn function_roles(resolver: &Resolver) -> Result<Vec<Role>, TemplateError> {
    let mut roles = Vec::new();
    for resource in resolver.template().resources_of_kind(FUNCTION_KIND) {
        if resolver.exists(resource)? {
            roles.push(
                function_role(resource, resolver)
                    .map_err(|e| e.context(format!("function {} (IAM)", resource.logical_id)))?,
            );
        }
    }
    Ok(roles)
}

fn function_role(function: &Resource, resolver: &Resolver) -> Result<Role, TemplateError> {
    let deployment = resolver.deployment();
    let function_name = resolver.physical(&function.logical_id).map_or_else(
        || deployment.physical_name(&function.logical_id),
        |p| p.id.clone(),
    );
    let (role_name, documents) = match function.property("Role") {
        Some(role) => explicit_role(role, resolver)?,
        None => (
            // CloudFormation names SAM's `<Function>Role` `<stack>-<Function>Role-<suffix>`.
            deployment.physical_name(&format!("{}Role", function.logical_id)),
            generated_role(function, resolver)?,
        ),
    };
    let mut policy = Policy::default();
    for document in &documents {
        let resolved = resolver
            .resolve(document)?
            .ok_or_else(|| TemplateError::invalid("a policy document is AWS::NoValue"))?;
        policy
            .add_document(&resolved)
            .map_err(TemplateError::invalid)?;
    }
    Ok(Role {
        function: function.logical_id.clone(),
        session_arn: format!(
            "arn:{}:sts::{}:assumed-role/{role_name}/{function_name}",
            deployment.partition, deployment.account_id
        ),
        policy,
    })
}

/// The policy documents of the role SAM generates, intrinsics unresolved.
fn generated_role(function: &Resource, resolver: &Resolver) -> Result<Vec<Json>, TemplateError> {
    let mut documents = vec![known_managed(managed::BASIC_EXECUTION)?];
    // Resolved first so that `!If` and `AWS::NoValue` drop items as CloudFormation would;
    // a policy template's parameters are then plain values.
    let declared = match function.property("Policies") {
        Some(policies) => resolver.resolve(policies)?.unwrap_or(Json::Null),
        None => Json::Null,
    };
    let items = match declared {
        Json::Null => Vec::new(),
        Json::Array(items) => items,
        one => vec![one],
    };
    for item in items {
        documents.push(policy_item(item)?);
    }
    if let Some(Json::Object(events)) = function.property("Events") {
        for (name, event) in events {
            documents.extend(event_source_policies(event).map_err(|e| e.context(name))?);
        }
    }
    if let Some(queue) = function.property("DeadLetterQueue") {
        documents.extend(destination_policy(queue, "TargetArn")?);
    }
    Ok(documents)
}

/// One item of `Policies`: a managed policy by name or ARN, a policy document, or a SAM
/// policy template.
fn policy_item(item: Json) -> Result<Json, TemplateError> {
    match item {
        Json::String(name) => known_managed(&name),
        Json::Object(map) if map.contains_key("Statement") => Ok(Json::Object(map)),
        Json::Object(map) if map.len() == 1 => {
            let (name, parameters) = map.into_iter().next().expect("one entry");
            sam_templates::expand(&name, &parameters).map_err(TemplateError::invalid)
        }
        other => Err(TemplateError::invalid(format!(
            "Policies item {other} is neither a managed policy, a policy document nor a SAM policy template"
        ))),
    }
}

fn known_managed(name: &str) -> Result<Json, TemplateError> {
    managed::document(name).ok_or_else(|| {
        TemplateError::invalid(format!(
            "managed policy {name}: the local stack does not know its document (infra/devstack/src/iam/managed.rs)"
        ))
    })
}

/// What SAM adds to the role for one entry of `Events`.
fn event_source_policies(event: &Json) -> Result<Vec<Json>, TemplateError> {
    let kind = event.get("Type").and_then(Json::as_str).unwrap_or_default();
    let mut documents = Vec::new();
    if kind == "DynamoDB" {
        documents.push(known_managed(managed::DYNAMODB_EXECUTION)?);
    } else if UNKNOWN_PULL_SOURCES.contains(&kind) {
        return Err(TemplateError::invalid(format!(
            "event source type {kind}: the local stack does not know the policy SAM adds for it"
        )));
    }
    if let Some(on_failure) = event.pointer("/Properties/DestinationConfig/OnFailure") {
        documents.extend(destination_policy(on_failure, "Destination")?);
    }
    Ok(documents)
}

/// SAM's policy for a destination `{Type: SQS|SNS, <arn_key>: ARN}`; none without `Type`
/// (SAM then leaves the permission to the template's author).
fn destination_policy(destination: &Json, arn_key: &str) -> Result<Option<Json>, TemplateError> {
    let action = match destination.get("Type").and_then(Json::as_str) {
        None => return Ok(None),
        Some("SQS") => "sqs:SendMessage",
        Some("SNS") => "sns:publish",
        Some(other) => {
            return Err(TemplateError::invalid(format!(
                "destination type {other}: the local stack does not know the policy SAM adds for it"
            )))
        }
    };
    let arn = destination
        .get(arn_key)
        .ok_or_else(|| TemplateError::invalid(format!("destination without {arn_key}")))?;
    Ok(Some(json!({
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": arn}]
    })))
}

/// `Role: !GetAtt R.Arn` of an `AWS::IAM::Role` of the template: its name and documents.
fn explicit_role(role: &Json, resolver: &Resolver) -> Result<(String, Vec<Json>), TemplateError> {
    let template = resolver.template();
    let resource = crate::template::references(role)
        .into_iter()
        .filter_map(|name| template.resource(&name))
        .find(|resource| resource.kind == "AWS::IAM::Role")
        .ok_or_else(|| {
            TemplateError::invalid(
                "Role must name an AWS::IAM::Role of this template for the local IAM check",
            )
        })?;
    let name = resolver
        .physical(&resource.logical_id)
        .map(|physical| physical.id.clone())
        .ok_or_else(|| {
            TemplateError::invalid(format!("role {} does not exist", resource.logical_id))
        })?;
    let properties = resolver.properties(resource)?;
    let mut documents = Vec::new();
    for inline in properties["Policies"].as_array().into_iter().flatten() {
        documents.push(inline["PolicyDocument"].clone());
    }
    for arn in properties["ManagedPolicyArns"]
        .as_array()
        .into_iter()
        .flatten()
    {
        documents.push(known_managed(arn.as_str().unwrap_or_default())?);
    }
    Ok((name, documents))
}
