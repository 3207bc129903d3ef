//! The worker against a fake gateway on a local port: reconnecting and syncing again after
//! a close, fresh tokens after a refused handshake or an `unauthorized` frame, the `ping`
//! keepalive, and moving to a new connection before leaving the old one.

use futures_util::{SinkExt, StreamExt};
use parley_protocol::client::Send;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{Command, Timing, Worker};
use crate::chat::Chat;
use crate::events::Event;
use crate::store::{Store, Tick};
use crate::token_source::{TokenError, TokenSource};
use crate::Tokens;

/// How long anything the test waits for may take.
const WAIT: Duration = Duration::from_secs(10);

struct Gateway {
    url: String,
    accepted: mpsc::UnboundedReceiver<Conn>,
    /// Tokens whose handshake is refused with 403.
    refuse: Arc<Mutex<Vec<String>>>,
}

struct Conn {
    token: String,
    ws: WebSocketStream<TcpStream>,
}

async fn gateway() -> Gateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/stage", listener.local_addr().unwrap());
    let refuse = Arc::new(Mutex::new(Vec::<String>::new()));
    let (tx, accepted) = mpsc::unbounded_channel();
    let refused = refuse.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let refused = refused.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let token = Arc::new(Mutex::new(String::new()));
                let seen = token.clone();
                // tungstenite's handshake callback returns its error response by value.
                #[allow(clippy::result_large_err)]
                let callback = move |request: &Request, response: Response| {
                    let presented = request
                        .uri()
                        .query()
                        .and_then(|q| q.strip_prefix("token="))
                        .unwrap_or_default()
                        .to_owned();
                    *seen.lock().unwrap() = presented.clone();
                    if refused.lock().unwrap().contains(&presented) {
                        let refusal: ErrorResponse =
                            Response::builder().status(403).body(None).unwrap();
                        return Err(refusal);
                    }
                    Ok(response)
                };
                if let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await {
                    let token = token.lock().unwrap().clone();
                    let _ = tx.send(Conn { token, ws });
                }
            });
        }
    });
    Gateway {
        url,
        accepted,
        refuse,
    }
}

impl Gateway {
    async fn next(&mut self) -> Conn {
        tokio::time::timeout(WAIT, self.accepted.recv())
            .await
            .expect("a connection within the wait")
            .unwrap()
    }
}

impl Conn {
    /// The next text frame from the client, as JSON; None once it closed. The `chats`
    /// listing that follows each catch-up sync is passed over (chat::tests cover it).
    async fn frame(&mut self) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the wait");
            match next {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if frame["action"] != "chats" {
                        return Some(frame);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }
}

/// Counts refreshes; each hands out `fresh<n>`.
#[derive(Clone, Default)]
struct CountingSource(Arc<AtomicU32>);

impl TokenSource for CountingSource {
    async fn refresh(&self, current: &Tokens) -> Result<Tokens, TokenError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Tokens {
            id_token: format!("fresh{n}"),
            ..current.clone()
        })
    }
}

struct Running {
    events: mpsc::UnboundedReceiver<Event>,
    commands: mpsc::UnboundedSender<Command>,
    refreshes: CountingSource,
    _dir: tempfile::TempDir,
}

fn start(url: &str, timing: Timing) -> Running {
    start_expiring(url, timing, i64::MAX / 2)
}

/// A worker whose stored ID token expires at `expires_at` (epoch seconds).
fn start_expiring(url: &str, timing: Timing, expires_at: i64) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("s")).unwrap());
    store
        .save_tokens(&Tokens {
            user_id: "alice".into(),
            username: "a@x.io".into(),
            id_token: "first".into(),
            access_token: "access".into(),
            refresh_token: "refresh".into(),
            expires_at,
        })
        .unwrap();
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (events, event_rx) = mpsc::unbounded_channel();
    let refreshes = CountingSource::default();
    let worker = Worker {
        websocket_url: url.to_owned(),
        chat: Chat::new(store.clone(), "alice".into(), Instant::now()).unwrap(),
        store,
        tokens: refreshes.clone(),
        commands: command_rx,
        events,
        timing,
        e2e_handle: None,
        e2e: None,
    };
    tokio::spawn(worker.run());
    Running {
        events: event_rx,
        commands,
        refreshes,
        _dir: dir,
    }
}

impl Running {
    async fn until(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if wanted(&event) => return,
                Ok(Some(_)) => {}
                _ => panic!("{what} did not come"),
            }
        }
    }
}

