//! The tests' hold on one device's WebSocket: the client library's [`FrameSocket`] (its
//! connect, its fragmenting, its reading of server frames through the protocol crate) with
//! what tests need on top: frames read while waiting for another kept in order, waits that
//! panic on a timeout or a close, and listening to show that something does not arrive.
//!
//! Every frame the server sends is checked against parley-protocol's `ServerFrame` as it
//! arrives (a frame with a `type` the crate cannot read fails the test); tests then assert
//! on its JSON.

use parley_client::socket::{
    CloseFrame, ConnectError, FrameSocket, Incoming, ServerText, SocketError,
};
use parley_protocol::ClientFrame;
use serde_json::Value;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::stack::StackInfo;

pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    socket: FrameSocket,
    /// Frames read off the socket while waiting for another kind of frame, oldest first.
    /// `receive` and `frame` return these before reading the socket again.
    pub pending: VecDeque<Value>,
}

/// How a handshake ended when the server refused it.
#[derive(Debug)]
pub enum Refused {
    /// The HTTP status of the refusal (401, 403, 500, …).
    Status(u16),
    Other(SocketError),
}

/// Opens `websocketUrl?token=…` (no query string at all when `token` is `None`).
pub async fn connect(stack: &StackInfo, token: Option<&str>) -> Result<Client, Refused> {
    open(&stack.websocket_url, token).await
}

/// Opens `websocketUrl?device=<device>&token=…`: a device of end-to-end encryption.
pub async fn connect_as_device(
    stack: &StackInfo,
    token: &str,
    device: &str,
) -> Result<Client, Refused> {
    open(
        &format!("{}?device={device}", stack.websocket_url),
        Some(token),
    )
    .await
}

async fn open(url: &str, token: Option<&str>) -> Result<Client, Refused> {
    match FrameSocket::connect(url, token).await {
        Ok(socket) => Ok(Client {
            socket,
            pending: VecDeque::new(),
        }),
        Err(ConnectError::Refused(status)) => Err(Refused::Status(status)),
        Err(ConnectError::Failed(error)) => Err(Refused::Other(error)),
    }
}

/// What came off the socket.
#[derive(Debug)]
pub enum Received {
    Frame(Value),
    Closed(Option<CloseFrame>),
}

/// Parses a server text frame as JSON and checks it against the protocol crate.
fn server_frame(text: &str) -> Value {
    let json: Value = serde_json::from_str(text).expect("frames are JSON");
    if let ServerText::Unknown(error) = ServerText::of_json(json.clone()) {
        panic!("the server sent a frame parley-protocol does not describe ({error}): {json}");
    }
    json
}

impl Client {
    /// Sends a protocol frame, serialized by the protocol crate (fragmented over 32 KB).
    pub async fn send(&mut self, frame: &ClientFrame) {
        self.socket.send(frame).await.expect("send a frame");
    }

    /// Sends JSON written by hand: for frames the protocol crate would refuse to build
    /// (unknown actions, wrong field types, missing fields), which the server must refuse.
    pub async fn send_json(&mut self, frame: &Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends `text` as one text frame, whatever its size.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .sink()
            .send_one_frame(text)
            .await
            .expect("send text");
    }

    /// Sends `bytes` as a binary message (which the protocol does not have).
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.socket
            .sink()
            .send_binary(bytes)
            .await
            .expect("send a binary frame");
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
                Incoming::Text(text) => return Received::Frame(server_frame(&text)),
                Incoming::Closed(frame) => return Received::Closed(frame),
                Incoming::Binary(_) => continue,
                Incoming::Failed(_) => return Received::Closed(None),
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
    /// to send a message larger than API Gateway's 32 KiB frame limit. Frames may split a
    /// character, as RFC 6455 allows.
    pub async fn send_fragmented(&mut self, text: &str, chunk: usize) {
        self.socket
            .sink()
            .send_fragments(text.as_bytes(), chunk)
            .await
            .expect("send a fragment");
    }

    /// Closes and waits until the server's close arrives, so $disconnect has started.
    pub async fn close(self) {
        self.socket.close(RECEIVE_TIMEOUT).await;
    }
}
