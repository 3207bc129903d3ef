//! SNS platform applications for the local stack: one per platform the template has a
//! `…PlatformApplicationArn` parameter for, created in moto with dummy credentials, their
//! ARNs given to those parameters (unless `--parameter` set one already).

use aws_sdk_sns::error::DisplayErrorContext;

use crate::aws::{AwsClients, AwsError};
use crate::template::Resolver;

/// Dummy credential attributes of a platform application: placeholders, never sent
/// anywhere (moto checks nothing).
type Credentials = &'static [(&'static str, &'static str)];

/// (template parameter, SNS platform, dummy credentials).
const PLATFORMS: &[(&str, &str, Credentials)] = &[
    (
        "FcmPlatformApplicationArn",
        "GCM",
        &[("PlatformCredential", "local-dummy-fcm-key")],
    ),
    (
        "ApnsPlatformApplicationArn",
        "APNS",
        &[
            ("PlatformPrincipal", "local-dummy-certificate"),
            ("PlatformCredential", "local-dummy-private-key"),
        ],
    ),
    (
        "ApnsSandboxPlatformApplicationArn",
        "APNS_SANDBOX",
        &[
            ("PlatformPrincipal", "local-dummy-certificate"),
            ("PlatformCredential", "local-dummy-private-key"),
        ],
    ),
];

/// Creates the applications and records their ARNs as parameter values in `resolver`.
pub async fn create_platform_applications(
    clients: &AwsClients,
    resolver: &mut Resolver<'_>,
    given: &[String],
) -> Result<(), AwsError> {
    for (parameter, platform, attributes) in PLATFORMS {
        if resolver.template().parameter(parameter).is_none()
            || given.iter().any(|name| name == parameter)
        {
            continue;
        }
        let mut request = clients
            .sns
            .create_platform_application()
            .name(format!(
                "{}-{}",
                resolver.deployment().stack_name,
                platform.to_lowercase()
            ))
            .platform(*platform);
        for (name, value) in *attributes {
            request = request.attributes(*name, *value);
        }
        let failure = |message: String| AwsError::Resource {
            resource: parameter.to_string(),
            kind: "SNS platform application".into(),
            message,
        };
        let arn = request
            .send()
            .await
            .map_err(|e| {
                failure(format!(
                    "CreatePlatformApplication: {}",
                    DisplayErrorContext(&e)
                ))
            })?
            .platform_application_arn
            .ok_or_else(|| failure("CreatePlatformApplication returned no ARN".into()))?;
        tracing::info!(parameter, %arn, "platform application created in moto");
        resolver
            .set_parameter(parameter, &arn)
            .map_err(AwsError::Template)?;
    }
    Ok(())
}
