//! The soak's figures, printed and written to `target/soak/report.json` and `report.md`.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

use super::device::DeviceRun;
use super::verify::Outcome;
use super::SoakConfig;
use crate::stack::workspace_root;

#[derive(Debug, Clone)]
pub struct Report {
    pub json: Value,
    pub outcome: Outcome,
    pub stale_connections: u64,
    pub acknowledged: u64,
    pub sent: u64,
    pub unacknowledged: u64,
}

impl Report {
    pub fn new(
        config: &SoakConfig,
        runs: &[DeviceRun],
        outcome: Outcome,
        stale_connections: u64,
        faults: Value,
        check_took: Duration,
    ) -> Self {
        let sent: u64 = runs.iter().map(|r| r.sent).sum();
        let acknowledged = runs.iter().map(|r| r.acked.len() as u64).sum();
        let unacknowledged = runs.iter().map(|r| r.unacked.len() as u64).sum();
        let mut refused: BTreeMap<String, u64> = BTreeMap::new();
        for run in runs {
            for (code, n) in &run.refused {
                *refused.entry(code.clone()).or_default() += n;
            }
        }
        let json = json!({
            "users": config.users,
            "devicesPerUser": config.devices,
            "seconds": config.duration.as_secs(),
            "seed": config.seed,
            "faultConfig": config.faults,
            "messagesSent": sent,
            "acknowledged": acknowledged,
            "unacknowledgedAtEnd": unacknowledged,
            "refusedForGood": refused,
            "deliveredWhileRunning": outcome.delivered_live,
            "recoveredByFinalSync": outcome.recovered_by_sync,
            "lost": outcome.lost,
            "duplicated": outcome.duplicated,
            "seqGaps": outcome.seq_gaps,
            "conversations": outcome.conversations,
            "unacknowledgedButStored": outcome.unacked_stored,
            "staleConnectionRecords": stale_connections,
            "connects": runs.iter().map(|r| r.connects).sum::<u64>(),
            "refusedConnects": runs.iter().map(|r| r.refused_connects).sum::<u64>(),
            "disconnects": runs.iter().map(|r| r.disconnects).sum::<u64>(),
            "appRestarts": runs.iter().map(|r| r.restarts).sum::<u64>(),
            "faultsInjected": faults,
            "checkSeconds": check_took.as_secs(),
            "problems": outcome.problems,
        });
        Self {
            json,
            outcome,
            stale_connections,
            acknowledged,
            sent,
            unacknowledged,
        }
    }

    /// Prints the report and writes it under target/soak/.
    pub fn write(&self) {
        let dir = workspace_root().join("target/soak");
        let _ = std::fs::create_dir_all(&dir);
        let pretty = serde_json::to_string_pretty(&self.json).unwrap_or_default();
        let _ = std::fs::write(dir.join("report.json"), &pretty);
        let markdown = self.markdown();
        let _ = std::fs::write(dir.join("report.md"), &markdown);
        println!("{markdown}");
    }

    fn markdown(&self) -> String {
        let j = &self.json;
        let mut out = format!(
            "# Chaos soak\n\n{} users x {} devices, {} s, seed {}\n\n| figure | count |\n|---|---|\n",
            j["users"], j["devicesPerUser"], j["seconds"], j["seed"]
        );
        for key in [
            "messagesSent",
            "acknowledged",
            "unacknowledgedAtEnd",
            "deliveredWhileRunning",
            "recoveredByFinalSync",
            "lost",
            "duplicated",
            "seqGaps",
            "conversations",
            "unacknowledgedButStored",
            "staleConnectionRecords",
            "connects",
            "refusedConnects",
            "disconnects",
            "appRestarts",
        ] {
            out.push_str(&format!("| {key} | {} |\n", j[key]));
        }
        out.push_str("\n| refused for good | count |\n|---|---|\n");
        if let Some(refused) = j["refusedForGood"].as_object() {
            for (code, n) in refused {
                out.push_str(&format!("| {code} | {n} |\n"));
            }
        }
        out.push_str("\n| fault injected | count |\n|---|---|\n");
        if let Some(faults) = j["faultsInjected"].as_object() {
            for (kind, n) in faults {
                out.push_str(&format!("| {kind} | {n} |\n"));
            }
        }
        out
    }
}
