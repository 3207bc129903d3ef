//! The access log, captured from `tracing`: one line per event, and never a token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::support::*;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// The default (current-thread) runtime keeps every gateway task on this thread, where the
// capturing subscriber is installed.
#[tokio::test]
async fn access_lines_are_written_and_never_contain_a_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // tracing-core treats a lone registered dispatcher as the global one and caches, for
    // callsites first hit on other test threads, the interest of *their* (empty) default,
    // which would silence this thread's subscriber too. A second live dispatcher makes it
    // ask every registered dispatcher instead.
    let _second_dispatcher = tracing::Dispatch::new(tracing_subscriber::registry());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let gw = TestGateway::start().await;
    let secret = "user:s3cr3t-t0ken";
    let mut request = format!("{}?token={secret}&x=1", gw.gateway.websocket_url())
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Authorization",
        "Bearer also-s3cr3t".parse().expect("header"),
    );
    let (mut client, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connected");
    send_text(&mut client, r#"{"action":"echo"}"#).await;
    next_text(&mut client).await;
    send_text(&mut client, r#"{"action":"crash"}"#).await;
    next_text(&mut client).await;
    client.close(None).await.expect("closed");
    gw.functions.wait_for("DisconnectFunction", 1).await;
    // The access line follows the invocation's end.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !captured.text().contains("DISCONNECT $disconnect") {
        assert!(tokio::time::Instant::now() < deadline, "no disconnect line");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(gw.try_connect("token=bad-s3cr3t").await.err(), Some(401));
    drop(gw);
    drop(client.flush().await);

    let log = captured.text();
    let access: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("gateway::access"))
        .collect();
    assert!(
        access
            .iter()
            .any(|l| l.contains("CONNECT $connect AuthorizerFunction 200")),
        "{log}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("CONNECT $connect ConnectFunction 200")),
        "{log}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("MESSAGE echo EchoFunction 200")),
        "{log}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("MESSAGE crash CrashFunction 500")),
        "{log}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("DISCONNECT $disconnect DisconnectFunction 1005")),
        "{log}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.contains("CONNECT $connect AuthorizerFunction 401")),
        "{log}"
    );
    assert!(access.iter().all(|l| l.contains("ms=")), "{log}");
    assert!(!log.contains("s3cr3t"), "a token reached the log:\n{log}");
}
