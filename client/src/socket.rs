//! The WebSocket itself: opening `websocketUrl?token=…` (`ws://` locally, `wss://` with
//! rustls and the system's roots for a deployed stack) and putting frames on it within
//! API Gateway's 32 KB frame limit.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type Sink = SplitSink<Socket, Message>;
pub type Stream = SplitStream<Socket>;

/// API Gateway closes the connection (1009) on a single frame over 32 KB.
const MAX_FRAME: usize = 32 * 1000;
/// Fragments of a larger message.
const FRAGMENT: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The handshake was answered with this HTTP status (401/403: the token; 429: too many
    /// devices; 5xx: the backend).
    #[error("the handshake was refused with HTTP {0}")]
    Refused(u16),
    #[error("the connection failed: {0}")]
    Failed(#[from] tungstenite::Error),
}

pub async fn connect(websocket_url: &str, id_token: &str) -> Result<Socket, ConnectError> {
    let separator = if websocket_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{websocket_url}{separator}token={id_token}");
    match tokio_tungstenite::connect_async(url).await {
        Ok((socket, _response)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            Err(ConnectError::Refused(response.status().as_u16()))
        }
        Err(other) => Err(other.into()),
    }
}

/// Sends one text message, fragmented when it would exceed a frame.
pub async fn send_text(sink: &mut Sink, text: String) -> Result<(), tungstenite::Error> {
    if text.len() <= MAX_FRAME {
        return sink.send(Message::text(text)).await;
    }
    let pieces: Vec<&[u8]> = text.as_bytes().chunks(FRAGMENT).collect();
    let last = pieces.len() - 1;
    for (at, piece) in pieces.into_iter().enumerate() {
        let opcode = if at == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        sink.feed(Message::Frame(Frame::message(
            piece.to_vec(),
            opcode,
            at == last,
        )))
        .await?;
    }
    sink.flush().await
}
