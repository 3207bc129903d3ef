//! One upgraded connection, from registration to `$disconnect`: reads frames and hands each
//! to its route's function without waiting for the previous one (API Gateway does not
//! serialize a connection's frames), writes replies and `@connections` posts, enforces the
//! idle and lifetime limits, and ends every connection the same way: out of the registry,
//! close handshake, then `$disconnect`, exactly once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite;

use super::access_log;
use super::clock;
use super::connections::{CloseCause, LiveConnection, Outbound};
use super::events::{self, ConnectionContext, EventStamp, FrameBody};
use super::ids;
use super::integration::{forbidden_frame, internal_error_frame, response_body, response_status};
use super::limits::CLOSE_LINGER;
use super::routes::DISCONNECT;
use super::state::Shared;
use crate::faults::{self, SocketDrop};
use crate::lambda::Invoke;
use crate::stack_spec::RouteSpec;

/// Close codes (RFC 6455) the gateway uses.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const NO_STATUS: u16 = 1005;
    pub const ABNORMAL: u16 = 1006;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

/// How the read loop ended.
enum Ending {
    /// The client sent a close frame; tungstenite answers it while we drain the stream.
    ClosedByClient(CloseCause),
    /// The socket died without a close frame.
    Dropped,
    /// The gateway cuts the socket without a close frame (fault injection).
    Severed,
    /// The gateway closes: it sends this close frame.
    ClosedByGateway {
        cause: CloseCause,
        /// The read side already failed (a size limit), so nothing more can be read.
        reader_failed: bool,
    },
}

/// The cause `$disconnect` reports when the socket went away without a close frame.
pub(crate) fn abnormal_closure() -> CloseCause {
    CloseCause::new(close_code::ABNORMAL, "Connection closed abnormally")
}

/// The close request that cuts the socket without a close frame. 1006 may never be sent in
/// a close frame (RFC 6455 §7.4.1), so it cannot be mistaken for a real close.
pub(crate) fn severed() -> CloseCause {
    abnormal_closure()
}

/// Runs a connection until it ends, then reports `$disconnect`.
pub(crate) async fn run<I: Invoke>(
    shared: Arc<Shared<I>>,
    socket: WebSocket,
    context: Arc<ConnectionContext>,
) {
    let (sink, mut stream) = socket.split();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (close_tx, mut close_rx) = mpsc::unbounded_channel();
    let live = Arc::new(LiveConnection::new(Arc::clone(&context), out_tx, close_tx));
    shared.registry.insert(Arc::clone(&live));
    let writer = tokio::spawn(write_frames(sink, out_rx));

    let ending = read_until_end(&shared, &live, &mut stream, &mut close_rx).await;

    // Out of the registry first: from here on, posts to this id answer 410.
    shared.registry.remove(live.id());
    let cause = match &ending {
        Ending::ClosedByClient(cause) => cause.clone(),
        Ending::Dropped | Ending::Severed => abnormal_closure(),
        Ending::ClosedByGateway { cause, .. } => cause.clone(),
    };
    match ending {
        Ending::ClosedByGateway {
            cause,
            reader_failed,
        } => {
            live.send(Outbound::Close(cause));
            tokio::spawn(linger(writer, stream, reader_failed));
        }
        Ending::ClosedByClient(_) | Ending::Dropped => {
            live.send(Outbound::Stop);
            tokio::spawn(linger(writer, stream, false));
        }
        Ending::Severed => {
            // Both halves dropped now: the TCP connection closes with no close frame.
            writer.abort();
            drop(stream);
        }
    }
    run_disconnect(&shared, &context, &cause).await;
}

async fn read_until_end<I: Invoke>(
    shared: &Arc<Shared<I>>,
    live: &Arc<LiveConnection>,
    stream: &mut SplitStream<WebSocket>,
    close_requests: &mut mpsc::UnboundedReceiver<CloseCause>,
) -> Ending {
    let opened = Instant::now();
    let lifetime_ends = opened + shared.limits.max_lifetime;
    let mut last_activity = opened;
    let mut shutdown = shared.shutdown.clone();
    let going_away = || Ending::ClosedByGateway {
        cause: CloseCause::new(close_code::GOING_AWAY, "Going away"),
        reader_failed: false,
    };
    loop {
        let idle_ends = last_activity + shared.limits.idle_timeout;
        tokio::select! {
            frame = stream.next() => {
                let frame = match frame {
                    None => return Ending::Dropped,
                    Some(Err(error)) => return ending_for_read_error(error),
                    Some(Ok(frame)) => frame,
                };
                last_activity = Instant::now();
                live.touch(clock::now_epoch_ms());
                let dropping = match frame {
                    Message::Text(_) | Message::Binary(_) => faults::global().drop_on_frame(),
                    _ => None,
                };
                if dropping == Some(SocketDrop::BeforeRoute) {
                    return Ending::Severed;
                }
                match frame {
                    Message::Text(text) => {
                        dispatch(shared, live, FrameBody::Text(text.as_str().to_owned()));
                    }
                    Message::Binary(bytes) => dispatch(shared, live, FrameBody::Binary(bytes.to_vec())),
                    Message::Close(frame) => {
                        let cause = match frame {
                            Some(CloseFrame { code, reason }) => CloseCause::new(code, reason.as_str()),
                            None => CloseCause::new(
                                close_code::NO_STATUS,
                                "Client-side close frame status not set",
                            ),
                        };
                        return Ending::ClosedByClient(cause);
                    }
                    // tungstenite answers pings itself; they only count as activity.
                    Message::Ping(_) | Message::Pong(_) => {}
                }
                if dropping == Some(SocketDrop::AfterRoute) {
                    return Ending::Severed;
                }
            }
            Some(cause) = close_requests.recv() => {
                if cause == severed() {
                    return Ending::Severed;
                }
                return Ending::ClosedByGateway { cause, reader_failed: false };
            }
            _ = sleep_until(idle_ends) => return going_away(),
            _ = sleep_until(lifetime_ends) => return going_away(),
            _ = shutdown.wait_for(|stopping| *stopping) => return going_away(),
        }
    }
}

