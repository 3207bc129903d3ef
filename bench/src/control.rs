//! The devstack's control API (`/_devstack` on the AWS endpoint): counters of AWS requests
//! and invocations, their reset, and cold starts on demand. Every reset first folds the
//! invocation timings into [`Control::timings`], so warm-invoke figures cover the whole run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use parley_devstack::aws_proxy::metrics::{CallTotals, CLIENT};
use parley_devstack::streams::counts::StreamCounts;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCounters {
    pub invocations: u64,
    pub invoke_ms: Vec<f64>,
    pub cold_starts: Option<u64>,
    pub idle_pids: Vec<u32>,
    pub peak_rss_kb: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Counters {
    pub aws: Vec<CallTotals>,
    pub functions: BTreeMap<String, FunctionCounters>,
    /// Per event source mapping, the stream records read and those its filters admitted.
    #[serde(default)]
    pub streams: BTreeMap<String, StreamCounts>,
}

impl Counters {
    /// Requests made by the functions (not by the benchmark's own clients).
    pub fn by_functions(&self) -> impl Iterator<Item = &CallTotals> {
        self.aws.iter().filter(|c| c.caller != CLIENT)
    }
}

/// What the run saw of each function's invocations, across resets.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub invoke_ms: BTreeMap<String, Vec<f64>>,
    /// Time the function's AWS requests spent in the emulators, summed.
    pub upstream_ms: BTreeMap<String, f64>,
}

pub struct Control {
    base: String,
    http: reqwest::Client,
    pub timings: Mutex<Timings>,
}

impl Control {
    /// `aws_endpoint` as stack.json names it.
    pub fn new(aws_endpoint: &str) -> Self {
        Self {
            base: format!("{}/_devstack", aws_endpoint.trim_end_matches('/')),
            http: reqwest::Client::new(),
            timings: Mutex::new(Timings::default()),
        }
    }

    pub async fn counters(&self) -> Counters {
        self.http
            .get(format!("{}/counters", self.base))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("GET /_devstack/counters")
            .json()
            .await
            .expect("counters are JSON")
    }

    /// Folds the timings so far into [`Control::timings`], then clears the counters.
    pub async fn reset(&self) -> Counters {
        let counters = self.counters().await;
        {
            let mut timings = self.timings.lock().unwrap();
            for (name, function) in &counters.functions {
                timings
                    .invoke_ms
                    .entry(name.clone())
                    .or_default()
                    .extend(&function.invoke_ms);
            }
            for call in counters.by_functions() {
                *timings.upstream_ms.entry(call.caller.clone()).or_default() += call.upstream_ms;
            }
        }
        self.http
            .post(format!("{}/counters/reset", self.base))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("POST /_devstack/counters/reset");
        counters
    }

    /// Waits until the functions are idle: no invocation and no AWS request of theirs for two
    /// seconds (longer than the push function's batching window of one), so that the push
    /// function's stream backlog or a fan-out's tail has run, for at most
    /// `longest`. Returns the milliseconds waited, so that a run starts from a quiet stack
    /// and the report says how long that took.
    pub async fn quiesce(&self, longest: std::time::Duration) -> f64 {
        let started = std::time::Instant::now();
        let activity = |counters: &Counters| {
            let invocations: u64 = counters.functions.values().map(|f| f.invocations).sum();
            let requests: u64 = counters.by_functions().map(|c| c.requests).sum();
            (invocations, requests)
        };
        let mut last = activity(&self.counters().await);
        while started.elapsed() < longest {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let now = activity(&self.counters().await);
            if now == last {
                break;
            }
            last = now;
        }
        crate::stats::round(started.elapsed().as_secs_f64() * 1000.0)
    }

    /// Milliseconds from spawn until the first `next` of a fresh process of `function`.
    pub async fn cold_start(&self, function: &str) -> f64 {
        let answer: serde_json::Value = self
            .http
            .post(format!("{}/functions/{function}/cold-start", self.base))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("cold start of {function}: {e}"))
            .json()
            .await
            .expect("a cold start is JSON");
        answer["coldStartMs"].as_f64().expect("coldStartMs")
    }
}
