//! Writing the report: the JSON as measured, the Markdown table beside it, and how far each
//! figure is from the targets.

use std::path::Path;

use serde_json::Value;

/// The targets, each as (what, target, measured, met).
pub fn targets(report: &Value) -> Vec<(String, String, String, Option<bool>)> {
    let mut rows = Vec::new();
    if let Some(functions) = report["cold_start_ms"].as_object() {
        for (name, s) in functions {
            let p50 = s["p50"].as_f64();
            rows.push((
                format!("cold start {name}, median"),
                "≤ 20 ms".into(),
                show(p50, "ms"),
                p50.map(|v| v <= 20.0),
            ));
        }
    }
    let dm = &report["requests_per_dm"];
    let dynamodb = dm["dynamodbRequests"].as_f64();
    rows.push((
        "DynamoDB requests per DM".into(),
        "≤ 4".into(),
        show(dynamodb, ""),
        dynamodb.map(|v| v <= 4.0),
    ));
    let posts = dm["apiGatewayPosts"].as_f64();
    rows.push((
        "posts per DM (one receiving device)".into(),
        "≤ 1".into(),
        show(posts, ""),
        posts.map(|v| v <= 1.0),
    ));
    let cost = report["cost_per_million_dm_usd"]["parley"]["total"].as_f64();
    rows.push((
        "$ per million DMs".into(),
        "≤ $4".into(),
        show(cost, "$"),
        cost.map(|v| v <= 4.0),
    ));
    let sample = report["cost_per_million_dm_usd"]["scanAndBroadcastSample"]["1000"]
        ["costPerMillionUsd"]["total"]
        .as_f64();
    rows.push((
        "sample design at 1,000 users, $ per million".into(),
        "≈ $1,000 (reference)".into(),
        show(sample, "$"),
        None,
    ));
    for kind in ["requests", "cost"] {
        let spread = report["scaling"]["maxDeviationPercent"][kind].as_f64();
        rows.push((
            format!("{kind} per DM, 10 → 1,000 idle users"),
            "flat within 5%".into(),
            show(spread, "%"),
            spread.map(|v| v <= 5.0),
        ));
    }
    let fanout = report["fanout_256_ms"]["sendToLastMember"]["p50"].as_f64();
    rows.push((
        "256-member fan-out p50".into(),
        "< 250 ms".into(),
        show(fanout, "ms"),
        fanout.map(|v| v < 250.0),
    ));
    if let Some(bursts) = report["burst_one_conversation"].as_object() {
        for (size, run) in bursts {
            let per_stored = run["dynamodbRequestsPerStored"].as_f64();
            rows.push((
                format!("{size} sends at once into one conversation: DynamoDB requests per stored message (last `sent` after {})", show(run["lastSentMs"].as_f64(), "ms")),
                "flat in the burst size; none `internal`".into(),
                show(per_stored, ""),
                None,
            ));
        }
    }
    if let Some(operations) = report["per_operation"].as_object() {
        for (name, o) in operations.iter().filter(|(_, o)| o.is_object()) {
            let dollars = o["costPerMillionUsd"]["total"].as_f64();
            rows.push((
                format!(
                    "{name}: DynamoDB requests {}, write units {}, posts {}; $ per million",
                    show(o["dynamodbRequests"].as_f64(), ""),
                    show(o["writeUnits"].as_f64(), ""),
                    show(o["apiGatewayPosts"].as_f64(), ""),
                ),
                "– (reference)".into(),
                show(dollars, "$"),
                None,
            ));
        }
    }
    let e2e = &report["e2e_encryption"];
    if e2e["measured"] == true {
        rows.push((
            "End-to-end encryption: first contact between two new users, send to decrypted (p50)"
                .into(),
            "– (reference)".into(),
            show(e2e["firstContactToDecryptedMs"]["p50"].as_f64(), "ms"),
            None,
        ));
        rows.push((
            "End-to-end encryption: bytes and ms (p50, send to readable) added per message".into(),
            "– (reference)".into(),
            format!(
                "{} B, {}",
                show(e2e["addedPerMessage"]["bytes"].as_f64(), ""),
                show(e2e["addedPerMessage"]["msP50"].as_f64(), "ms")
            ),
            None,
        ));
        for (name, row) in [("encrypted", "encryptedDm"), ("plain", "plainDm")] {
            let o = &e2e[row];
            rows.push((
                format!(
                    "A {name} DM through the client library: DynamoDB requests {}, posts {}; $ per million",
                    show(o["dynamodbRequests"].as_f64(), ""),
                    show(o["apiGatewayPosts"].as_f64(), ""),
                ),
                "– (reference)".into(),
                show(o["costPerMillionUsd"]["total"].as_f64(), "$"),
                None,
            ));
        }
    }
    if let Some(functions) = report["artifact_bytes"].as_object() {
        for (name, a) in functions {
            let mb = a["binaryBytes"].as_f64().map(|b| b / 1_048_576.0);
            rows.push((
                format!("{name} stripped binary"),
                "< 8 MB".into(),
                show(mb, "MB"),
                mb.map(|v| v < 8.0),
            ));
        }
    }
    if let Some(functions) = report["peak_rss_mb"].as_object() {
        for (name, p) in functions {
            let mb = p["peakRssMb"].as_f64();
            rows.push((
                format!("{name} peak memory"),
                "< 32 MB".into(),
                show(mb, "MB"),
                mb.map(|v| v < 32.0),
            ));
        }
    }
    rows
}

fn show(value: Option<f64>, unit: &str) -> String {
    match (value, unit) {
        (None, _) => "not measured".into(),
        (Some(v), "$") => format!("${v:.2}"),
        (Some(v), "") => format!("{v}"),
        (Some(v), unit) => format!("{v:.2} {unit}"),
    }
}

pub fn markdown(report: &Value) -> String {
    let mut md = String::from("# Parley benchmark\n\n");
    md.push_str(&format!(
        "Measured {} on {} ({} cores, {} MB), load average before {} / after {}; binaries from `{}`.\n\n",
        report["date"].as_str().unwrap_or("?"),
        report["machine"]["cpu"].as_str().unwrap_or("?"),
        report["machine"]["nproc"],
        report["machine"]["memoryMb"],
        report["loadAverageBefore"].as_str().unwrap_or("?"),
        report["machine"]["loadAverage"].as_str().unwrap_or("?"),
        report["binDir"].as_str().unwrap_or("?"),
    ));
    md.push_str(
        "## Against the targets\n\n| figure | target | measured | met |\n|---|---|---|---|\n",
    );
    for (what, target, measured, met) in targets(report) {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        md.push_str(&format!("| {what} | {target} | {measured} | {met} |\n"));
    }
    md.push_str("\n## Every figure\n\n| key | value |\n|---|---|\n");
    for key in crate::KEYS {
        md.push_str(&format!("| `{key}` | `{}` |\n", report[key]));
    }
    md
}

pub fn write(report: &Value, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(dir.join("report.md"), markdown(report))
}