/// A failed read: a size limit closes with 1009, bad UTF-8 with 1007, other protocol
/// violations with 1002; I/O errors and resets mean the client is gone.
fn ending_for_read_error(error: axum::Error) -> Ending {
    let closed_by_gateway = |code, reason| Ending::ClosedByGateway {
        cause: CloseCause::new(code, reason),
        reader_failed: true,
    };
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => {
            closed_by_gateway(close_code::MESSAGE_TOO_BIG, "Message too big")
        }
        Some(tungstenite::Error::Utf8(_)) => {
            closed_by_gateway(close_code::INVALID_PAYLOAD, "Invalid frame payload data")
        }
        Some(tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        )) => Ending::Dropped,
        Some(tungstenite::Error::Protocol(_)) => {
            closed_by_gateway(close_code::PROTOCOL_ERROR, "Protocol error")
        }
        _ => Ending::Dropped,
    }
}

/// Routes one client frame and invokes its function in the background.
fn dispatch<I: Invoke>(shared: &Arc<Shared<I>>, live: &Arc<LiveConnection>, body: FrameBody) {
    let route = match &body {
        FrameBody::Text(text) => shared.routes.select_text(text),
        FrameBody::Binary(_) => shared.routes.select_binary(),
    };
    let stamp = EventStamp {
        request_id: ids::request_id(),
        epoch_ms: clock::now_epoch_ms(),
    };
    let Some(route) = route.cloned() else {
        live.send(Outbound::Text(forbidden_frame(
            live.id(),
            &stamp.request_id,
        )));
        access_log::record(
            shared.access_log.as_ref(),
            live.id(),
            "MESSAGE",
            "-",
            None,
            403,
            Duration::ZERO,
        );
        return;
    };
    let (shared, live) = (Arc::clone(shared), Arc::clone(live));
    tokio::spawn(async move { invoke_route(&shared, &live, &route, &body, stamp).await });
}

async fn invoke_route<I: Invoke>(
    shared: &Shared<I>,
    live: &LiveConnection,
    route: &RouteSpec,
    body: &FrameBody,
    stamp: EventStamp,
) {
    let message_id = ids::request_id();
    let event = events::message_event(
        &shared.api,
        &live.context,
        &route.key,
        body,
        &message_id,
        &stamp,
    );
    let invocation = shared.invoke(&route.function, event).await;
    let status = match &invocation.result {
        Ok(response) => {
            if route.two_way {
                if let Some(reply) = response_body(response) {
                    live.send(Outbound::Text(reply.to_owned()));
                }
            }
            response_status(response)
        }
        Err(_) => {
            live.send(Outbound::Text(internal_error_frame(
                live.id(),
                &stamp.request_id,
            )));
            500
        }
    };
    access_log::record(
        shared.access_log.as_ref(),
        live.id(),
        "MESSAGE",
        &route.key,
        Some(&route.function),
        status,
        invocation.started.elapsed(),
    );
}

/// Invokes `$disconnect` (if the API has it) for a connection that has ended.
pub(crate) async fn run_disconnect<I: Invoke>(
    shared: &Shared<I>,
    context: &ConnectionContext,
    cause: &CloseCause,
) {
    let Some(route) = shared.routes.disconnect() else {
        access_log::record(
            shared.access_log.as_ref(),
            &context.connection_id,
            "DISCONNECT",
            DISCONNECT,
            None,
            cause.code,
            Duration::ZERO,
        );
        return;
    };
    let stamp = EventStamp {
        request_id: ids::request_id(),
        epoch_ms: clock::now_epoch_ms(),
    };
    let event = events::disconnect_event(&shared.api, context, cause.code, &cause.reason, &stamp);
    let invocation = shared.invoke(&route.function, event).await;
    access_log::record(
        shared.access_log.as_ref(),
        &context.connection_id,
        "DISCONNECT",
        DISCONNECT,
        Some(&route.function),
        cause.code,
        invocation.started.elapsed(),
    );
}

/// Writes queued frames until told to stop or to close.
async fn write_frames(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::UnboundedReceiver<Outbound>,
) -> SplitSink<WebSocket, Message> {
    while let Some(frame) = frames.recv().await {
        let message = match frame {
            Outbound::Text(text) => Message::Text(text.into()),
            Outbound::Binary(bytes) => Message::Binary(bytes.into()),
            Outbound::Close(cause) => {
                let close = CloseFrame {
                    code: cause.code,
                    reason: cause.reason.into(),
                };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            Outbound::Stop => break,
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    sink
}

/// Keeps the socket open until the close handshake completes (or briefly, when the read
/// side has failed), so the client reads the close frame before the TCP connection ends.
async fn linger(
    writer: tokio::task::JoinHandle<SplitSink<WebSocket, Message>>,
    mut stream: SplitStream<WebSocket>,
    reader_failed: bool,
) {
    let deadline = Instant::now() + CLOSE_LINGER;
    let sink = timeout(CLOSE_LINGER, writer).await;
    if reader_failed {
        sleep_until(deadline).await;
    } else {
        // Reading drives tungstenite's side of the handshake (its reply to the client's close
        // frame) and ends when the client closes.
        let _ = tokio::time::timeout_at(deadline, async { while stream.next().await.is_some() {} })
            .await;
    }
    drop(sink);
}
