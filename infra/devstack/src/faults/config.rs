//! What faults to inject: a JSON file (`--faults FILE` / `DEVSTACK_FAULTS`), then
//! `DEVSTACK_FAULT_*` variables on top, and at run time `PUT /_devstack/faults`. Every
//! probability is per event (one post, one AWS request, one client frame, one invocation);
//! all default to zero, so a stack without configuration injects nothing.

use serde::{Deserialize, Serialize};

/// Every fault knob. Unknown fields are refused, so a misspelled knob is not silently off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Seeds the fault dice, for a reproducible sequence; from the clock when absent.
    pub seed: Option<u64>,
    pub connections: ConnectionFaults,
    pub aws: AwsFaults,
    pub lambda: LambdaFaults,
}

/// The gateway: `@connections` posts and client connections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ConnectionFaults {
    /// Posts answered 410 GoneException. The connection is then severed (no close frame,
    /// `$disconnect` runs), as a 410 from AWS means the connection is gone: the function
    /// deletes the record, and the gateway keeps no live socket without one.
    pub gone: f64,
    /// Posts answered 429 LimitExceededException; the connection stays.
    pub limit_exceeded: f64,
    /// Posts answered 500 InternalServerErrorException; the connection stays.
    pub server_error: f64,
    /// Added to every post before it is handled.
    pub latency_ms: u64,
    /// Client frames after which the gateway drops the socket without a close frame (half
    /// of them before the frame reaches its route, half after), as a lost network does.
    pub drop: f64,
    /// Posts delivered to the client whose answer the function never gets: half answered
    /// 500, half with the connection reset, as when the answer is lost on the way back.
    pub lost_answer: f64,
}

/// The AWS proxy, for requests the functions make (not the tests' own, nor `@connections`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AwsFaults {
    /// Requests answered with a throttling error without reaching the emulator: DynamoDB
    /// alternates `ProvisionedThroughputExceededException` and `ThrottlingException` (HTTP
    /// 400), other services get their own protocol's throttling error.
    pub throttle: f64,
    /// Requests answered 500 without reaching the emulator.
    pub server_error: f64,
    /// Requests that reach the emulator and take effect, whose answer is then lost: half
    /// answered 500, half with the connection reset (a timeout or reset after DynamoDB
    /// applied the write, the indeterminate case).
    pub lost_answer: f64,
    /// Added to every matching request.
    pub latency_ms: u64,
    /// Only these services (`dynamodb`, `s3`, `cognito-idp`, `sns`); all when empty.
    pub services: Vec<String>,
    /// Only these operations (`TransactWriteItems`, `Query`, …); all when empty.
    pub operations: Vec<String>,
}

/// The Lambda pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LambdaFaults {
    /// Invocations whose process is killed (SIGKILL) part-way: at a random moment within
    /// `crash_window_ms` of receiving the event, or, if it answers sooner, just as it
    /// answers (the answer is lost). The gateway then answers "Internal server error".
    pub crash: f64,
    pub crash_window_ms: u64,
    /// Only these functions (the template's logical ids); all when empty.
    pub functions: Vec<String>,
}

impl Default for LambdaFaults {
    fn default() -> Self {
        Self {
            crash: 0.0,
            crash_window_ms: 200,
            functions: Vec::new(),
        }
    }
}

