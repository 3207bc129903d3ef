//! The chaos soak (issue 8): many users with several devices (each the client library, as
//! an app runs it: outbox, sync, reconnects) send direct and group messages, the apps
//! restarted now and then, while the stack injects faults (by default 5% of
//! `@connections` posts 410, 5% 429, 2% delivered with their answer lost, 2% of DynamoDB
//! requests throttled and 2% applied with their answer lost, 1% of messages
//! invocations killed). Then, with faults off, it checks the promise ([`verify`]) and
//! writes a report to `target/soak/report.json` and `report.md`.
//!
//! Sized by `SOAK_USERS`, `SOAK_DEVICES`, `SOAK_SECONDS`, `SOAK_GROUP_SIZE`, `SOAK_SEED`;
//! `SOAK_DROP` adds abrupt socket drops per client frame.

mod device;
mod dice;
mod report;
mod verify;

use futures_util::future::join_all;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub use device::{Acked, DeviceRun, Target};
pub use report::Report;

use crate::chat::create_group;
use crate::client::connect;
use crate::stack::StackInfo;
use crate::users::{sign_up, TestUser};

/// The soak's size and faults.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    pub users: usize,
    pub devices: usize,
    pub duration: Duration,
    pub group_size: usize,
    pub seed: u64,
    /// The fault configuration sent to the devstack for the run.
    pub faults: Value,
}

impl SoakConfig {
    /// The defaults (small enough for `make test`), overridden by `SOAK_*` variables.
    pub fn from_env(users: usize, devices: usize, seconds: u64) -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        let seed = var("SOAK_SEED").unwrap_or(8);
        let drop = std::env::var("SOAK_DROP")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        Self {
            users: var("SOAK_USERS").map_or(users, |n| n as usize).max(2),
            devices: var("SOAK_DEVICES")
                .map_or(devices, |n| n as usize)
                .clamp(1, 9),
            duration: Duration::from_secs(var("SOAK_SECONDS").unwrap_or(seconds)),
            group_size: var("SOAK_GROUP_SIZE").map_or(4, |n| n as usize).max(2),
            seed,
            faults: json!({
                "seed": seed,
                "connections": {"gone": 0.05, "limitExceeded": 0.05, "drop": drop,
                    "lostAnswer": 0.02},
                "aws": {"throttle": 0.02, "lostAnswer": 0.02, "services": ["dynamodb"]},
                "lambda": {"crash": 0.01, "functions": ["MessagesFunction"]},
            }),
        }
    }
}

/// Runs the soak on `stack` and returns its report (asserting nothing itself).
pub async fn run(stack: &StackInfo, config: &SoakConfig) -> Report {
    let control = Control::new(stack);
    control.set_faults(&json!({})).await;
    let users: Vec<Arc<TestUser>> = join_all(
        (0..config.users)
            .map(|i| async move { Arc::new(sign_up(stack, &format!("soak{i}")).await) }),
    )
    .await;
    let groups = create_groups(stack, &users, config.group_size).await;

    control.reset_counters().await;
    control.set_faults(&config.faults).await;
    let until = Instant::now() + config.duration;
    // Per user about 0.6 sends a second, under the send limit's steady rate of one.
    let interval = Duration::from_millis(1_600 * config.devices as u64);
    let plans = users.iter().enumerate().flat_map(|(u, user)| {
        let mut targets: Vec<Target> = users
            .iter()
            .filter(|other| other.user_id != user.user_id)
            .map(|other| Target::User(other.user_id.clone()))
            .collect();
        for (conversation, members) in &groups {
            if members.contains(&user.user_id) {
                // Weighted like the directs together, so groups see real traffic.
                for _ in 0..targets.len().max(1) {
                    targets.push(Target::Conversation(conversation.clone()));
                }
            }
        }
        (0..config.devices).map(move |d| device::DevicePlan {
            user: Arc::clone(user),
            targets: targets.clone(),
            interval,
            restart: 0.05,
            until,
            seed: config.seed * 1_000_003 + (u * 16 + d) as u64,
        })
    });
    let runs: Vec<DeviceRun> = join_all(plans.map(|plan| async move {
        let user = plan.user.user_id.clone();
        (user, device::run(stack, plan).await)
    }))
    .await
    .into_iter()
    .map(|(_, run)| run)
    .collect();
    let finished = Instant::now();
    control.set_faults(&json!({})).await;
    let faults = control.counters().await;

    let stale = verify::stale_connections(stack).await;
    let mut runs = runs;
    for run in &mut runs {
        if let Some(running) = run.running.take() {
            running.stop(|_| {}).await;
        }
    }
    device::remove_stores();
    let outcome = verify::check(stack, &users, &groups, config.devices, &runs).await;
    Report::new(config, &runs, outcome, stale, faults, finished.elapsed())
}

/// Groups of `size` consecutive users (the creator first); the last may be smaller.
async fn create_groups(
    stack: &StackInfo,
    users: &[Arc<TestUser>],
    size: usize,
) -> Vec<(String, Vec<String>)> {
    let mut groups = Vec::new();
    for (g, members) in users.chunks(size).enumerate() {
        if members.len() < 2 {
            continue;
        }
        let mut creator = connect(stack, Some(&members[0].id_token))
            .await
            .expect("the group creator connects");
        let id = format!("soak-group-{g}");
        let others: Vec<&str> = members[1..].iter().map(|m| m.user_id.as_str()).collect();
        creator
            .send(&create_group(&id, &format!("soak {g}"), &others))
            .await;
        let reply = creator
            .frame_where("the group", |f| f["id"] == id.as_str())
            .await;
        assert_eq!(reply["type"], "group", "{reply}");
        let conversation = reply["conversation"]
            .as_str()
            .expect("a conversation")
            .to_owned();
        groups.push((
            conversation,
            members.iter().map(|m| m.user_id.clone()).collect(),
        ));
        creator.close().await;
    }
    groups
}

/// The devstack's control API (infra/devstack/src/control.rs).
struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    fn new(stack: &StackInfo) -> Self {
        Self {
            base: format!("{}/_devstack", stack.aws_endpoint),
            http: reqwest::Client::new(),
        }
    }

    async fn set_faults(&self, faults: &Value) {
        let response = self
            .http
            .put(format!("{}/faults", self.base))
            .json(faults)
            .send()
            .await
            .expect("PUT /_devstack/faults");
        assert!(
            response.status().is_success(),
            "the faults were refused: {response:?}"
        );
    }

    async fn reset_counters(&self) {
        self.http
            .post(format!("{}/counters/reset", self.base))
            .send()
            .await
            .expect("reset the counters");
    }

    /// The faults injected, by kind.
    async fn counters(&self) -> Value {
        let counters: Value = self
            .http
            .get(format!("{}/counters", self.base))
            .send()
            .await
            .expect("GET /_devstack/counters")
            .json()
            .await
            .expect("counters are JSON");
        counters["faults"].clone()
    }
}

/// How long after a connection ends its record may linger.
pub const RECORD_SETTLE: Duration = Duration::from_secs(10);
