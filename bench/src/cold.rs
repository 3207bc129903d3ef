//! Per-function figures: cold starts on demand (a fresh process each, spawn until its first
//! `next`), warm invocations at the Runtime API with the part spent in the emulators, and
//! the peak memory of the function's processes over the whole run.

use serde_json::{json, Map, Value};

use crate::control::{Control, Counters};
use crate::stats::{round, summarize};

pub async fn measure(control: &Control, starts: usize) -> Value {
    let functions: Vec<String> = control.counters().await.functions.into_keys().collect();
    let mut report = Map::new();
    for function in functions {
        let mut sample = Vec::with_capacity(starts);
        for _ in 0..starts {
            sample.push(control.cold_start(&function).await);
        }
        report.insert(function, json!(summarize(&sample)));
    }
    Value::Object(report)
}

/// From the timings [`Control::reset`] gathered over the whole run.
pub fn warm_invokes(control: &Control) -> Value {
    let timings = control.timings.lock().unwrap();
    let report: Map<String, Value> = timings
        .invoke_ms
        .iter()
        .map(|(function, sample)| {
            let emulators = timings.upstream_ms.get(function).copied().unwrap_or(0.0);
            let per_invocation =
                (!sample.is_empty()).then(|| round(emulators / sample.len() as f64));
            (
                function.clone(),
                json!({
                    "runtimeApi": summarize(sample),
                    "emulatorWaitMeanMs": per_invocation,
                }),
            )
        })
        .collect();
    Value::Object(report)
}

pub fn peak_rss(counters: &Counters) -> Value {
    let report: Map<String, Value> = counters
        .functions
        .iter()
        .map(|(function, stats)| {
            let mb = stats.peak_rss_kb.map(|kb| round(kb as f64 / 1024.0));
            (
                function.clone(),
                json!({
                    "peakRssMb": mb,
                    "source": "VmHWM of each process, read after every invocation, highest kept",
                    "processesStarted": stats.cold_starts,
                }),
            )
        })
        .collect();
    Value::Object(report)
}