#[tokio::test]
async fn a_closed_connection_is_reopened_and_syncs_again_from_the_cursor() {
    let mut gw = gateway().await;
    let _client = start(&gw.url, Timing::default());
    let mut first = gw.next().await;
    assert_eq!(first.token, "first");
    assert_eq!(first.frame().await.unwrap(), json!({"action": "sync"}));
    first
        .send(json!({"type": "synced", "cursor": "c1", "more": false}))
        .await;
    first.ws.close(None).await.unwrap();
    let mut second = gw.next().await;
    assert_eq!(
        second.frame().await.unwrap(),
        json!({"action": "sync", "cursor": "c1"})
    );
}

#[tokio::test]
async fn a_refused_handshake_gets_fresh_tokens() {
    let mut gw = gateway().await;
    gw.refuse.lock().unwrap().push("first".into());
    let client = start(&gw.url, Timing::default());
    let conn = gw.next().await;
    assert_eq!(conn.token, "fresh1");
    assert_eq!(client.refreshes.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_connecting() {
    let mut gw = gateway().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let client = start_expiring(&gw.url, Timing::default(), now + 60);
    assert_eq!(gw.next().await.token, "fresh1");
    assert_eq!(client.refreshes.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unauthorized_frame_gets_fresh_tokens_and_a_new_connection() {
    let mut gw = gateway().await;
    let _client = start(&gw.url, Timing::default());
    let mut first = gw.next().await;
    first.frame().await.unwrap();
    first
        .send(json!({"type": "error", "code": "unauthorized", "message": "expired"}))
        .await;
    let second = gw.next().await;
    assert_eq!(second.token, "fresh1");
}

#[tokio::test]
async fn an_idle_connection_gets_a_ping_keepalive_and_an_unanswered_one_is_replaced() {
    let mut gw = gateway().await;
    let timing = Timing {
        keepalive_after: Duration::from_millis(300),
        keepalive_timeout: Duration::from_millis(300),
        ..Timing::default()
    };
    let _client = start(&gw.url, timing);
    let mut first = gw.next().await;
    first.frame().await.unwrap();
    first
        .send(json!({"type": "synced", "cursor": "c1", "more": false}))
        .await;
    let started = Instant::now();
    assert_eq!(
        first.frame().await.unwrap(),
        json!({"action": "ping"}),
        "the keepalive"
    );
    assert!(started.elapsed() >= Duration::from_millis(250));
    // Answered: the connection lives on, and the next idle spell gets the next ping.
    first.send(json!({"type": "pong"})).await;
    assert_eq!(first.frame().await.unwrap(), json!({"action": "ping"}));
    // Unanswered: the connection is dead to the client, which opens another.
    let mut second = gw.next().await;
    assert_eq!(second.frame().await.unwrap()["action"], "sync");
}

#[tokio::test]
async fn a_connection_is_replaced_before_its_end_and_the_old_one_read_out() {
    let mut gw = gateway().await;
    let timing = Timing {
        rotate_after: Duration::from_millis(500),
        old_socket_grace: Duration::from_secs(5),
        ..Timing::default()
    };
    let mut client = start(&gw.url, timing);
    let mut first = gw.next().await;
    first.frame().await.unwrap();
    first
        .send(json!({"type": "synced", "cursor": "c1", "more": false}))
        .await;
    let (done, stored) = oneshot::channel();
    client
        .commands
        .send(Command::Send(
            Box::new(Send::to_user("m1", "bob", "hi")),
            false,
            done,
        ))
        .unwrap();
    stored.await.unwrap().unwrap();
    assert_eq!(first.frame().await.unwrap()["id"], "m1");

    // The next connection opens while the first is still open...
    let mut second = gw.next().await;
    let mut on_second = [second.frame().await.unwrap(), second.frame().await.unwrap()];
    on_second.sort_by_key(|f| f["action"].to_string());
    assert_eq!(
        on_second[0]["action"], "send",
        "the unanswered send goes again"
    );
    assert_eq!(on_second[1]["action"], "sync");
    // ...and the old one's late answer still counts.
    first
        .send(
            json!({"type": "sent", "id": "m1", "conversation": "d:alice:bob", "seq": 1,
                     "messageId": "x", "ts": 1}),
        )
        .await;
    client
        .until(
            "the tick from the old connection",
            |e| matches!(e, Event::Tick { tick: Tick::Sent, id, .. } if id == "m1"),
        )
        .await;
    // Then the old one is closed by the client.
    assert_eq!(first.frame().await, None);
}
