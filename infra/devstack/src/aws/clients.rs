//! SDK clients pointed at moto: its endpoint, the stack's region, static dummy credentials
//! (so no profile, SSO or instance metadata is ever consulted).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

use crate::template::local::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

/// One client per service the template's resources live in.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
}

impl AwsClients {
    pub async fn new(endpoint: &str, region: &str) -> Self {
        let config = sdk_config(endpoint, region).await;
        // moto serves buckets by path, not as `<bucket>.127.0.0.1` hosts.
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sns: aws_sdk_sns::Client::new(&config),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&config),
        }
    }
}

/// The shared SDK configuration for talking to moto.
pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "parley-devstack",
        ))
        .load()
        .await
}
