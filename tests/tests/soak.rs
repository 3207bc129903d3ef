//! The chaos soak (issue 8), sized for `make test` (about a minute of traffic): several
//! users with three devices each (each the client library, its outbox retrying every
//! unacknowledged send with the same id) send direct and group messages through 5% of posts
//! answered 410, 5% answered 429, 2% delivered with their answer lost, 2% of DynamoDB
//! requests throttled, 2% applied with their answer lost (a 500 or a reset after the write
//! took effect: the indeterminate case) and 1% of messages invocations killed. `make soak`
//! runs the same test bigger (`SOAK_USERS`, `SOAK_DEVICES`, `SOAK_SECONDS`).
//!
//! Nothing acknowledged may be lost, nothing stored twice, every conversation's seqs dense,
//! and no connection record may outlive its connection.

use parley_tests::soak::{self, SoakConfig};
use parley_tests::stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_or_duplicated_under_faults() {
    let stack = stack::shared();
    let config = SoakConfig::from_env(8, 3, 40);
    let report = soak::run(stack, &config).await;
    report.write();
    let o = &report.outcome;
    assert!(report.acknowledged > 0, "nothing was acknowledged");
    assert_eq!(
        report.unacknowledged, 0,
        "sends never acknowledged: {:?}",
        o.problems
    );
    assert_eq!(o.lost, 0, "lost: {:?}", o.problems);
    assert_eq!(o.duplicated, 0, "duplicated: {:?}", o.problems);
    assert_eq!(o.seq_gaps, 0, "seq gaps: {:?}", o.problems);
    assert_eq!(report.stale_connections, 0, "stale connection records");
    let faults = &report.json["faultsInjected"];
    for kind in [
        "connections.gone",
        "connections.limitExceeded",
        "connections.lostAnswer",
        "aws.lostAnswer",
    ] {
        assert!(
            faults[kind].as_u64().unwrap_or(0) > 0,
            "no {kind} was injected: {faults}"
        );
    }
    // Lost answers are counted by operation, among them the send's transaction.
    let by_operation: Vec<&String> = faults
        .as_object()
        .into_iter()
        .flat_map(|kinds| kinds.keys())
        .filter(|kind| kind.starts_with("aws.lostAnswer.dynamodb."))
        .collect();
    assert!(
        !by_operation.is_empty(),
        "no lost answer by operation: {faults}"
    );
}
