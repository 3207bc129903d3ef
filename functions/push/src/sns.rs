//! SNS mobile push: an endpoint per device token under its platform's application, and
//! publishing to one endpoint. SNS disables an endpoint when the push service reports its
//! token invalid; a publish to it then fails, and the caller forgets the device.

use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sns::types::MessageAttributeValue;
use parley_core::Error;

use crate::payload::Publication;
use crate::platform::Platform;
use crate::settings::Applications;

/// What became of one publish.
#[derive(Debug)]
pub enum Published {
    Sent,
    /// The endpoint is disabled or no longer exists: the device must be forgotten.
    Gone,
    /// Anything else (throttling, an outage): worth a retry.
    Failed(Error),
}

#[derive(Debug, Clone)]
pub struct Sns {
    client: aws_sdk_sns::Client,
    applications: Applications,
}

impl Sns {
    pub fn new(client: aws_sdk_sns::Client, applications: Applications) -> Self {
        Self {
            client,
            applications,
        }
    }

    pub fn is_off(&self) -> bool {
        self.applications.is_empty()
    }

    /// The enabled endpoint for `token`, created or reused (SNS's recommended sequence:
    /// create, which returns the existing endpoint for a known token; then re-enable it or
    /// set its token if SNS says otherwise).
    pub async fn endpoint_for(&self, platform: Platform, token: &str) -> Result<String, Error> {
        let application = self.applications.arn(platform).ok_or_else(|| {
            Error::bad_request(format!(
                "push to {} is not configured on this server",
                platform.as_str()
            ))
        })?;
        let created = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(application)
            .token(token)
            .send()
            .await;
        let endpoint_arn = match created {
            Ok(output) => output
                .endpoint_arn
                .ok_or_else(|| Error::internal("CreatePlatformEndpoint returned no ARN"))?,
            // An endpoint for this token exists with other attributes (disabled, say): SNS
            // names it in the message, the documented way to find it.
            Err(error) => match existing_endpoint(error.message().unwrap_or_default()) {
                Some(arn) if error.code() == Some("InvalidParameter") => arn,
                _ => return Err(Error::aws(error)),
            },
        };
        let attributes = self
            .client
            .get_endpoint_attributes()
            .endpoint_arn(&endpoint_arn)
            .send()
            .await
            .map_err(Error::aws)?
            .attributes
            .unwrap_or_default();
        let enabled = attributes
            .get("Enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let same_token = attributes.get("Token").is_some_and(|t| t == token);
        if !enabled || !same_token {
            self.client
                .set_endpoint_attributes()
                .endpoint_arn(&endpoint_arn)
                .attributes("Token", token)
                .attributes("Enabled", "true")
                .send()
                .await
                .map_err(Error::aws)?;
        }
        Ok(endpoint_arn)
    }

    /// Deletes an endpoint that no longer reaches a device (SNS keeps disabled ones).
    pub async fn delete_endpoint(&self, endpoint_arn: &str) -> Result<(), Error> {
        self.client
            .delete_endpoint()
            .endpoint_arn(endpoint_arn)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    pub async fn publish(&self, endpoint_arn: &str, publication: &Publication) -> Published {
        let mut request = self
            .client
            .publish()
            .target_arn(endpoint_arn)
            .message_structure("json")
            .message(&publication.message);
        for (name, value) in &publication.attributes {
            let attribute = match MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
            {
                Ok(attribute) => attribute,
                Err(error) => return Published::Failed(Error::internal(error)),
            };
            request = request.message_attributes(*name, attribute);
        }
        match request.send().await {
            Ok(_) => Published::Sent,
            Err(error) => {
                let gone = match error.code() {
                    Some("EndpointDisabled" | "NotFound") => true,
                    // A deleted endpoint: "Invalid parameter: TargetArn ... No endpoint found".
                    Some("InvalidParameter") => error
                        .message()
                        .is_some_and(|m| m.contains("No endpoint found")),
                    _ => false,
                };
                if gone {
                    tracing::info!(endpoint = %endpoint_arn, code = ?error.code(), "endpoint gone");
                    Published::Gone
                } else {
                    Published::Failed(Error::internal(format!(
                        "Publish: {}",
                        DisplayErrorContext(&error)
                    )))
                }
            }
        }
    }
}

/// The endpoint ARN in SNS's "Endpoint <arn> already exists with the same Token, but
/// different attributes." message.
fn existing_endpoint(message: &str) -> Option<String> {
    let start = message.find("arn:")?;
    let arn = message[start..].split_whitespace().next()?;
    Some(arn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_existing_endpoint_in_the_message() {
        let message = "Invalid parameter: Token Reason: Endpoint arn:aws:sns:us-east-1:1:endpoint/GCM/app/5d2c already exists with the same Token, but different attributes.";
        assert_eq!(
            existing_endpoint(message).as_deref(),
            Some("arn:aws:sns:us-east-1:1:endpoint/GCM/app/5d2c")
        );
        assert_eq!(existing_endpoint("Invalid parameter: Token"), None);
    }
}
