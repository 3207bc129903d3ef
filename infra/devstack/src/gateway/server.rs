//! The gateway's one HTTP server: the WebSocket endpoint at `/{stage}` and the
//! `@connections` management API beside it, started on a listener and stopped through
//! [`Gateway::shutdown`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{any, get};
use axum::Router;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::access_log::AccessLogFormat;
use super::connections::ConnectionRegistry;
use super::events::ApiContext;
use super::handshake;
use super::ids;
use super::limits::{GatewayLimits, MAX_POST_BYTES};
use super::management_api;
use super::post_recorder::PostRecorder;
use super::routes::RouteTable;
use super::state::{SessionTracker, Shared};
use crate::lambda::Invoke;
use crate::stack_spec::WebSocketApiSpec;

/// What a gateway serves.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub api: WebSocketApiSpec,
    /// The region in ARNs (`methodArn`).
    pub region: String,
    /// `requestContext.apiId`; a random API Gateway-shaped id when `None`.
    pub api_id: Option<String>,
    pub limits: GatewayLimits,
    /// Where every `@connections` post body is appended (tests only; none by default).
    pub post_recorder: Option<Arc<PostRecorder>>,
}

impl GatewayConfig {
    pub fn new(api: WebSocketApiSpec, region: impl Into<String>) -> Self {
        Self {
            api,
            region: region.into(),
            api_id: None,
            limits: GatewayLimits::default(),
            post_recorder: None,
        }
    }

    pub fn with_limits(mut self, limits: GatewayLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn with_post_recorder(mut self, recorder: Arc<PostRecorder>) -> Self {
        self.post_recorder = Some(recorder);
        self
    }

    pub fn with_api_id(mut self, api_id: impl Into<String>) -> Self {
        self.api_id = Some(api_id.into());
        self
    }
}

/// A running API Gateway WebSocket API emulator.
pub struct Gateway {
    local_addr: SocketAddr,
    stage: String,
    api_id: String,
    stop: watch::Sender<bool>,
    sessions: Arc<SessionTracker>,
    /// Taken by [`Gateway::shutdown`].
    server: Option<JoinHandle<io::Result<()>>>,
}

impl Gateway {
    /// Serves on `listener` until [`Gateway::shutdown`] (or until dropped).
    pub async fn start<I: Invoke>(
        config: GatewayConfig,
        invoker: Arc<I>,
        listener: TcpListener,
    ) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let sessions = Arc::new(SessionTracker::default());
        let api_id = config.api_id.unwrap_or_else(ids::api_id);
        let stage = config.api.stage.clone();
        let shared = Arc::new(Shared {
            invoker,
            api: ApiContext {
                api_id: api_id.clone(),
                stage: stage.clone(),
                region: config.region,
            },
            routes: RouteTable::new(&config.api),
            registry: ConnectionRegistry::default(),
            limits: config.limits,
            post_recorder: config.post_recorder,
            access_log: config
                .api
                .access_log_format
                .clone()
                .map(AccessLogFormat::new),
            sessions: Arc::clone(&sessions),
            shutdown: stopped.clone(),
        });
        let app = router(&stage, shared);
        let mut server_stopped = stopped;
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = server_stopped.wait_for(|stopping| *stopping).await;
            })
            .await
        });
        tracing::info!(target: "parley_devstack::gateway", %local_addr, %stage, "gateway serving");
        Ok(Self {
            local_addr,
            stage,
            api_id,
            stop,
            sessions,
            server: Some(server),
        })
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves on it.
    pub async fn bind<I: Invoke>(
        config: GatewayConfig,
        invoker: Arc<I>,
        addr: impl ToSocketAddrs,
    ) -> io::Result<Self> {
        Self::start(config, invoker, TcpListener::bind(addr).await?).await
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn api_id(&self) -> &str {
        &self.api_id
    }

    /// What clients connect to, e.g. `ws://127.0.0.1:8080/prod` (add `?token=JWT`).
    pub fn websocket_url(&self) -> String {
        format!("ws://{}/{}", self.local_addr, self.stage)
    }

    /// The management API's endpoint, for `aws-sdk-apigatewaymanagement` and for the
    /// functions' `MANAGEMENT_ENDPOINT`, e.g. `http://127.0.0.1:8080/prod`.
    pub fn management_endpoint(&self) -> String {
        format!("http://{}/{}", self.local_addr, self.stage)
    }

    /// Closes every connection (1001, with `$disconnect` for each), then stops serving.
    pub async fn shutdown(mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        self.sessions.wait_all_done().await;
        match self.server.take() {
            Some(server) => server
                .await
                .unwrap_or_else(|join_error| Err(io::Error::other(join_error))),
            None => Ok(()),
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // Also stops the server and the sessions when the gateway is dropped unawaited.
        let _ = self.stop.send(true);
    }
}

fn router<I: Invoke>(stage: &str, shared: Arc<Shared<I>>) -> Router {
    let [raw, encoded] = management_api::paths(stage);
    let connection = || {
        get(management_api::get_connection::<I>)
            .post(management_api::post_to_connection::<I>)
            .delete(management_api::delete_connection::<I>)
    };
    Router::new()
        .route(&format!("/{stage}"), any(handshake::upgrade::<I>))
        .route(&raw, connection())
        .route(&encoded, connection())
        // Bodies a little over the post limit must reach the handler, which answers with
        // API Gateway's PayloadTooLargeException rather than axum's plain 413.
        .layer(DefaultBodyLimit::max(MAX_POST_BYTES * 8))
        .fallback(|| async {
            (
                StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({"message": "Forbidden"})),
            )
        })
        .with_state(shared)
}
