//! What the AWS proxy counts: requests per caller, service and operation, the DynamoDB
//! capacity they consumed, and the time spent waiting on the emulators. Benchmarks read it
//! through `GET /_devstack/counters` (see [`crate::control`]) and clear it between runs.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who made a request: a function (its name, from the SDK user agent's app id, which the
/// local stack sets to the function's name) or [`CLIENT`] for everything else.
pub const CLIENT: &str = "client";

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub caller: String,
    pub service: String,
    pub operation: String,
    /// HTTP status of the upstream answer; `None` when the upstream could not be reached.
    pub status: Option<u16>,
    pub capacity: Option<Capacity>,
    /// From forwarding the request until the upstream's answer was read in full.
    pub upstream: Duration,
}

/// DynamoDB capacity units one request consumed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    pub read_units: f64,
    pub write_units: f64,
    /// Whether the units are computed from item sizes or, for operations the rules do not
    /// cover, what the emulator reported.
    pub source: CapacitySource,
    /// What the emulator said (`ConsumedCapacity`), for comparison.
    pub reported_units: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CapacitySource {
    Reported,
    Computed,
}

/// Totals for one caller, service and operation (also what benchmarks read back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallTotals {
    pub caller: String,
    pub service: String,
    pub operation: String,
    pub requests: u64,
    /// Answers with a status of 400 or more, or no answer at all.
    pub errors: u64,
    pub read_units: f64,
    pub write_units: f64,
    /// Requests whose units the emulator reported / the proxy computed.
    pub capacity_reported: u64,
    pub capacity_computed: u64,
    /// The sum of what the emulator reported in `ConsumedCapacity` (moto's placeholders).
    pub emulator_reported_units: f64,
    /// Sum over requests of the time spent waiting on the upstream (requests made
    /// concurrently each count in full).
    pub upstream_ms: f64,
}

/// The proxy's counters, shared between its requests. Cleared by [`Metrics::reset`].
#[derive(Debug, Default)]
pub struct Metrics {
    calls: Mutex<BTreeMap<(String, String, String), CallTotals>>,
}

impl Metrics {
    pub fn record(&self, call: Call) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (call.caller, call.service, call.operation);
        let totals = calls.entry(key.clone()).or_insert_with(|| CallTotals {
            caller: key.0,
            service: key.1,
            operation: key.2,
            ..CallTotals::default()
        });
        totals.requests += 1;
        if call.status.is_none_or(|status| status >= 400) {
            totals.errors += 1;
        }
        if let Some(capacity) = call.capacity {
            totals.read_units += capacity.read_units;
            totals.write_units += capacity.write_units;
            totals.emulator_reported_units += capacity.reported_units.unwrap_or(0.0);
            match capacity.source {
                CapacitySource::Reported => totals.capacity_reported += 1,
                CapacitySource::Computed => totals.capacity_computed += 1,
            }
        }
        totals.upstream_ms += call.upstream.as_secs_f64() * 1000.0;
    }

    /// Every counter, sorted by caller, service and operation.
    pub fn snapshot(&self) -> Vec<CallTotals> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.values().cloned().collect()
    }

    pub fn reset(&self) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(operation: &str, status: Option<u16>, capacity: Option<Capacity>) -> Call {
        Call {
            caller: "MessagesFunction".into(),
            service: "dynamodb".into(),
            operation: operation.into(),
            status,
            capacity,
            upstream: Duration::from_millis(2),
        }
    }

    #[test]
    fn totals_add_up_per_operation_and_reset_clears_them() {
        let metrics = Metrics::default();
        let units = Capacity {
            read_units: 0.5,
            write_units: 2.0,
            source: CapacitySource::Computed,
            reported_units: Some(1.0),
        };
        metrics.record(call("PutItem", Some(200), Some(units)));
        metrics.record(call("PutItem", Some(400), Some(units)));
        metrics.record(call("Query", None, None));
        let totals = metrics.snapshot();
        assert_eq!(totals.len(), 2);
        let put = &totals[0];
        assert_eq!(
            (put.operation.as_str(), put.requests, put.errors),
            ("PutItem", 2, 1)
        );
        assert_eq!((put.read_units, put.write_units), (1.0, 4.0));
        assert_eq!((put.capacity_reported, put.capacity_computed), (0, 2));
        assert_eq!(put.emulator_reported_units, 2.0);
        assert!((put.upstream_ms - 4.0).abs() < 1e-9);
        assert_eq!((totals[1].requests, totals[1].errors), (1, 1));
        metrics.reset();
        assert!(metrics.snapshot().is_empty());
    }
}
