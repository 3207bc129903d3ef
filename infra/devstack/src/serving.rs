//! A plain HTTP server of the local stack (the AWS proxy, the web app) running in its own
//! task: served until [`Serving::shutdown`], or stopped when dropped.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Serving {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<io::Result<()>>>,
    /// What it serves, for the log.
    name: &'static str,
}

impl Serving {
    /// Serves `app` on `listener`.
    pub fn start(listener: TcpListener, app: Router, name: &'static str) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stopping| *stopping).await;
                })
                .await
        });
        Ok(Self {
            local_addr,
            stop,
            server: Some(server),
            name,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            if let Ok(Err(error)) = server.await {
                tracing::warn!(%error, server = self.name, "stopped with an error");
            }
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
