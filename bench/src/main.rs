//! `make bench`: runs every measurement against a fresh local stack and writes
//! `target/bench/report.json` and `report.md`. `--smoke` runs the small sizes; `--bursts`
//! only the concurrent sends into one conversation (`target/bench/bursts.json`).

use parley_bench::{report, run, Sizes};

#[tokio::main]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let sizes = if smoke { Sizes::smoke() } else { Sizes::full() };
    let dir = parley_tests::stack::workspace_root().join("target/bench");
    if std::env::args().any(|arg| arg == "--bursts") {
        let bursts = parley_bench::bursts(&sizes).await;
        std::fs::create_dir_all(&dir).expect("target/bench");
        let path = dir.join("bursts.json");
        let text = serde_json::to_string_pretty(&bursts).expect("JSON");
        std::fs::write(&path, &text).expect("write the bursts");
        println!("{text}\nwritten: {}", path.display());
        return;
    }
    let report = run(&sizes).await;
    report::write(&report, &dir).expect("write the report");
    println!("{}", report::markdown(&report));
    println!("written: {}", dir.join("report.json").display());
}
