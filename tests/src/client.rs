//! A protocol client over a real WebSocket, as an app would hold one.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::stack::StackInfo;

pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read off the socket while waiting for another kind of frame, oldest first.
    /// `receive` and `frame` return these before reading the socket again.
    pub pending: VecDeque<Value>,
}

/// How a handshake ended when the server refused it.
#[derive(Debug)]
pub enum Refused {
    /// The HTTP status of the refusal (401, 403, 500, …).
    Status(u16),
    Other(tungstenite::Error),
}

/// Opens `websocketUrl?token=…` (no query string at all when `token` is `None`).
pub async fn connect(stack: &StackInfo, token: Option<&str>) -> Result<Client, Refused> {
    let url = match token {
        Some(token) => format!("{}?token={token}", stack.websocket_url),
        None => stack.websocket_url.clone(),
    };
    match tokio_tungstenite::connect_async(url).await {
        Ok((socket, _response)) => Ok(Client {
            socket,
            pending: VecDeque::new(),
        }),
        Err(tungstenite::Error::Http(response)) => Err(Refused::Status(response.status().as_u16())),
        Err(other) => Err(Refused::Other(other)),
    }
}

/// What came off the socket.
#[derive(Debug)]
pub enum Received {
    Frame(Value),
    Closed(Option<CloseFrame>),
}

impl Client {
    pub async fn send(&mut self, frame: &Value) {
        self.socket
            .send(Message::text(frame.to_string()))
            .await
            .expect("send a frame");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send text");
    }

    /// The next JSON frame (buffered ones first) or the close, skipping pings.
    pub async fn receive(&mut self) -> Received {
        if let Some(frame) = self.pending.pop_front() {
            return Received::Frame(frame);
        }
        self.receive_from_socket().await
    }

    /// The next JSON frame or the close off the socket itself, skipping pings.
    async fn receive_from_socket(&mut self) -> Received {
        loop {
            let next = tokio::time::timeout(RECEIVE_TIMEOUT, self.socket.next())
                .await
                .expect("a frame within the receive timeout");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Received::Frame(serde_json::from_str(&text).expect("frames are JSON"))
                }
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Received::Closed(None),
            }
        }
    }

    /// The next JSON frame; panics on a close.
    pub async fn frame(&mut self) -> Value {
        match self.receive().await {
            Received::Frame(frame) => frame,
            Received::Closed(close) => {
                panic!("connection closed while a frame was expected: {close:?}")
            }
        }
    }

    /// The first frame (buffered or new) that `wanted` accepts; frames read before it are
    /// kept in `pending`. Panics on a close or when none comes within the receive timeout.
    pub async fn frame_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.pending.iter().position(&wanted) {
            return self.pending.remove(at).expect("the position is in range");
        }
        let deadline = Instant::now() + RECEIVE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = tokio::time::timeout(left, self.receive_from_socket()).await;
            match next {
                Ok(Received::Frame(frame)) if wanted(&frame) => return frame,
                Ok(Received::Frame(frame)) => self.pending.push_back(frame),
                Ok(Received::Closed(close)) => panic!(
                    "connection closed while waiting for {what}: {close:?}; other frames: {:?}",
                    self.pending
                ),
                Err(_) => panic!(
                    "{what} did not come within {RECEIVE_TIMEOUT:?}; other frames: {:?}",
                    self.pending
                ),
            }
        }
    }

    /// The first frame of the given `type` (buffered or new), keeping others in `pending`.
    pub async fn frame_of_type(&mut self, kind: &str) -> Value {
        self.frame_where(&format!("a `{kind}` frame"), |f| f["type"] == kind)
            .await
    }

    /// Reads everything that arrives within `within` into `pending` (the socket must stay
    /// open), and returns a copy of all that is pending.
    pub async fn collect_for(&mut self, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match tokio::time::timeout(left, self.receive_from_socket()).await {
                Ok(Received::Frame(frame)) => self.pending.push_back(frame),
                Ok(Received::Closed(close)) => {
                    panic!("connection closed while listening: {close:?}")
                }
                Err(_) => break,
            }
        }
        self.pending.iter().cloned().collect()
    }

    /// Asserts that no frame `unwanted` accepts is pending or arrives within `within`.
    /// Other frames stay in `pending`.
    pub async fn expect_none_where(
        &mut self,
        what: &str,
        within: Duration,
        unwanted: impl Fn(&Value) -> bool,
    ) {
        let seen = self.collect_for(within).await;
        let bad: Vec<&Value> = seen.iter().filter(|f| unwanted(f)).collect();
        assert!(bad.is_empty(), "expected no {what}, got {bad:?}");
    }

    /// Asserts that no frame at all is pending or arrives within `within`.
    pub async fn expect_no_frame(&mut self, within: Duration) {
        self.expect_none_where("frame", within, |_| true).await;
    }

    /// Sends `text` as one WebSocket message fragmented into frames of at most `chunk`
    /// bytes (a text frame with fin=false, then continuation frames), as a client must do
    /// to send a message larger than API Gateway's 32 KiB frame limit. `chunk` must fall on
    /// UTF-8 boundaries only in the sense that the whole message is UTF-8; frames may split
    /// a character, as RFC 6455 allows.
    pub async fn send_fragmented(&mut self, text: &str, chunk: usize) {
        let bytes = text.as_bytes();
        let pieces: Vec<&[u8]> = bytes.chunks(chunk.max(1)).collect();
        let last = pieces.len() - 1;
        for (at, piece) in pieces.into_iter().enumerate() {
            let opcode = if at == 0 {
                OpCode::Data(Data::Text)
            } else {
                OpCode::Data(Data::Continue)
            };
            self.socket
                .send(Message::Frame(Frame::message(
                    piece.to_vec(),
                    opcode,
                    at == last,
                )))
                .await
                .expect("send a fragment");
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        // Drain until the server's close arrives, so $disconnect has started.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(RECEIVE_TIMEOUT, self.socket.next()).await
        {
        }
    }
}
