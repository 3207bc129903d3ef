//! The gateway's access log: one `tracing` line per event (handshake step, message,
//! disconnect). An entry holds only ids, names, a status and a duration, so no request data,
//! and in particular no token from the query string or an Authorization header, can reach
//! the log through it.

use std::fmt;
use std::time::Duration;

/// The `tracing` target of access lines, for filtering (`RUST_LOG=parley_devstack::gateway::access=info`).
pub const TARGET: &str = "parley_devstack::gateway::access";

/// One event the gateway handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry<'a> {
    pub connection_id: &'a str,
    /// `CONNECT`, `MESSAGE` or `DISCONNECT`.
    pub event_type: &'a str,
    pub route_key: &'a str,
    /// The function invoked, if any (`-` in the line otherwise).
    pub function: Option<&'a str>,
    /// HTTP-like: 200, 401, 403, 500 …; for disconnects, the close code.
    pub status: u16,
    pub elapsed: Duration,
}

/// Logs one event; see [`AccessLogEntry`].
pub fn record(
    connection_id: &str,
    event_type: &str,
    route_key: &str,
    function: Option<&str>,
    status: u16,
    elapsed: Duration,
) {
    AccessLogEntry {
        connection_id,
        event_type,
        route_key,
        function,
        status,
        elapsed,
    }
    .emit();
}

impl AccessLogEntry<'_> {
    pub fn millis(&self) -> u64 {
        u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX)
    }

    /// Writes the entry as one `info` event with structured fields.
    pub fn emit(&self) {
        tracing::info!(
            target: TARGET,
            connection_id = self.connection_id,
            event_type = self.event_type,
            route_key = self.route_key,
            function = self.function.unwrap_or("-"),
            status = self.status,
            ms = self.millis(),
            "{self}"
        );
    }
}

impl fmt::Display for AccessLogEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}ms",
            self.connection_id,
            self.event_type,
            self.route_key,
            self.function.unwrap_or("-"),
            self.status,
            self.millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_names_the_event_and_nothing_else() {
        let entry = AccessLogEntry {
            connection_id: "L0SM9cOFvHcCIhw=",
            event_type: "CONNECT",
            route_key: "$connect",
            function: Some("AuthorizerFunction"),
            status: 401,
            elapsed: Duration::from_millis(12),
        };
        assert_eq!(
            entry.to_string(),
            "L0SM9cOFvHcCIhw= CONNECT $connect AuthorizerFunction 401 12ms"
        );
    }
}
