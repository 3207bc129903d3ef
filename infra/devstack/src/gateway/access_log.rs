//! The gateway's access log: one `tracing` line per event (handshake step, message,
//! disconnect). An entry holds only ids, names, a status and a duration, so no request data,
//! and in particular no token from the query string or an Authorization header, can reach
//! the log through it.
//!
//! With the stage's `AccessLogSettings.Format` (the template's, when its access log is on)
//! the line is that format with API Gateway's `$context` variables put in, as API Gateway
//! writes it: a variable with no value is `-`, and `$context.error.messageString` is the
//! error message already quoted as a JSON string (`$context.error.message` is the bare text,
//! which breaks a JSON format when it holds a quote). Without a format the line is plain text.

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

/// A stage's access log format: text with `$context.<name>` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogFormat {
    format: String,
}

/// Variables API Gateway writes as a quoted string, and the variable whose text they quote.
const QUOTED_VARIABLES: &[(&str, &str)] = &[("error.messageString", "error.message")];

impl AccessLogFormat {
    pub fn new(format: impl Into<String>) -> Self {
        Self {
            format: format.into(),
        }
    }

    /// The format with each `$context.<name>` replaced by `value(name)`: `-` when it has
    /// none, a JSON string for the quoted variables.
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> String {
        const PREFIX: &str = "$context.";
        let mut line = String::with_capacity(self.format.len());
        let mut rest = self.format.as_str();
        while let Some(start) = rest.find(PREFIX) {
            line.push_str(&rest[..start]);
            let after = &rest[start + PREFIX.len()..];
            let name_length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len());
            // A name never ends with a dot: `$context.status.` is `status` and a dot.
            let name = after[..name_length].trim_end_matches('.');
            let quoted = QUOTED_VARIABLES.iter().find(|(q, _)| *q == name);
            match quoted {
                Some((_, plain)) => {
                    let text = value(plain).unwrap_or_else(|| "-".to_owned());
                    line.push_str(&serde_json::Value::String(text).to_string());
                }
                None => line.push_str(&value(name).unwrap_or_else(|| "-".to_owned())),
            }
            rest = &after[name.len()..];
        }
        line.push_str(rest);
        line
    }
}

/// The message API Gateway puts in `$context.error.message` for a status it answers itself.
pub fn gateway_error_message(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("Unauthorized"),
        403 => Some("Forbidden"),
        429 => Some("Too Many Requests"),
        500 => Some("Internal server error"),
        _ => None,
    }
}

/// Logs one event in `format` (plain text without one); see [`AccessLogEntry`].
pub fn record(
    format: Option<&AccessLogFormat>,
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
    .emit(format);
}

impl AccessLogEntry<'_> {
    pub fn millis(&self) -> u64 {
        u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX)
    }

    /// Writes the entry as one `info` event with structured fields, its message the line
    /// in `format` (or the plain text line).
    pub fn emit(&self, format: Option<&AccessLogFormat>) {
        let line = match format {
            Some(format) => self.render(format),
            None => self.to_string(),
        };
        tracing::info!(
            target: TARGET,
            connection_id = self.connection_id,
            event_type = self.event_type,
            route_key = self.route_key,
            function = self.function.unwrap_or("-"),
            status = self.status,
            ms = self.millis(),
            "{line}"
        );
    }

    /// The entry in `format`, with what API Gateway would put in each variable it knows.
    pub fn render(&self, format: &AccessLogFormat) -> String {
        self.render_with_error(format, gateway_error_message(self.status))
    }

    /// As [`Self::render`], with `error` as `$context.error.message`.
    pub fn render_with_error(&self, format: &AccessLogFormat, error: Option<&str>) -> String {
        format.render(|name| match name {
            "connectionId" => Some(self.connection_id.to_owned()),
            "eventType" => Some(self.event_type.to_owned()),
            "routeKey" => Some(self.route_key.to_owned()),
            "status" => Some(self.status.to_string()),
            "integration.latency" => self.function.map(|_| self.millis().to_string()),
            "error.message" => error.map(str::to_owned),
            _ => None,
        })
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

    const JSON_FORMAT: &str = r#"{"connectionId":"$context.connectionId","status":"$context.status","latency":"$context.integration.latency","userId":"$context.authorizer.userId","error":$context.error.messageString}"#;

    fn refused() -> AccessLogEntry<'static> {
        AccessLogEntry {
            connection_id: "L0SM9cOFvHcCIhw=",
            event_type: "CONNECT",
            route_key: "$connect",
            function: None,
            status: 403,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn an_error_message_with_quotes_stays_valid_json_through_message_string() {
        let format = AccessLogFormat::new(JSON_FORMAT);
        let message = r#"Invalid "token" \ expired"#;
        let line = refused().render_with_error(&format, Some(message));
        let parsed: serde_json::Value = serde_json::from_str(&line).expect(&line);
        assert_eq!(parsed["error"], message);
        assert_eq!(parsed["status"], "403");
        assert_eq!(parsed["userId"], "-", "no value is -");
        assert_eq!(
            parsed["latency"], "-",
            "no function, no integration latency"
        );

        // The bare variable inside quotes is what broke the deployed format.
        let bare = AccessLogFormat::new(r#"{"error":"$context.error.message"}"#);
        let broken = refused().render_with_error(&bare, Some(message));
        assert!(
            serde_json::from_str::<serde_json::Value>(&broken).is_err(),
            "{broken}"
        );
    }

    #[test]
    fn without_an_error_the_quoted_variable_is_a_quoted_dash() {
        let format = AccessLogFormat::new(JSON_FORMAT);
        let mut served = refused();
        served.status = 200;
        served.function = Some("ConnectFunction");
        served.elapsed = Duration::from_millis(7);
        let parsed: serde_json::Value = serde_json::from_str(&served.render(&format)).unwrap();
        assert_eq!(parsed["error"], "-");
        assert_eq!(parsed["latency"], "7");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&refused().render(&format)).unwrap()["error"],
            "Forbidden"
        );
    }

    #[test]
    fn a_variable_ends_where_its_name_does() {
        let format = AccessLogFormat::new("$context.status. [$context.routeKey]$context.eventType");
        assert_eq!(refused().render(&format), "403. [$connect]CONNECT");
    }

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
