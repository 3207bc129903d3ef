//! `AWS::SNS::Topic` → CreateTopic. `Ref` of a topic is its ARN, as in CloudFormation.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::Client;

use super::props::{Failure, Props};
use crate::template::Physical;

pub(super) async fn create_topic(
    client: &Client,
    name: &str,
    properties: &Props<'_>,
) -> Result<Physical, Failure> {
    let mut request = client.create_topic().name(name);
    if properties.bool("FifoTopic")?.unwrap_or(false) {
        request = request.attributes("FifoTopic", "true");
    }
    if let Some(display_name) = properties.str("DisplayName")? {
        request = request.attributes("DisplayName", display_name);
    }
    let created = request
        .send()
        .await
        .map_err(|e| format!("CreateTopic: {}", DisplayErrorContext(&e)))?;
    let arn = created.topic_arn().ok_or("CreateTopic returned no ARN")?;
    Ok(Physical::new(arn)
        .with("TopicArn", arn)
        .with("TopicName", name))
}
