//! The event Lambda hands a function for a batch of DynamoDB stream records: the records
//! as GetRecords returns them, in the stream's JSON shape (`{"S": ...}` attribute values),
//! each with the `eventSourceARN` of its stream, under `Records`.

use aws_sdk_dynamodbstreams::types::Record;
use serde_json::{json, Map, Value as Json};

/// One record as Lambda puts it into the event.
pub fn lambda_record(record: &Record, stream_arn: &str) -> Json {
    let mut change = Map::new();
    if let Some(stream) = record.dynamodb() {
        if let Some(created) = stream.approximate_creation_date_time() {
            change.insert(
                "ApproximateCreationDateTime".into(),
                json!(created.secs() as f64),
            );
        }
        for (key, image) in [
            ("Keys", stream.keys()),
            ("NewImage", stream.new_image()),
            ("OldImage", stream.old_image()),
        ] {
            if let Some(image) = image {
                let item = serde_dynamo::Item::from(image.clone());
                change.insert(key.into(), serde_json::to_value(item).unwrap_or_default());
            }
        }
        if let Some(sequence_number) = stream.sequence_number() {
            change.insert("SequenceNumber".into(), json!(sequence_number));
        }
        if let Some(size) = stream.size_bytes() {
            change.insert("SizeBytes".into(), json!(size));
        }
        if let Some(view) = stream.stream_view_type() {
            change.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    let mut event = json!({
        "eventID": record.event_id().unwrap_or_default(),
        "eventName": record.event_name().map(|n| n.as_str()).unwrap_or_default(),
        "eventVersion": record.event_version().unwrap_or("1.1"),
        "eventSource": record.event_source().unwrap_or("aws:dynamodb"),
        "awsRegion": record.aws_region().unwrap_or_default(),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    });
    // TTL deletions say who deleted: DynamoDB itself.
    if let Some(identity) = record.user_identity() {
        event["userIdentity"] = json!({
            "type": identity.r#type().unwrap_or_default(),
            "principalId": identity.principal_id().unwrap_or_default(),
        });
    }
    event
}

/// The sequence number of a record (what `batchItemFailures` names).
pub fn sequence_number(record: &Record) -> &str {
    record
        .dynamodb()
        .and_then(|d| d.sequence_number())
        .unwrap_or_default()
}

/// The whole event for `records`.
pub fn batch_event(records: &[Record], stream_arn: &str) -> Json {
    json!({
        "Records": records
            .iter()
            .map(|record| lambda_record(record, stream_arn))
            .collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use aws_sdk_dynamodbstreams::types::{AttributeValue, OperationType, StreamRecord};
    use std::collections::HashMap;

    #[test]
    fn the_event_reads_as_lambdas_dynamodb_event() {
        let image = HashMap::from([
            ("userId".to_owned(), AttributeValue::S("bob".into())),
            ("sk".to_owned(), AttributeValue::S("p#1".into())),
            ("seq".to_owned(), AttributeValue::N("7".into())),
        ]);
        let record = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(
                        aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(1_700_000_000),
                    )
                    .set_keys(Some(image.clone()))
                    .set_new_image(Some(image))
                    .sequence_number("100")
                    .size_bytes(20)
                    .stream_view_type(aws_sdk_dynamodbstreams::types::StreamViewType::NewImage)
                    .build(),
            )
            .build();
        let json = batch_event(&[record], "arn:aws:dynamodb:us-east-1:0:table/t/stream/s");
        assert_eq!(
            json["Records"][0]["dynamodb"]["NewImage"]["seq"],
            json!({"N": "7"})
        );
        assert_eq!(json["Records"][0]["eventName"], "INSERT");
        let event: Event = serde_json::from_value(json).unwrap();
        let record = &event.records[0];
        assert_eq!(
            record.event_source_arn.as_deref(),
            Some("arn:aws:dynamodb:us-east-1:0:table/t/stream/s")
        );
        assert_eq!(record.change.sequence_number.as_deref(), Some("100"));
        assert_eq!(
            record.change.approximate_creation_date_time.timestamp(),
            1_700_000_000
        );
    }
}
