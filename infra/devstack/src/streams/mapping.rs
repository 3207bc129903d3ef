//! The stream event source mappings the template declares: `Events` of type `DynamoDB` on
//! an `AWS::Serverless::Function`, with Lambda's defaults where a setting is left out.

use std::time::Duration;

use serde_json::Value as Json;

use super::filter::Filter;
use crate::template::{Resolver, TemplateError, FUNCTION_KIND};

/// Lambda's defaults for a DynamoDB stream mapping.
const DEFAULT_BATCH_SIZE: usize = 100;

/// Where a mapping starts reading a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    Latest,
    TrimHorizon,
}

/// One DynamoDB stream → function mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMapping {
    /// `<function>.<event>`, for the log.
    pub name: String,
    /// The function's logical id (what the lambda pool knows it by).
    pub function: String,
    pub stream_arn: String,
    pub starting_position: StartingPosition,
    pub batch_size: usize,
    pub batching_window: Duration,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_item_failures: bool,
    /// `None`: retry until the record is too old (Lambda's -1).
    pub max_retries: Option<u32>,
    pub bisect_on_error: bool,
    pub max_record_age: Option<Duration>,
    /// The on-failure destination's ARN, if any.
    pub on_failure: Option<String>,
    /// `FilterCriteria.Filters[].Pattern` ([`super::filter`]).
    pub filters: Vec<Filter>,
}

/// Every DynamoDB stream mapping of the functions that exist in this deployment.
pub fn stream_mappings(resolver: &Resolver) -> Result<Vec<StreamMapping>, TemplateError> {
    let mut mappings = Vec::new();
    for resource in resolver.template().resources_of_kind(FUNCTION_KIND) {
        if !resolver.exists(resource)? {
            continue;
        }
        let Some(events) = resource.property("Events") else {
            continue;
        };
        let Some(Json::Object(events)) = resolver.resolve(events)? else {
            continue;
        };
        for (event, declaration) in &events {
            if declaration.get("Type").and_then(Json::as_str) != Some("DynamoDB") {
                continue;
            }
            let name = format!("{}.{event}", resource.logical_id);
            let properties = declaration.get("Properties").cloned().unwrap_or_default();
            mappings.push(
                mapping(&name, &resource.logical_id, &properties)
                    .map_err(|e| e.context(format!("event {name}")))?,
            );
        }
    }
    Ok(mappings)
}

fn mapping(name: &str, function: &str, properties: &Json) -> Result<StreamMapping, TemplateError> {
    let text = |key: &str| properties.get(key).and_then(Json::as_str);
    // Numbers may come as YAML numbers or as strings (parameters).
    let number = |key: &str| -> Result<Option<i64>, TemplateError> {
        match properties.get(key) {
            None => Ok(None),
            Some(Json::Number(n)) => Ok(n.as_i64()),
            Some(Json::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| TemplateError::invalid(format!("{key} {s:?} is not a number"))),
            Some(other) => Err(TemplateError::invalid(format!(
                "{key} {other} is not a number"
            ))),
        }
    };
    let flag = |key: &str| match properties.get(key) {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => s == "true",
        _ => false,
    };
    let stream_arn = text("Stream")
        .ok_or_else(|| TemplateError::invalid("no Stream ARN"))?
        .to_owned();
    let starting_position = match text("StartingPosition") {
        Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
        Some("LATEST") | None => StartingPosition::Latest,
        Some(other) => {
            return Err(TemplateError::invalid(format!(
                "StartingPosition {other} is not supported locally"
            )))
        }
    };
    let report_item_failures = properties
        .get("FunctionResponseTypes")
        .and_then(Json::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures"));
    let filters = properties
        .pointer("/FilterCriteria/Filters")
        .and_then(Json::as_array)
        .map(|filters| {
            filters
                .iter()
                .map(
                    |filter| match filter.get("Pattern").and_then(Json::as_str) {
                        Some(pattern) => Filter::parse(pattern),
                        None => Err(TemplateError::invalid("a filter without a Pattern string")),
                    },
                )
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(StreamMapping {
        name: name.to_owned(),
        filters,
        function: function.to_owned(),
        stream_arn,
        starting_position,
        batch_size: number("BatchSize")?.map_or(DEFAULT_BATCH_SIZE, |n| n.max(1) as usize),
        batching_window: Duration::from_secs(
            number("MaximumBatchingWindowInSeconds")?
                .unwrap_or(0)
                .max(0) as u64,
        ),
        report_item_failures,
        max_retries: number("MaximumRetryAttempts")?
            .filter(|n| *n >= 0)
            .map(|n| n as u32),
        bisect_on_error: flag("BisectBatchOnFunctionError"),
        max_record_age: number("MaximumRecordAgeInSeconds")?
            .filter(|n| *n >= 0)
            .map(|n| Duration::from_secs(n as u64)),
        on_failure: properties
            .pointer("/DestinationConfig/OnFailure/Destination")
            .and_then(Json::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Deployment, Physical, Template};

    #[test]
    fn reads_the_settings_with_lambdas_defaults() {
        let template = Template::parse(
            r#"
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Queue: {Type: AWS::SQS::Queue}
  Push:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/push
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 3
            BisectBatchOnFunctionError: true
            DestinationConfig:
              OnFailure: {Type: SQS, Destination: !GetAtt Queue.Arn}
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "p#"}]}}}}'
        Other:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/plain
      Events:
        Minimal:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON}
"#,
        )
        .unwrap();
        let mut resolver = Resolver::new(
            &template,
            Deployment::local(&template, "us-east-1", &Default::default()),
        )
        .unwrap();
        resolver.record("Table", Physical::new("t").with("StreamArn", "arn:stream"));
        resolver.record("Queue", Physical::new("q").with("Arn", "arn:queue"));
        let mappings = stream_mappings(&resolver).unwrap();
        assert_eq!(
            mappings,
            [
                StreamMapping {
                    name: "Push.Stream".into(),
                    function: "Push".into(),
                    stream_arn: "arn:stream".into(),
                    starting_position: StartingPosition::Latest,
                    batch_size: 10,
                    batching_window: Duration::from_secs(1),
                    report_item_failures: true,
                    max_retries: Some(3),
                    bisect_on_error: true,
                    max_record_age: None,
                    on_failure: Some("arn:queue".into()),
                    filters: vec![Filter::parse(
                        r#"{"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "p#"}]}}}}"#
                    )
                    .unwrap()],
                },
                StreamMapping {
                    name: "Plain.Minimal".into(),
                    function: "Plain".into(),
                    stream_arn: "arn:stream".into(),
                    starting_position: StartingPosition::TrimHorizon,
                    batch_size: 100,
                    batching_window: Duration::ZERO,
                    report_item_failures: false,
                    max_retries: None,
                    bisect_on_error: false,
                    max_record_age: None,
                    on_failure: None,
                    filters: Vec::new(),
                }
            ]
        );
    }
}
