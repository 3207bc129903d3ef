//! `make bench`: runs every measurement against a fresh local stack and writes
//! `target/bench/report.json` and `report.md`. `--smoke` runs the small sizes.

use parley_bench::{report, run, Sizes};

#[tokio::main]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let sizes = if smoke { Sizes::smoke() } else { Sizes::full() };
    let report = run(&sizes).await;
    let dir = parley_tests::stack::workspace_root().join("target/bench");
    report::write(&report, &dir).expect("write the report");
    println!("{}", report::markdown(&report));
    println!("written: {}", dir.join("report.json").display());
}
