//! API Gateway's WebSocket quotas, so that code which works locally does not break on AWS
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).

use std::time::Duration;

/// Largest WebSocket message a client may send; larger ones close the connection with 1009.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// Largest single WebSocket frame; a message may be fragmented into several frames of at
/// most this size, up to [`MAX_MESSAGE_BYTES`] in all.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

/// Largest payload `POST @connections/{id}` accepts (PayloadTooLargeException above it).
pub const MAX_POST_BYTES: usize = 128 * 1024;

/// A connection with no traffic from its client for this long is closed (1001).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// No connection lives longer than this, busy or not (1001).
pub const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// How long the server keeps a socket open after sending its close frame, so the client can
/// read that frame before the TCP connection goes away (closing a socket with unread input
/// makes the kernel send a reset, which can discard the close frame on the client's side).
pub const CLOSE_LINGER: Duration = Duration::from_millis(500);

/// The time limits of one gateway. The defaults are API Gateway's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayLimits {
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
}

impl Default for GatewayLimits {
    fn default() -> Self {
        Self {
            idle_timeout: IDLE_TIMEOUT,
            max_lifetime: MAX_CONNECTION_LIFETIME,
        }
    }
}
