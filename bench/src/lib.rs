//! `make bench`: measures the local stack with real WebSocket clients and real Cognito
//! tokens, and writes `target/bench/report.json` and `report.md`. The same code runs small
//! inside `make test` ([`Sizes::smoke`]) so that it cannot rot; nothing here asserts a time.
//!
//! - [`cold`], [`messaging`], [`operations`] and [`encryption`] drive the stack; [`control`] reads its counters;
//! - [`cost`] prices what was counted; [`artifacts`] and [`machine`] describe the build and
//!   the host; [`report`] writes the files and compares with the targets.

pub mod artifacts;
pub mod burst;
pub mod cold;
pub mod control;
pub mod cost;
pub mod devices;
pub mod encryption;
pub mod machine;
pub mod messaging;
pub mod operations;
pub mod report;
pub mod stats;

use std::path::PathBuf;
use std::sync::Arc;

use parley_tests::stack::{self, StackInfo};
use serde_json::{json, Value};

use control::Control;

/// How much of everything to measure.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub cold_starts: usize,
    /// Direct messages averaged per request count.
    pub dms: usize,
    /// Idle users connected for the scaling run, in increasing order.
    pub scaling: Vec<usize>,
    pub e2e_messages: usize,
    pub e2e_rate_per_second: f64,
    /// Rates tried for the highest sustainable one, each for `rate_messages` messages.
    pub rates: Vec<f64>,
    pub rate_messages: usize,
    /// Sender-recipient pairs set up first: the first sends the counted messages and creates
    /// the group (load runs make senders of their own).
    pub pairs: usize,
    pub group_members: usize,
    pub group_messages: usize,
    /// Warm invocations of each function a direct message does not use.
    pub warm_invokes: usize,
    /// Sends fired at once into one conversation, one run per size.
    pub bursts: Vec<usize>,
}

impl Sizes {
    pub fn full() -> Self {
        Self {
            cold_starts: 20,
            dms: 10,
            scaling: vec![10, 100, 1000],
            e2e_messages: 1000,
            e2e_rate_per_second: 20.0,
            rates: vec![10.0, 20.0, 40.0, 80.0, 160.0],
            rate_messages: 200,
            pairs: 1,
            group_members: 256,
            group_messages: 20,
            warm_invokes: 20,
            bursts: vec![10, 40, 80],
        }
    }

    /// Every measurement, as small as still measures it.
    pub fn smoke() -> Self {
        Self {
            cold_starts: 2,
            dms: 2,
            scaling: vec![2, 4, 6],
            e2e_messages: 10,
            e2e_rate_per_second: 20.0,
            rates: vec![20.0, 40.0],
            rate_messages: 10,
            pairs: 1,
            group_members: 4,
            group_messages: 2,
            warm_invokes: 2,
            bursts: vec![4, 12],
        }
    }
}

/// Starts the stack (or reuses this process's), measures everything, and returns the report.
pub async fn run(sizes: &Sizes) -> Value {
    let stack: StackInfo = tokio::task::spawn_blocking(|| stack::shared().clone())
        .await
        .expect("start the stack");
    let control = Arc::new(Control::new(&stack.aws_endpoint));
    let load_before = machine::load_average();

    let cold_start_ms = cold::measure(&control, sizes.cold_starts).await;
    let measured = messaging::measure(&stack, &control, sizes).await;
    let bursts = burst::measure(&stack, &control, &sizes.bursts).await;
    let per_operation = operations::measure(&stack, &control, sizes.dms).await;
    let e2e_encryption = encryption::measure(&stack, &control, sizes.dms, sizes.dms).await;
    let last = control.reset().await;
    let warm_invoke_ms = cold::warm_invokes(&control);
    let peak_rss_mb = cold::peak_rss(&last);

    let root = stack::workspace_root();
    let bin_dir = std::env::var_os("DEVSTACK_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/debug"));
    let bin_dir = if bin_dir.is_absolute() {
        bin_dir
    } else {
        root.join(bin_dir)
    };
    json!({
        "date": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "machine": machine::describe(),
        "loadAverageBefore": load_before,
        "binDir": bin_dir.display().to_string(),
        "sizes": format!("{sizes:?}"),
        "cold_start_ms": cold_start_ms,
        "warm_invoke_ms": warm_invoke_ms,
        "requests_per_dm": measured.requests_per_dm,
        "cost_per_million_dm_usd": measured.cost,
        "scaling": measured.scaling,
        "e2e_ms": measured.e2e,
        "fanout_256_ms": measured.fanout,
        "burst_one_conversation": bursts,
        "per_operation": per_operation,
        "e2e_encryption": e2e_encryption,
        "artifact_bytes": artifacts::measure(&root, &bin_dir),
        "peak_rss_mb": peak_rss_mb,
    })
}

