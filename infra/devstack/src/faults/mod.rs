//! Fault injection, off by default: the failures AWS really produces, at chosen rates, in
//! the three places they happen: `@connections` posts and client sockets (the gateway),
//! AWS requests (the proxy) and function processes (the Lambda pool). See docs/development.md's
//! "Fault injection" section for the knobs.
//!
//! One process-wide [`Faults`] ([`global`]): the devstack runs one stack per process, and a
//! fault is a property of the stack, not of one component, so the gateway, the proxy and
//! the pool consult the same dice and the same counters without being rewired. It is
//! configured at start ([`FaultConfig::load`]) and may be replaced at run time through the
//! control API (`PUT /_devstack/faults`), so a test can set up its users first and inject
//! faults only where it means to.

mod aws;
mod config;

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex, PoisonError, RwLock};
use std::time::Duration;

pub use aws::{aws_fault_response, lost_answer_response, reset_response, AwsFault, LostAnswer};
pub use config::{AwsFaults, ConnectionFaults, FaultConfig, LambdaFaults};

/// The configuration, the dice and the counts of what was injected.
#[derive(Debug, Default)]
pub struct Faults {
    config: RwLock<FaultConfig>,
    /// Reproducible from the configuration's seed.
    dice: Mutex<fastrand::Rng>,
    counters: Mutex<BTreeMap<String, u64>>,
}

static GLOBAL: LazyLock<Faults> = LazyLock::new(Faults::default);

/// The stack's faults.
pub fn global() -> &'static Faults {
    &GLOBAL
}

/// What to do with one `@connections` post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFault {
    Gone,
    LimitExceeded,
    ServerError,
}

/// When an injected drop cuts a client's socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketDrop {
    /// The frame never reaches its route.
    BeforeRoute,
    /// The frame is routed, but its reply and anything after find the socket gone.
    AfterRoute,
}

