//! The WebSocket itself, low level: opening `websocketUrl?token=…` (`ws://` locally, `wss://`
//! with rustls and the system's roots for a deployed stack), putting protocol frames on it
//! within API Gateway's 32 KB frame limit, and reading the server's frames through the
//! protocol crate.
//!
//! The connection worker drives one of these; so do the end-to-end tests and the benchmark,
//! which need the socket without the outbox, sync and ticks on top (to see the server's
//! every answer, and to send what no well-behaved client sends: raw text, fragments of a
//! chosen size, binary frames).

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use parley_protocol::{ClientFrame, ServerFrame};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub use tungstenite::protocol::CloseFrame;
pub use tungstenite::Error as SocketError;

/// API Gateway closes the connection (1009) on a single frame over 32 KB.
pub const MAX_FRAME: usize = 32 * 1000;
/// Fragments of a larger message.
pub const FRAGMENT: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The handshake was answered with this HTTP status (401/403: the token; 429: too many
    /// devices; 5xx: the backend).
    #[error("the handshake was refused with HTTP {0}")]
    Refused(u16),
    #[error("the connection failed: {0}")]
    Failed(#[from] tungstenite::Error),
}

/// One open connection to the stack's WebSocket API.
pub struct FrameSocket {
    sink: FrameSink,
    stream: FrameStream,
}

/// The sending half of a [`FrameSocket`].
pub struct FrameSink(SplitSink<Socket, Message>);

/// The receiving half of a [`FrameSocket`].
pub struct FrameStream(SplitStream<Socket>);

/// What came off the socket (pings and pongs are skipped).
#[derive(Debug)]
pub enum Incoming {
    /// A text message (fragments already joined).
    Text(String),
    /// A binary message: the server sends none.
    Binary(Vec<u8>),
    /// The server's close, with its code and reason when it gave one.
    Closed(Option<CloseFrame>),
    /// The connection broke without a close.
    Failed(tungstenite::Error),
}

/// A server text frame, read through the protocol crate.
// One per received frame, matched and moved on at once: boxing the frame would only add an
// allocation per frame.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ServerText {
    Frame(ServerFrame),
    /// API Gateway's own `{"message": "Internal server error", …}` (no `type`): the backend
    /// failed, transiently.
    GatewayError,
    /// A `type` the protocol crate does not describe, or a known one with fields it refuses
    /// (a newer server, or a server bug).
    Unknown(serde_json::Error),
    NotJson(serde_json::Error),
}

impl ServerText {
    /// Reads one text frame.
    pub fn read(text: &str) -> Self {
        match serde_json::from_str::<Value>(text) {
            Ok(json) => Self::of_json(json),
            Err(error) => Self::NotJson(error),
        }
    }

    /// Reads a frame already parsed as JSON.
    pub fn of_json(json: Value) -> Self {
        if json.get("type").is_none() {
            return Self::GatewayError;
        }
        match serde_json::from_value::<ServerFrame>(json) {
            Ok(frame) => Self::Frame(frame),
            Err(error) => Self::Unknown(error),
        }
    }
}

impl FrameSocket {
    /// Opens `websocket_url`, with `?token=<ID token>` when there is one (without, the
    /// stack refuses the handshake: only tests do that on purpose).
    pub async fn connect(
        websocket_url: &str,
        id_token: Option<&str>,
    ) -> Result<Self, ConnectError> {
        let url = match id_token {
            Some(token) => {
                let separator = if websocket_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                format!("{websocket_url}{separator}token={token}")
            }
            None => websocket_url.to_owned(),
        };
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _response)) => {
                let (sink, stream) = socket.split();
                Ok(Self {
                    sink: FrameSink(sink),
                    stream: FrameStream(stream),
                })
            }
            Err(tungstenite::Error::Http(response)) => {
                Err(ConnectError::Refused(response.status().as_u16()))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The two halves, to send and receive from different places.
    pub fn split(self) -> (FrameSink, FrameStream) {
        (self.sink, self.stream)
    }

    pub fn sink(&mut self) -> &mut FrameSink {
        &mut self.sink
    }

    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), tungstenite::Error> {
        self.sink.send(frame).await
    }

    pub async fn send_text(&mut self, text: String) -> Result<(), tungstenite::Error> {
        self.sink.send_text(text).await
    }

    pub async fn next(&mut self) -> Incoming {
        self.stream.next().await
    }

    /// Sends a close and reads until the server's close arrives (so `$disconnect` has
    /// started when this returns) or `within` passes.
    pub async fn close(mut self, within: std::time::Duration) {
        let _ = self.sink.0.close().await;
        while let Ok(Some(Ok(_))) = tokio::time::timeout(within, self.stream.0.next()).await {}
    }
}

impl FrameSink {
    /// Sends a protocol frame, serialized by the protocol crate.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), tungstenite::Error> {
        self.send_text(frame.to_json()).await
    }

    /// Sends one text message, fragmented when it would exceed a frame.
    pub async fn send_text(&mut self, text: String) -> Result<(), tungstenite::Error> {
        if text.len() <= MAX_FRAME {
            return self.0.send(Message::text(text)).await;
        }
        self.send_fragments(text.as_bytes(), FRAGMENT).await
    }

    /// Sends `text` as one text frame whatever its size (API Gateway closes the connection
    /// on one over 32 KB: tests show it does).
    pub async fn send_one_frame(&mut self, text: &str) -> Result<(), tungstenite::Error> {
        self.0.send(Message::text(text)).await
    }

    /// Sends `bytes` as one text message in frames of at most `chunk` bytes (a text frame
    /// with fin=false, then continuation frames). Frames may split a UTF-8 character, as
    /// RFC 6455 allows; only the whole message must be UTF-8.
    pub async fn send_fragments(
        &mut self,
        bytes: &[u8],
        chunk: usize,
    ) -> Result<(), tungstenite::Error> {
        let pieces: Vec<&[u8]> = bytes.chunks(chunk.max(1)).collect();
        let last = pieces.len().saturating_sub(1);
        for (at, piece) in pieces.into_iter().enumerate() {
            let opcode = if at == 0 {
                OpCode::Data(Data::Text)
            } else {
                OpCode::Data(Data::Continue)
            };
            self.0
                .feed(Message::Frame(Frame::message(
                    piece.to_vec(),
                    opcode,
                    at == last,
                )))
                .await?;
        }
        self.0.flush().await
    }

    /// Sends a binary message (the protocol has none: the server must refuse it).
    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), tungstenite::Error> {
        self.0.send(Message::binary(bytes)).await
    }

    /// Sends a close frame.
    pub async fn close(&mut self) -> Result<(), tungstenite::Error> {
        self.0.close().await
    }
}

impl FrameStream {
    /// The next message, skipping pings and pongs.
    pub async fn next(&mut self) -> Incoming {
        loop {
            return match self.0.next().await {
                Some(Ok(Message::Text(text))) => Incoming::Text(text.as_str().to_owned()),
                Some(Ok(Message::Binary(bytes))) => Incoming::Binary(bytes.to_vec()),
                Some(Ok(Message::Close(close))) => Incoming::Closed(close),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Err(error)) => Incoming::Failed(error),
                None => Incoming::Closed(None),
            };
        }
    }
}