/// Only the group fan-out ([`messaging::measure_fanout`]), on a fresh stack, with the
/// machine and the binaries measured.
pub async fn fanout(sizes: &Sizes) -> Value {
    let (stack, control, load_before) = part_stack().await;
    let fanout = messaging::measure_fanout(&stack, &control, sizes).await;
    part_report(load_before, "fanout_256_ms", fanout)
}

/// Only the send-rate sweep and the fixed-rate run ([`messaging::measure_rates`]), on a
/// fresh stack, with the machine and the binaries.
pub async fn rates(sizes: &Sizes) -> Value {
    let (stack, control, load_before) = part_stack().await;
    let e2e = messaging::measure_rates(&stack, &control, sizes).await;
    part_report(load_before, "e2e_ms", e2e)
}

/// The stack for one part of the report, and the load average before it is measured.
async fn part_stack() -> (StackInfo, Control, Value) {
    let stack: StackInfo = tokio::task::spawn_blocking(|| stack::shared().clone())
        .await
        .expect("start the stack");
    let control = Control::new(&stack.aws_endpoint);
    (stack, control, json!(machine::load_average()))
}

/// One part's figures under `key`, with the date, the machine and the binaries.
fn part_report(load_before: Value, key: &str, figures: Value) -> Value {
    let mut report = json!({
        "date": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "machine": machine::describe(),
        "loadAverageBefore": load_before,
        "binDir": std::env::var("DEVSTACK_BIN_DIR").unwrap_or_else(|_| "target/debug".into()),
    });
    report[key] = figures;
    report
}

/// Only the cost of each operation beyond a plain message ([`operations`]), on a fresh
/// stack, with the machine and the binaries.
pub async fn operations(sizes: &Sizes) -> Value {
    let (stack, control, load_before) = part_stack().await;
    let figures = operations::measure(&stack, &control, sizes.dms).await;
    part_report(load_before, "per_operation", figures)
}

/// Only what end-to-end encryption costs ([`encryption`]), on a fresh stack, with the machine
/// and the binaries.
pub async fn encryption(sizes: &Sizes) -> Value {
    let (stack, control, load_before) = part_stack().await;
    let figures = encryption::measure(&stack, &control, sizes.dms, sizes.dms).await;
    part_report(load_before, "e2e_encryption", figures)
}

/// Only the bursts into one conversation ([`burst`]), on a fresh stack, with the machine.
pub async fn bursts(sizes: &Sizes) -> Value {
    let stack: StackInfo = tokio::task::spawn_blocking(|| stack::shared().clone())
        .await
        .expect("start the stack");
    let control = Control::new(&stack.aws_endpoint);
    json!({
        "date": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "machine": machine::describe(),
        "burst_one_conversation": burst::measure(&stack, &control, &sizes.bursts).await,
    })
}

/// The keys the issue asks for; every one must be in the report and measured.
pub const KEYS: [&str; 13] = [
    "cold_start_ms",
    "warm_invoke_ms",
    "requests_per_dm",
    "cost_per_million_dm_usd",
    "scaling",
    "e2e_ms",
    "fanout_256_ms",
    "burst_one_conversation",
    "per_operation",
    "e2e_encryption",
    "artifact_bytes",
    "peak_rss_mb",
    "machine",
];