impl Faults {
    /// Replaces the configuration (the counters stay).
    pub fn configure(&self, config: FaultConfig) {
        let seed = config.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        *self.dice.lock().unwrap_or_else(PoisonError::into_inner) = fastrand::Rng::with_seed(seed);
        if config.is_active() {
            tracing::warn!(faults = %serde_json::to_string(&config).unwrap_or_default(), "fault injection on");
        }
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    pub fn config(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many faults of each kind were injected, e.g. `connections.gone`,
    /// `aws.ThrottlingException`, `lambda.crash.MessagesFunction`.
    pub fn counters(&self) -> BTreeMap<String, u64> {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn reset_counters(&self) {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn count(&self, kind: String) {
        *self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(kind)
            .or_default() += 1;
    }

    /// A uniform number in [0, 1).
    fn roll(&self) -> f64 {
        self.dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .f64()
    }

    fn with<T>(&self, read: impl FnOnce(&FaultConfig) -> T) -> T {
        read(&self.config.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The latency to add to a post, and its fault, if any.
    pub fn post(&self) -> (Duration, Option<PostFault>) {
        let c = self.with(|c| c.connections.clone());
        let latency = Duration::from_millis(c.latency_ms);
        if c.gone + c.limit_exceeded + c.server_error <= 0.0 {
            return (latency, None);
        }
        let roll = self.roll();
        let fault = if roll < c.gone {
            Some((PostFault::Gone, "connections.gone"))
        } else if roll < c.gone + c.limit_exceeded {
            Some((PostFault::LimitExceeded, "connections.limitExceeded"))
        } else if roll < c.gone + c.limit_exceeded + c.server_error {
            Some((PostFault::ServerError, "connections.serverError"))
        } else {
            None
        };
        (
            latency,
            fault.map(|(fault, kind)| {
                self.count(kind.to_owned());
                fault
            }),
        )
    }

    /// Whether to drop a client's socket on the frame it just sent, and when.
    pub fn drop_on_frame(&self) -> Option<SocketDrop> {
        let p = self.with(|c| c.connections.drop);
        if p <= 0.0 || self.roll() >= p {
            return None;
        }
        self.count("connections.drop".to_owned());
        Some(if self.roll() < 0.5 {
            SocketDrop::BeforeRoute
        } else {
            SocketDrop::AfterRoute
        })
    }

    /// The latency to add to a function's AWS request, and its fault, if any.
    pub fn aws_request(&self, service: &str, operation: &str) -> (Duration, Option<AwsFault>) {
        let a = self.with(|c| c.aws.clone());
        let applies = (a.services.is_empty() || a.services.iter().any(|s| s == service))
            && (a.operations.is_empty() || a.operations.iter().any(|o| o == operation));
        if !applies {
            return (Duration::ZERO, None);
        }
        let latency = Duration::from_millis(a.latency_ms);
        if a.throttle + a.server_error <= 0.0 {
            return (latency, None);
        }
        let roll = self.roll();
        let fault = if roll < a.throttle {
            // DynamoDB answers either, depending on the capacity mode; clients must take both.
            Some(if service == "dynamodb" && self.roll() < 0.5 {
                AwsFault::ProvisionedThroughputExceeded
            } else {
                AwsFault::Throttling
            })
        } else if roll < a.throttle + a.server_error {
            Some(AwsFault::ServerError)
        } else {
            None
        };
        if let Some(fault) = fault {
            self.count(format!("aws.{}", fault.error_type(service)));
            self.count(format!("aws.{service}.{operation}"));
        }
        (latency, fault)
    }

    /// Whether the answer to a function's AWS request that already took effect is lost, and
    /// how. Counted by operation: `aws.lostAnswer.dynamodb.TransactWriteItems`.
    pub fn aws_answer_lost(&self, service: &str, operation: &str) -> Option<LostAnswer> {
        let a = self.with(|c| c.aws.clone());
        let applies = (a.services.is_empty() || a.services.iter().any(|s| s == service))
            && (a.operations.is_empty() || a.operations.iter().any(|o| o == operation));
        if !applies || a.lost_answer <= 0.0 || self.roll() >= a.lost_answer {
            return None;
        }
        self.count("aws.lostAnswer".to_owned());
        self.count(format!("aws.lostAnswer.{service}.{operation}"));
        Some(self.lost_answer())
    }

    /// Whether the answer to a post that reached its client is lost, and how.
    pub fn post_answer_lost(&self) -> Option<LostAnswer> {
        let p = self.with(|c| c.connections.lost_answer);
        if p <= 0.0 || self.roll() >= p {
            return None;
        }
        self.count("connections.lostAnswer".to_owned());
        Some(self.lost_answer())
    }

    fn lost_answer(&self) -> LostAnswer {
        if self.roll() < 0.5 {
            LostAnswer::ServerError
        } else {
            LostAnswer::Reset
        }
    }

    /// For an invocation of `function`: when to kill its process, if it is to crash.
    pub fn crash(&self, function: &str) -> Option<Duration> {
        let l = self.with(|c| c.lambda.clone());
        let applies = l.functions.is_empty() || l.functions.iter().any(|f| f == function);
        if !applies || l.crash <= 0.0 || self.roll() >= l.crash {
            return None;
        }
        self.count(format!("lambda.crash.{function}"));
        self.count("lambda.crash".to_owned());
        Some(Duration::from_millis(
            (self.roll() * (l.crash_window_ms as f64 + 1.0)) as u64,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(config: FaultConfig) -> Faults {
        let faults = Faults::default();
        faults.configure(FaultConfig {
            seed: Some(7),
            ..config
        });
        faults
    }

    #[test]
    fn nothing_by_default() {
        let faults = Faults::default();
        for _ in 0..1000 {
            assert_eq!(faults.post(), (Duration::ZERO, None));
            assert_eq!(
                faults.aws_request("dynamodb", "Query"),
                (Duration::ZERO, None)
            );
            assert_eq!(faults.crash("MessagesFunction"), None);
            assert_eq!(faults.drop_on_frame(), None);
        }
        assert!(faults.counters().is_empty());
    }

    #[test]
    fn rates_are_roughly_what_was_asked_and_counted() {
        let faults = faults(FaultConfig {
            connections: ConnectionFaults {
                gone: 0.05,
                limit_exceeded: 0.05,
                ..Default::default()
            },
            ..Default::default()
        });
        let n = 20_000;
        let gone = (0..n)
            .filter(|_| faults.post().1 == Some(PostFault::Gone))
            .count();
        // 5% of 20,000 is 1,000; four standard deviations either side.
        assert!((880..=1120).contains(&gone), "{gone}");
        let counters = faults.counters();
        assert_eq!(counters["connections.gone"], gone as u64);
        assert!(counters["connections.limitExceeded"] > 800);
        assert!(!counters.contains_key("connections.serverError"));
    }

    #[test]
    fn aws_faults_follow_the_service_and_operation_filters() {
        let faults = faults(FaultConfig {
            aws: AwsFaults {
                throttle: 1.0,
                services: vec!["dynamodb".into()],
                operations: vec!["TransactWriteItems".into()],
                ..Default::default()
            },
            ..Default::default()
        });
        assert!(faults
            .aws_request("dynamodb", "TransactWriteItems")
            .1
            .is_some());
        assert_eq!(faults.aws_request("dynamodb", "Query").1, None);
        assert_eq!(faults.aws_request("s3", "TransactWriteItems").1, None);
    }

    #[test]
    fn crashes_only_the_chosen_functions_within_the_window() {
        let faults = faults(FaultConfig {
            lambda: LambdaFaults {
                crash: 1.0,
                crash_window_ms: 50,
                functions: vec!["MessagesFunction".into()],
            },
            ..Default::default()
        });
        let delay = faults.crash("MessagesFunction").expect("a crash");
        assert!(delay <= Duration::from_millis(50));
        assert_eq!(faults.crash("DisconnectFunction"), None);
        assert_eq!(faults.counters()["lambda.crash.MessagesFunction"], 1);
    }
}
