//! A protocol client over a real WebSocket, as an app would hold one.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::stack::StackInfo;

pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
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
        Ok((socket, _response)) => Ok(Client { socket }),
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

    /// The next JSON frame or the close, skipping pings.
    pub async fn receive(&mut self) -> Received {
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

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        // Drain until the server's close arrives, so $disconnect has started.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(RECEIVE_TIMEOUT, self.socket.next()).await
        {
        }
    }
}
