//! `AWS::DynamoDB::Table` → CreateTable (keys, indexes, billing, stream), then
//! UpdateTimeToLive and, as a best-effort extra, point-in-time recovery.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, PointInTimeRecoverySpecification, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::props::{Failure, Props};
use crate::template::Physical;

/// Creates the table; `Ref` is its name, `Arn` and (with a stream) `StreamArn` its attributes.
pub(super) async fn create_table(
    client: &Client,
    name: &str,
    properties: &Props<'_>,
) -> Result<Physical, Failure> {
    let mut request = client
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(properties)?))
        .set_attribute_definitions(Some(
            properties
                .list("AttributeDefinitions")?
                .iter()
                .map(|definition| {
                    AttributeDefinition::builder()
                        .attribute_name(definition.required_str("AttributeName")?)
                        .attribute_type(ScalarAttributeType::from(
                            definition.required_str("AttributeType")?,
                        ))
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<_, Failure>>()?,
        ));

    // CloudFormation's default is PROVISIONED, which needs throughput; without either,
    // on-demand is the only mode that can work.
    let default_mode = if properties.has("ProvisionedThroughput") {
        "PROVISIONED"
    } else {
        "PAY_PER_REQUEST"
    };
    let billing_mode = properties.str("BillingMode")?.unwrap_or(default_mode);
    request = request.billing_mode(BillingMode::from(billing_mode));
    if let Some(throughput) = properties.object("ProvisionedThroughput")? {
        request = request.provisioned_throughput(provisioned_throughput(&throughput)?);
    }
    for index in properties.list("GlobalSecondaryIndexes")? {
        let mut gsi = GlobalSecondaryIndex::builder()
            .index_name(index.required_str("IndexName")?)
            .set_key_schema(Some(key_schema(&index)?))
            .projection(projection(&index)?);
        if let Some(throughput) = index.object("ProvisionedThroughput")? {
            gsi = gsi.provisioned_throughput(provisioned_throughput(&throughput)?);
        }
        request = request.global_secondary_indexes(gsi.build().map_err(|e| e.to_string())?);
    }
    for index in properties.list("LocalSecondaryIndexes")? {
        let lsi = LocalSecondaryIndex::builder()
            .index_name(index.required_str("IndexName")?)
            .set_key_schema(Some(key_schema(&index)?))
            .projection(projection(&index)?)
            .build()
            .map_err(|e| e.to_string())?;
        request = request.local_secondary_indexes(lsi);
    }
    if let Some(stream) = properties.object("StreamSpecification")? {
        let view_type = stream.required_str("StreamViewType")?;
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view_type))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }

    let created = request
        .send()
        .await
        .map_err(|e| format!("CreateTable: {}", DisplayErrorContext(&e)))?;
    let description = created.table_description();

    if let Some(ttl) = properties.object("TimeToLiveSpecification")? {
        if ttl.bool("Enabled")?.unwrap_or(false) {
            let specification = TimeToLiveSpecification::builder()
                .attribute_name(ttl.required_str("AttributeName")?)
                .enabled(true)
                .build()
                .map_err(|e| e.to_string())?;
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(specification)
                .send()
                .await
                .map_err(|e| format!("UpdateTimeToLive: {}", DisplayErrorContext(&e)))?;
        }
    }
    enable_point_in_time_recovery(client, name, properties).await?;

    let mut physical = Physical::new(name);
    if let Some(arn) = description.and_then(|d| d.table_arn()) {
        physical = physical.with("Arn", arn);
    }
    if let Some(stream_arn) = description.and_then(|d| d.latest_stream_arn()) {
        physical = physical.with("StreamArn", stream_arn);
    }
    Ok(physical)
}

/// Nothing local depends on backups, so a refusal is logged, not fatal.
async fn enable_point_in_time_recovery(
    client: &Client,
    name: &str,
    properties: &Props<'_>,
) -> Result<(), Failure> {
    let Some(pitr) = properties.object("PointInTimeRecoverySpecification")? else {
        return Ok(());
    };
    if !pitr.bool("PointInTimeRecoveryEnabled")?.unwrap_or(false) {
        return Ok(());
    }
    let specification = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|e| e.to_string())?;
    if let Err(error) = client
        .update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(specification)
        .send()
        .await
    {
        tracing::debug!(table = name, error = %DisplayErrorContext(&error), "point-in-time recovery not enabled");
    }
    Ok(())
}

fn key_schema(properties: &Props<'_>) -> Result<Vec<KeySchemaElement>, Failure> {
    properties
        .list("KeySchema")?
        .iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(key.required_str("AttributeName")?)
                .key_type(KeyType::from(key.required_str("KeyType")?))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn projection(index: &Props<'_>) -> Result<Projection, Failure> {
    let Some(projection) = index.object("Projection")? else {
        return Ok(Projection::builder()
            .projection_type(ProjectionType::All)
            .build());
    };
    let mut builder = Projection::builder().set_non_key_attributes(
        Some(projection.strings("NonKeyAttributes")?).filter(|attributes| !attributes.is_empty()),
    );
    if let Some(kind) = projection.str("ProjectionType")? {
        builder = builder.projection_type(ProjectionType::from(kind));
    }
    Ok(builder.build())
}

fn provisioned_throughput(throughput: &Props<'_>) -> Result<ProvisionedThroughput, Failure> {
    ProvisionedThroughput::builder()
        .set_read_capacity_units(throughput.int("ReadCapacityUnits")?)
        .set_write_capacity_units(throughput.int("WriteCapacityUnits")?)
        .build()
        .map_err(|e| e.to_string())
}
