//! The AWS request proxy between the functions and the emulators: the functions'
//! `AWS_ENDPOINT_URL` and `MANAGEMENT_ENDPOINT` name it, and it forwards every request
//! unchanged, to moto or (`@connections`) to the gateway emulator, and records each in
//! [`Metrics`]: who called which operation of which service, the DynamoDB capacity it
//! consumed and how long the emulator took.
//!
//! One request flows through [`forward::handle`]: classify, check it against the calling
//! function's role ([`crate::iam`]; a refusal is answered without forwarding), inject a
//! fault if [`crate::faults`] says so (answered without forwarding), forward, measure,
//! record. Browsers' cross-origin requests to a bucket go through [`s3_cors`] around it
//! first, which answers as S3 would under the bucket's CORS configuration.

mod capacity;
mod classify;
mod forward;
pub mod metrics;
pub mod s3_cors;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::serving::Serving;

use crate::cognito::LocalCognito;
use crate::iam::Authorizer;
use metrics::Metrics;

pub use capacity::item_size;
pub use classify::{classify, is_management, Operation};

/// Where the proxy forwards to.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstreams {
    /// moto, e.g. `http://127.0.0.1:40123`.
    pub aws: String,
    /// The gateway emulator's origin, e.g. `http://127.0.0.1:8790`, for `@connections`.
    pub management: String,
}

/// A running proxy; stopped by [`AwsProxy::shutdown`] or when dropped.
pub struct AwsProxy {
    serving: Serving,
}

impl AwsProxy {
    /// Serves on `listener`: the routes of `own` first (the devstack's control API), every
    /// other request checked by `iam` and forwarded.
    pub fn start(
        listener: TcpListener,
        upstreams: Upstreams,
        metrics: Arc<Metrics>,
        iam: Arc<Authorizer>,
        own: Router,
        cognito: Option<Arc<LocalCognito>>,
    ) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let bucket_cors = Arc::new(s3_cors::BucketCors::new(upstreams.aws.clone()));
        let proxy = Arc::new(forward::Proxy::new(upstreams, metrics, iam, cognito));
        let app = own.fallback(move |request: axum::extract::Request| {
            let proxy = Arc::clone(&proxy);
            s3_cors::around(Arc::clone(&bucket_cors), request, move |request| {
                forward::handle(proxy, request)
            })
        });
        let serving = Serving::start(listener, app, "AWS proxy")?;
        tracing::info!(%local_addr, "AWS proxy serving");
        Ok(Self { serving })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.serving.local_addr())
    }

    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}
