//! Posting frames to devices through the `@connections` API: concurrently and bounded, and a
//! post that finds the connection gone (410) removes *that* connection from its user's item.
//! A failed post loses nothing: the message is already stored and reaches the device by sync.

use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeSet;

use crate::connections::{Connection, Connections};
use crate::Error;
use parley_protocol::ServerFrame;

/// Posts in flight at once for one invocation.
pub const MAX_CONCURRENT_POSTS: usize = 32;

/// What became of a fan-out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    /// Connections that were gone; they were removed from their users' items.
    pub gone: usize,
    pub failed: usize,
    /// Users every one of whose devices turned out gone: they were offline after all.
    pub all_gone: BTreeSet<String>,
}

impl Report {
    fn of(outcomes: &[(&Connection, Posted)]) -> Self {
        let mut report = Report::default();
        let mut reached = BTreeSet::new();
        for (device, outcome) in outcomes {
            match outcome {
                Posted::Delivered => report.delivered += 1,
                Posted::Gone => report.gone += 1,
                Posted::Failed => report.failed += 1,
            }
            if *outcome == Posted::Gone {
                report.all_gone.insert(device.user_id.clone());
            } else {
                reached.insert(device.user_id.clone());
            }
        }
        report.all_gone.retain(|user| !reached.contains(user));
        report
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Delivered,
    Gone,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    api: aws_sdk_apigatewaymanagement::Client,
    connections: Connections,
}

impl Delivery {
    pub fn new(api: aws_sdk_apigatewaymanagement::Client, connections: Connections) -> Self {
        Self { api, connections }
    }

    /// A management API client for `endpoint` (this stage's `@connections` URL).
    pub fn api_client(
        aws: &aws_config::SdkConfig,
        endpoint: &str,
    ) -> aws_sdk_apigatewaymanagement::Client {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(aws)
            .endpoint_url(endpoint)
            .build();
        aws_sdk_apigatewaymanagement::Client::from_conf(config)
    }

    /// The `@connections` client.
    pub fn api(&self) -> &aws_sdk_apigatewaymanagement::Client {
        &self.api
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// Every live connection of every user in `users` (BatchGetItem, 100 users a request:
    /// [`Connections::of_users`]).
    pub async fn devices_of(
        &self,
        users: &[String],
        now_secs: i64,
    ) -> Result<Vec<Connection>, Error> {
        self.connections.of_users(users, now_secs).await
    }

    /// Posts `frame` to every device of every user in `users`.
    pub async fn post_to_users(
        &self,
        users: &[String],
        frame: &ServerFrame,
    ) -> Result<Report, Error> {
        let now_secs = crate::clock::now_ms() / 1000;
        let devices = self.devices_of(users, now_secs).await?;
        Ok(self.post_all(&devices, frame).await)
    }

    /// Posts `frame` to each of `devices`, concurrently.
    pub async fn post_all(&self, devices: &[Connection], frame: &ServerFrame) -> Report {
        let data = frame.to_json();
        let data = data.as_str();
        let outcomes: Vec<(&Connection, Posted)> = stream::iter(devices)
            .map(|device| async move { (device, self.post_text(device, data).await) })
            .buffer_unordered(MAX_CONCURRENT_POSTS)
            .collect()
            .await;
        Report::of(&outcomes)
    }

    /// Posts `frame` to one device; a gone device is removed from its user's item.
    pub async fn post(&self, device: &Connection, frame: &ServerFrame) -> Posted {
        self.post_text(device, &frame.to_json()).await
    }

    async fn post_text(&self, device: &Connection, data: &str) -> Posted {
        let result = self
            .api
            .post_to_connection()
            .connection_id(&device.connection_id)
            .data(Blob::new(data.as_bytes()))
            .send()
            .await;
        match result {
            Ok(_) => Posted::Delivered,
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PostToConnectionError::GoneException(_)) =>
            {
                tracing::info!(user = %device.user_id, connection = %device.connection_id, "connection gone, forgetting it");
                if let Err(error) = self
                    .connections
                    .remove(&device.user_id, &device.connection_id)
                    .await
                {
                    tracing::warn!(%error, "could not remove a gone connection");
                }
                Posted::Gone
            }
            Err(error) => {
                tracing::warn!(
                    connection = %device.connection_id,
                    error = %aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&error),
                    "post failed; the device will get the message by sync"
                );
                Posted::Failed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(user: &str, id: &str) -> Connection {
        Connection {
            user_id: user.into(),
            connection_id: id.into(),
            token_expires_at: 0,
            connected_at_ms: 0,
            device_id: None,
        }
    }

    #[test]
    fn a_user_is_all_gone_only_when_every_device_was() {
        let (b1, b2, c1, d1) = (
            device("b", "b1"),
            device("b", "b2"),
            device("c", "c1"),
            device("d", "d1"),
        );
        let report = Report::of(&[
            (&b1, Posted::Gone),
            (&b2, Posted::Delivered),
            (&c1, Posted::Gone),
            (&d1, Posted::Failed),
        ]);
        assert_eq!((report.delivered, report.gone, report.failed), (1, 2, 1));
        // b still has a device; d's post failed, which says nothing about the connection.
        assert_eq!(report.all_gone, BTreeSet::from(["c".to_owned()]));
    }
}