impl FaultConfig {
    /// The file (if any), then the environment on top.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, String> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("reading the faults file {}: {e}", path.display()))?;
                serde_json::from_str(&text)
                    .map_err(|e| format!("the faults file {}: {e}", path.display()))?
            }
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// `DEVSTACK_FAULT_*` overrides, read through `var` (the environment, or a map in tests).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        let float = |name: &str, slot: &mut f64| -> Result<(), String> {
            if let Some(text) = var(name) {
                *slot = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={text}: not a number"))?;
            }
            Ok(())
        };
        float("DEVSTACK_FAULT_POST_GONE", &mut self.connections.gone)?;
        float(
            "DEVSTACK_FAULT_POST_LIMIT",
            &mut self.connections.limit_exceeded,
        )?;
        float(
            "DEVSTACK_FAULT_POST_ERROR",
            &mut self.connections.server_error,
        )?;
        float("DEVSTACK_FAULT_DROP", &mut self.connections.drop)?;
        float(
            "DEVSTACK_FAULT_POST_LOST_ANSWER",
            &mut self.connections.lost_answer,
        )?;
        float("DEVSTACK_FAULT_AWS_LOST_ANSWER", &mut self.aws.lost_answer)?;
        float("DEVSTACK_FAULT_AWS_THROTTLE", &mut self.aws.throttle)?;
        float("DEVSTACK_FAULT_AWS_ERROR", &mut self.aws.server_error)?;
        float("DEVSTACK_FAULT_CRASH", &mut self.lambda.crash)?;
        let whole = |name: &str, slot: &mut u64| -> Result<(), String> {
            if let Some(text) = var(name) {
                *slot = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={text}: not a whole number"))?;
            }
            Ok(())
        };
        whole(
            "DEVSTACK_FAULT_POST_LATENCY_MS",
            &mut self.connections.latency_ms,
        )?;
        whole("DEVSTACK_FAULT_AWS_LATENCY_MS", &mut self.aws.latency_ms)?;
        whole(
            "DEVSTACK_FAULT_CRASH_WINDOW_MS",
            &mut self.lambda.crash_window_ms,
        )?;
        let list = |name: &str, slot: &mut Vec<String>| {
            if let Some(text) = var(name) {
                *slot = text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
        };
        list("DEVSTACK_FAULT_AWS_SERVICES", &mut self.aws.services);
        list("DEVSTACK_FAULT_AWS_OPERATIONS", &mut self.aws.operations);
        list("DEVSTACK_FAULT_CRASH_FUNCTIONS", &mut self.lambda.functions);
        if let Some(text) = var("DEVSTACK_FAULT_SEED") {
            self.seed = Some(
                text.trim()
                    .parse()
                    .map_err(|_| format!("DEVSTACK_FAULT_SEED={text}"))?,
            );
        }
        Ok(())
    }

    /// Probabilities in [0, 1], and a post's faults adding up to at most 1.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.connections;
        let probabilities = [
            ("connections.gone", c.gone),
            ("connections.limitExceeded", c.limit_exceeded),
            ("connections.serverError", c.server_error),
            ("connections.drop", c.drop),
            ("connections.lostAnswer", c.lost_answer),
            ("aws.lostAnswer", self.aws.lost_answer),
            ("aws.throttle", self.aws.throttle),
            ("aws.serverError", self.aws.server_error),
            ("lambda.crash", self.lambda.crash),
        ];
        for (name, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "fault {name} = {p}: a probability is between 0 and 1"
                ));
            }
        }
        if c.gone + c.limit_exceeded + c.server_error > 1.0 {
            return Err("connections.gone + limitExceeded + serverError exceed 1".into());
        }
        if self.aws.throttle + self.aws.server_error > 1.0 {
            return Err("aws.throttle + serverError exceed 1".into());
        }
        Ok(())
    }

    /// Whether anything at all is injected.
    pub fn is_active(&self) -> bool {
        let c = &self.connections;
        c.gone + c.limit_exceeded + c.server_error + c.drop + c.lost_answer > 0.0
            || c.latency_ms > 0
            || self.aws.throttle + self.aws.server_error + self.aws.lost_answer > 0.0
            || self.aws.latency_ms > 0
            || self.lambda.crash > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn nothing_is_injected_by_default() {
        let config = FaultConfig::load(None).unwrap_or_default();
        assert!(!FaultConfig::default().is_active());
        assert_eq!(config.lambda.crash_window_ms, 200);
    }

    #[test]
    fn a_file_then_the_environment() {
        let mut config: FaultConfig = serde_json::from_str(
            r#"{"connections": {"gone": 0.05}, "aws": {"throttle": 0.02, "services": ["dynamodb"]}}"#,
        )
        .unwrap();
        let env = HashMap::from([
            ("DEVSTACK_FAULT_POST_LIMIT", "0.05"),
            ("DEVSTACK_FAULT_CRASH", "0.01"),
            (
                "DEVSTACK_FAULT_CRASH_FUNCTIONS",
                "MessagesFunction, FilesFunction",
            ),
        ]);
        config
            .apply_env(|name| env.get(name).map(|v| (*v).to_owned()))
            .unwrap();
        assert_eq!(config.connections.gone, 0.05);
        assert_eq!(config.connections.limit_exceeded, 0.05);
        assert_eq!(config.aws.services, ["dynamodb"]);
        assert_eq!(
            config.lambda.functions,
            ["MessagesFunction", "FilesFunction"]
        );
        assert!(config.is_active());
        config.validate().unwrap();
    }

    #[test]
    fn bad_knobs_are_refused() {
        assert!(serde_json::from_str::<FaultConfig>(r#"{"aws": {"throttel": 0.1}}"#).is_err());
        let mut config = FaultConfig::default();
        config.lambda.crash = 1.5;
        assert!(config.validate().is_err());
        let mut config = FaultConfig::default();
        assert!(config
            .apply_env(|name| (name == "DEVSTACK_FAULT_DROP").then(|| "lots".to_owned()))
            .is_err());
    }
}
