//! What an action works with: the AWS-backed services (built once per cold start, in
//! `main`) and the device a frame came from. Actions and steps both use them, so they live
//! apart from either.

use parley_core::connections::Connection;
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::users::Users;
use parley_core::Error;

/// The AWS-backed services an action may use, built once per cold start.
pub struct Services {
    pub store: Store,
    pub delivery: Delivery,
    /// Registered users, for `lookup`.
    pub users: Users,
    /// Per-user rate limits ([`parley_core::rate_limit::cost_of`]).
    pub limits: RateLimiter,
    /// The files bucket, where a delete for everyone removes the attachment.
    pub files: Files,
}

/// The files bucket, for deleting a deleted message's attachment (the files function
/// presigns uploads and downloads; only this one deletes).
pub struct Files {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Files {
    /// Against a custom endpoint (the local stack's emulator on 127.0.0.1) objects are
    /// addressed by path, since no bucket subdomain resolves there.
    pub fn new(aws: &aws_config::SdkConfig, bucket: String) -> Self {
        let mut config = aws_sdk_s3::config::Builder::from(aws);
        if aws.endpoint_url().is_some() {
            config = config.force_path_style(true);
        }
        Self {
            s3: aws_sdk_s3::Client::from_conf(config.build()),
            bucket,
        }
    }

    /// Deletes the object at `key` (deleting what is gone succeeds: S3 answers 204).
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }
}

/// The device a frame came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub connection_id: String,
}

impl Caller {
    /// This device as a delivery target (for frames posted back to it).
    pub fn device(&self) -> Connection {
        Connection {
            user_id: self.user_id.clone(),
            connection_id: self.connection_id.clone(),
            token_expires_at: 0,
            connected_at_ms: 0,
            device_id: None,
        }
    }
}
