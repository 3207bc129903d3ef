//! Creating, in moto, every resource of the template that the emulator holds, from the
//! template's own properties, in dependency order (a user pool before its client). What the
//! local stack plays itself (functions, the API Gateway API, permissions, roles) gets a
//! placeholder physical id instead. Every id is recorded in the resolver, so later
//! resources and the stack spec resolve `Ref`/`Fn::GetAtt` to what really exists.

use super::clients::AwsClients;
use super::props::Props;
use super::{cognito, dynamodb, s3, sns, AwsError};
use crate::template::{
    dependency_order, record_placeholders, PhysicalIds, Resolver, Resource, TemplateError,
};

/// Resource types created in moto.
pub const EMULATED_KINDS: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
];

/// Resource types the local stack plays itself or that have no local meaning.
const PLAYED_LOCALLY: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Lambda::",
    "AWS::ApiGatewayV2::",
    "AWS::IAM::",
    "AWS::Logs::",
    // TLS-only bucket policy, API Gateway's account-level logging role and the handle the
    // stage waits on it through: nothing to emulate.
    "AWS::S3::BucketPolicy",
    "AWS::ApiGateway::Account",
    "AWS::CloudFormation::WaitConditionHandle",
    // The stream poller's on-failure destination: the local stack logs what it would send.
    "AWS::SQS::Queue",
    // Alarms watch CloudWatch metrics, which the local stack does not keep; their email
    // subscription would mail nobody.
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    // Parley Web's hosting (WebHosting): the local stack serves the app itself, with the
    // response headers policy's headers (`crate::template::headers`).
    "AWS::CloudFront::",
];

pub fn is_emulated(resource: &Resource) -> bool {
    EMULATED_KINDS.contains(&resource.kind.as_str())
}

/// Creates the emulated resources and records every physical id in `resolver`. Returns the
/// ids of the resources created in moto.
pub async fn provision(
    clients: &AwsClients,
    resolver: &mut Resolver<'_>,
) -> Result<PhysicalIds, AwsError> {
    let template = resolver.template();
    for resource in template.resources() {
        let known = is_emulated(resource)
            || PLAYED_LOCALLY
                .iter()
                .any(|kind| resource.kind.starts_with(kind));
        if !known {
            tracing::warn!(
                resource = %resource.logical_id,
                kind = %resource.kind,
                "the local stack neither creates nor plays this resource type; references to it resolve to a placeholder"
            );
        }
    }
    record_placeholders(resolver, is_emulated)?;

    let mut emulated = Vec::new();
    for resource in template.resources().iter().filter(|r| is_emulated(r)) {
        if resolver.exists(resource)? {
            emulated.push(resource);
        }
    }
    let mut created = PhysicalIds::new();
    for resource in dependency_order(&emulated)? {
        let properties = resolver.properties(resource)?;
        let physical = create(clients, resolver, resource, &Props::root(&properties))
            .await
            .map_err(|message| AwsError::Resource {
                resource: resource.logical_id.clone(),
                kind: resource.kind.clone(),
                message,
            })?;
        tracing::info!(resource = %resource.logical_id, id = %physical.id, "created in moto");
        resolver.record(&resource.logical_id, physical.clone());
        created.insert(resource.logical_id.clone(), physical);
    }
    Ok(created)
}

async fn create(
    clients: &AwsClients,
    resolver: &Resolver<'_>,
    resource: &Resource,
    properties: &Props<'_>,
) -> Result<crate::template::Physical, String> {
    let deployment = resolver.deployment();
    let default_name = deployment.physical_name(&resource.logical_id);
    let named = |key: &str| -> Result<String, String> {
        Ok(properties
            .str(key)?
            .map_or_else(|| default_name.clone(), str::to_owned))
    };
    match resource.kind.as_str() {
        "AWS::DynamoDB::Table" => {
            dynamodb::create_table(&clients.dynamodb, &named("TableName")?, properties).await
        }
        "AWS::S3::Bucket" => {
            // Bucket names are lowercase only.
            let name = properties
                .str("BucketName")?
                .map_or_else(|| default_name.to_lowercase(), str::to_owned);
            s3::create_bucket(&clients.s3, &name, &deployment.region, properties).await
        }
        "AWS::SNS::Topic" => {
            let mut name = named("TopicName")?;
            if properties.bool("FifoTopic")?.unwrap_or(false) && !name.ends_with(".fifo") {
                name.push_str(".fifo");
            }
            sns::create_topic(&clients.sns, &name, properties).await
        }
        "AWS::Cognito::UserPool" => {
            cognito::create_user_pool(
                &clients.cognito,
                &named("UserPoolName")?,
                &deployment.region,
                properties,
            )
            .await
        }
        "AWS::Cognito::UserPoolClient" => {
            cognito::create_user_pool_client(&clients.cognito, &default_name, properties).await
        }
        other => Err(TemplateError::invalid(format!("no provisioning for {other}")).to_string()),
    }
}
