//! The web app (issue 14), served by the local stack next to its endpoints: the files Vite
//! built into `web/dist`, and `/config.json`, the stack's description (what stack.json says),
//! from which the page learns where the WebSocket API, Cognito and the outbox of codes are,
//! so nobody configures the app by hand. Deployed, the hosting bucket gets a `config.json`
//! made from the stack's outputs instead.
//!
//! The page is an origin of its own (`http://127.0.0.1:{web port}`), and its presigned PUTs
//! and GETs to the files bucket are cross-origin: [`allowed_origins`] adds it to the local
//! `AllowedWebOrigins`, so the bucket's CORS rule (checked locally as S3 checks it) lets the
//! served app upload and download, as a deployed stack lets its hosted app.
//!
//! Every response carries the security headers the hosted app gets from CloudFront, its
//! Content-Security-Policy made local (`crate::template::headers`).

use std::io;
use std::path::Path;

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::{middleware, Json, Router};
use tokio::net::TcpListener;

use crate::serving::Serving;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Whether `dir` holds a built app (`make dev` builds it; a bare `devstack` may run without).
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// The page's origins for a port, under both names a browser may be given.
pub fn origins(port: u16) -> [String; 2] {
    [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ]
}

/// `configured` (comma-separated, as the template's `CommaDelimitedList` takes it) with the
/// served app's origins added where missing.
pub fn allowed_origins(configured: &str, port: u16) -> String {
    let mut list: Vec<String> = configured
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    for origin in origins(port) {
        if !list.contains(&origin) {
            list.push(origin);
        }
    }
    list.join(",")
}

/// The running web server; stopped by [`WebApp::shutdown`] or when dropped.
pub struct WebApp {
    serving: Serving,
}

impl WebApp {
    /// Serves `dir` and `/config.json` (= `config`) on `listener`, every response with
    /// `headers` (name, value).
    pub fn start(
        listener: TcpListener,
        dir: &Path,
        config: serde_json::Value,
        headers: &[(String, String)],
    ) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let security = Arc::new(header_map(headers)?);
        // The config and the page name the stack of this run: never cached, so a browser
        // left open across restarts of `make dev` (new pool, new ports) picks up the new one.
        // Vite's assets carry content hashes in their names and may be cached.
        let no_store = SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        let app = Router::new()
            .route(
                "/config.json",
                get(move || {
                    let config = config.clone();
                    async move { Json(config) }
                }),
            )
            .route_service("/", ServeDir::new(dir))
            .route_service("/index.html", ServeDir::new(dir))
            .layer(no_store)
            .fallback_service(ServeDir::new(dir))
            // Last, so that it covers the assets (the fallback) too.
            .layer(middleware::map_response(move |mut response: Response| {
                let security = Arc::clone(&security);
                async move {
                    for (name, value) in security.iter() {
                        response.headers_mut().insert(name.clone(), value.clone());
                    }
                    response
                }
            }));
        let serving = Serving::start(listener, app, "web app")?;
        tracing::info!(%local_addr, dir = %dir.display(), "web app serving");
        Ok(Self { serving })
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.serving.local_addr())
    }

    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

fn header_map(headers: &[(String, String)]) -> io::Result<HeaderMap> {
    let invalid =
        |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str()).map_err(|e| invalid(&e))?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|e| invalid(&e))?;
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_origin_is_added_once() {
        assert_eq!(
            allowed_origins("http://localhost:5173,http://127.0.0.1:5173", 8792),
            "http://localhost:5173,http://127.0.0.1:5173,http://127.0.0.1:8792,http://localhost:8792"
        );
        assert_eq!(
            allowed_origins("http://127.0.0.1:8792", 8792),
            "http://127.0.0.1:8792,http://localhost:8792"
        );
        assert_eq!(
            allowed_origins("", 9000),
            "http://127.0.0.1:9000,http://localhost:9000"
        );
    }

    #[tokio::test]
    async fn serves_the_app_and_the_config() {
        let dir = std::env::temp_dir().join(format!("devstack-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>Parley</title>",
        )
        .unwrap();
        std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
        assert!(is_built(&dir));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = WebApp::start(
            listener,
            &dir,
            serde_json::json!({"websocketUrl": "ws://127.0.0.1:1/prod"}),
            &[
                (
                    "content-security-policy".into(),
                    "default-src 'self'".into(),
                ),
                ("x-frame-options".into(), "DENY".into()),
            ],
        )
        .unwrap();
        let http = reqwest::Client::new();
        let page = http.get(app.url()).send().await.unwrap();
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            page.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'"
        );
        assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(page.text().await.unwrap().contains("<title>Parley</title>"));
        let script = http
            .get(format!("{}assets/app.js", app.url()))
            .send()
            .await
            .unwrap();
        assert!(script.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript"));
        assert_eq!(
            script.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'"
        );
        let config: serde_json::Value = http
            .get(format!("{}config.json", app.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(config["websocketUrl"], "ws://127.0.0.1:1/prod");
        app.shutdown().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
