//! The devstack's control API, served on the AWS endpoint's port under `/_devstack` (the
//! proxy forwards everything else), for benchmarks and tests:
//!
//! - `GET /_devstack/counters`: AWS requests per caller, service and operation with the
//!   DynamoDB capacity they consumed and the time spent in the emulators (`aws`), and per
//!   function its invocations at the Runtime API, cold starts, idle process ids and the
//!   peak memory of its processes since the stack started (`functions`);
//!   the faults injected so far by kind (`faults`, see [`crate::faults`]); and per stream
//!   mapping the records read and those its filters admitted (`streams`);
//! - `POST /_devstack/counters/reset`: clears the AWS counters, invocation timings, fault
//!   and stream counts;
//! - `GET /_devstack/faults`, `PUT /_devstack/faults`: the fault configuration, read or
//!   replaced (a JSON [`FaultConfig`]; `{}` turns every fault off);
//! - `POST /_devstack/functions/{name}/cold-start`: starts a fresh process of the function,
//!   waits for its first `next`, kills it, and answers `{"coldStartMs": …}`;
//! - `POST /_devstack/invoke/{FunctionLogicalId}`: invokes the function with the request
//!   body as the event and answers as Lambda's `Invoke` does (`control/invoke.rs`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::aws_proxy::metrics::Metrics;
use crate::faults::{self, FaultConfig};
use crate::lambda::{Functions, InvokeError};
use std::sync::Arc;

mod invoke;

#[derive(Clone)]
struct Control {
    functions: Functions,
    metrics: Arc<Metrics>,
}

pub fn router(functions: Functions, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/_devstack/counters", get(counters))
        .route("/_devstack/counters/reset", post(reset))
        .route("/_devstack/faults", get(faults).put(set_faults))
        .route("/_devstack/functions/{name}/cold-start", post(cold_start))
        .route("/_devstack/invoke/{function}", post(invoke::invoke))
        .with_state(Control { functions, metrics })
}

async fn counters(State(control): State<Control>) -> Json<Value> {
    let functions: BTreeMap<String, Value> = control
        .functions
        .names()
        .map(|name| {
            let invoke_ms: Vec<f64> = control
                .functions
                .invoke_times(name)
                .unwrap_or_default()
                .iter()
                .map(|took| took.as_secs_f64() * 1000.0)
                .collect();
            let pids = control.functions.idle_pids(name);
            let peak_rss_kb = control.functions.peak_rss_kb(name);
            let stats = json!({
                "invocations": invoke_ms.len(),
                "invokeMs": invoke_ms,
                "coldStarts": control.functions.cold_starts(name),
                "idlePids": pids,
                "peakRssKb": peak_rss_kb,
            });
            (name.to_owned(), stats)
        })
        .collect();
    Json(json!({
        "aws": control.metrics.snapshot(),
        "functions": functions,
        "faults": faults::global().counters(),
        "streams": crate::streams::counts::snapshot(),
    }))
}

async fn faults() -> Json<FaultConfig> {
    Json(faults::global().config())
}

async fn set_faults(Json(config): Json<FaultConfig>) -> Response {
    match config.validate() {
        Ok(()) => {
            faults::global().configure(config);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error).into_response(),
    }
}

async fn reset(State(control): State<Control>) -> StatusCode {
    control.metrics.reset();
    control.functions.clear_timings();
    faults::global().reset_counters();
    crate::streams::counts::reset();
    StatusCode::NO_CONTENT
}

async fn cold_start(State(control): State<Control>, Path(name): Path<String>) -> Response {
    match control.functions.measure_cold_start(&name).await {
        Ok(took) => Json(json!({
            "function": name,
            "coldStartMs": took.as_secs_f64() * 1000.0,
        }))
        .into_response(),
        Err(InvokeError::Unknown(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}
