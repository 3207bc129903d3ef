//! The benchmark, small, inside `make test`: every key of the report is present and
//! measured. It asserts no time: these machines are noisy.

use parley_bench::{report, run, Sizes, KEYS};

#[tokio::test(flavor = "multi_thread")]
async fn every_key_of_the_report_is_measured() {
    let report = run(&Sizes::smoke()).await;
    for key in KEYS {
        assert!(!report[key].is_null(), "{key} is missing: {report:#}");
    }
    for key in ["requests_per_dm", "cost_per_million_dm_usd", "e2e_ms"] {
        assert_eq!(report[key]["measured"], true, "{key}: {:#}", report[key]);
    }
    for key in [
        "cold_start_ms",
        "warm_invoke_ms",
        "peak_rss_mb",
        "artifact_bytes",
    ] {
        let functions = report[key].as_object().expect("per function");
        assert!(!functions.is_empty(), "{key} names no function");
    }
    for (function, cold) in report["cold_start_ms"].as_object().unwrap() {
        assert!(cold["p50"].as_f64().is_some(), "{function}: {cold}");
    }
    for (function, rss) in report["peak_rss_mb"].as_object().unwrap() {
        assert!(rss["peakRssMb"].as_f64().is_some(), "{function}: {rss}");
    }
    assert!(report["requests_per_dm"]["dynamodbRequests"].as_f64() > Some(0.0));
    assert!(report["requests_per_dm"]["apiGatewayPosts"].as_f64() > Some(0.0));
    let fanout = &report["fanout_256_ms"];
    assert_eq!(fanout["measured"], true, "{fanout}");
    assert!(
        fanout["sendToLastMember"]["p50"].as_f64().is_some(),
        "{fanout}"
    );
    // Every burst stored all of its sends, none refused or unanswered (each sender stays
    // within its rate limit), and the requests per stored message were counted.
    let bursts = report["burst_one_conversation"]
        .as_object()
        .expect("bursts");
    assert!(!bursts.is_empty());
    for (size, run) in bursts {
        assert_eq!(run["measured"], true, "{size}: {run}");
        assert_eq!(run["stored"], run["sends"], "{size}: {run}");
        assert_eq!(run["unanswered"], 0, "{size}: {run}");
        assert!(
            run["dynamodbRequestsPerStored"].as_f64() > Some(0.0),
            "{size}: {run}"
        );
    }
    // Each operation beyond a plain message was counted; the keepalive reads no table, and a
    // change to a message is stored like one.
    let operations = &report["per_operation"];
    for (name, o) in operations.as_object().expect("per operation") {
        if o.is_object() {
            assert_eq!(o["measured"], true, "{name}: {o}");
            assert!(
                o["costPerMillionUsd"]["total"].as_f64() > Some(0.0),
                "{name}: {o}"
            );
        }
    }
    assert_eq!(operations["ping"]["dynamodbRequests"], 0.0, "{operations}");
    for name in [
        "edit",
        "react",
        "reply",
        "deleteForEveryone",
        "blockOrUnblock",
    ] {
        assert!(
            operations[name]["writeUnits"].as_f64() > Some(0.0),
            "{name}: {operations}"
        );
    }
    // Watchers are told when someone comes online and goes offline; nobody else is.
    assert_eq!(
        operations["connectAndDisconnect"]["apiGatewayPosts"], 0.0,
        "{operations}"
    );
    assert!(
        operations["connectAndDisconnectWatched"]["apiGatewayPosts"].as_f64() >= Some(2.0),
        "{operations}"
    );
    // Encryption's cost was measured with both clients' libraries, against a plain control.
    let e2e = &report["e2e_encryption"];
    assert_eq!(e2e["measured"], true, "{e2e}");
    assert!(
        e2e["firstContactToDecryptedMs"]["p50"].as_f64() > Some(0.0),
        "{e2e}"
    );
    for row in ["encryptedDm", "plainDm"] {
        assert!(
            e2e[row]["dynamodbRequests"].as_f64() > Some(0.0),
            "{row}: {e2e}"
        );
        assert!(
            e2e[row]["storedContentBytes"].as_f64() > Some(0.0),
            "{row}: {e2e}"
        );
    }
    // A Megolm message is larger than its text.
    assert!(
        e2e["addedPerMessage"]["bytes"].as_f64() > Some(0.0),
        "{e2e}"
    );
    assert!(!report::markdown(&report).is_empty());
}
