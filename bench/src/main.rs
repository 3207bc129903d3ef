//! `make bench`: runs every measurement against a fresh local stack and writes
//! `target/bench/report.json` and `report.md`. `--smoke` runs the small sizes; `--bursts`
//! only the concurrent sends into one conversation (`target/bench/bursts.json`); `--fanout`
//! only the group fan-out (`target/bench/fanout.json`); `--rates` only the send-rate sweep
//! and its 1,000-message run (`target/bench/rates.json`); `--operations` only the cost of each
//! operation beyond a plain message (`target/bench/operations.json`); `--encryption` only what
//! end-to-end encryption costs (`target/bench/encryption.json`).

use parley_bench::{report, run, Sizes};

#[tokio::main]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let sizes = if smoke { Sizes::smoke() } else { Sizes::full() };
    let dir = parley_tests::stack::workspace_root().join("target/bench");
    if std::env::args().any(|arg| arg == "--bursts") {
        return write_part(&dir, "bursts.json", &parley_bench::bursts(&sizes).await);
    }
    if std::env::args().any(|arg| arg == "--fanout") {
        return write_part(&dir, "fanout.json", &parley_bench::fanout(&sizes).await);
    }
    if std::env::args().any(|arg| arg == "--rates") {
        return write_part(&dir, "rates.json", &parley_bench::rates(&sizes).await);
    }
    if std::env::args().any(|arg| arg == "--operations") {
        let figures = parley_bench::operations(&sizes).await;
        return write_part(&dir, "operations.json", &figures);
    }
    if std::env::args().any(|arg| arg == "--encryption") {
        let figures = parley_bench::encryption(&sizes).await;
        return write_part(&dir, "encryption.json", &figures);
    }
    let report = run(&sizes).await;
    report::write(&report, &dir).expect("write the report");
    println!("{}", report::markdown(&report));
    println!("written: {}", dir.join("report.json").display());
}

/// Writes one part's figures to `dir/name` and prints them.
fn write_part(dir: &std::path::Path, name: &str, figures: &serde_json::Value) {
    std::fs::create_dir_all(dir).expect("target/bench");
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(figures).expect("JSON");
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    println!("{text}\nwritten: {}", path.display());
}
