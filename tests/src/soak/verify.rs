//! After the soak, with faults off: what every device finds by sync, held against what was
//! acknowledged, and whether any connection record outlived its connection.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use tokio::time::Instant;

use super::device::{DeviceRun, Target};
use super::RECORD_SETTLE;
use crate::chat::sync_all;
use crate::client::connect;
use crate::stack::StackInfo;
use crate::tables::all_connections;
use crate::users::TestUser;

/// What the checks found.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// (acknowledged message, member device) pairs that sync did not return.
    pub lost: u64,
    /// Extra copies: a (sender, client id) stored under more than one seq.
    pub duplicated: u64,
    /// Seqs missing below a conversation's highest.
    pub seq_gaps: u64,
    pub conversations: u64,
    /// (message, device) pairs the device's client library had handed over while it ran
    /// (live, or by its own catch-up sync) / that only this check's sync brought.
    pub delivered_live: u64,
    pub recovered_by_sync: u64,
    /// Sends never acknowledged that were stored anyway (allowed once).
    pub unacked_stored: u64,
    /// The first few problems, for the failure message.
    pub problems: Vec<String>,
}

impl Outcome {
    fn problem(&mut self, text: String) {
        if self.problems.len() < 20 {
            self.problems.push(text);
        }
    }
}

/// Syncs every device of every user from the start and holds the result against `runs`
/// (user-major, `devices` per user, as [`super::run`] made them).
pub async fn check(
    stack: &StackInfo,
    users: &[Arc<TestUser>],
    groups: &[(String, Vec<String>)],
    devices: usize,
    runs: &[DeviceRun],
) -> Outcome {
    let mut outcome = Outcome::default();
    let members = |from: &str, target: &Target| -> Vec<String> {
        match target {
            Target::User(to) => vec![from.to_owned(), to.clone()],
            Target::Conversation(c) => groups
                .iter()
                .find(|(g, _)| g == c)
                .map(|(_, m)| m.clone())
                .unwrap_or_default(),
        }
    };
    let acked: Vec<_> = runs.iter().flat_map(|r| r.acked.iter()).collect();
    let unacked: HashSet<&str> = runs
        .iter()
        .flat_map(|r| r.unacked.iter().map(String::as_str))
        .collect();
    let mut seqs: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut stored_unacked: HashSet<String> = HashSet::new();

    for (u, user) in users.iter().enumerate() {
        for d in 0..devices {
            let run = &runs[u * devices + d];
            let mut client = connect(stack, Some(&user.id_token))
                .await
                .expect("a device connects for the check");
            let synced = sync_all(&mut client, None, None).await;
            client.close().await;
            // (conversation, seq) -> (from, id); and (from, id) -> seqs.
            let mut by_key: HashMap<(String, u64), (String, String)> = HashMap::new();
            let mut by_id: HashMap<(String, String), BTreeSet<(String, u64)>> = HashMap::new();
            for message in &synced.messages {
                let conversation = message["conversation"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let seq = message["seq"].as_u64().unwrap_or_default();
                seqs.entry(conversation.clone()).or_default().insert(seq);
                if !message["system"].is_null() {
                    continue;
                }
                let from = text(message, "from");
                let id = text(message, "id");
                if unacked.contains(id.as_str()) {
                    stored_unacked.insert(id.clone());
                }
                by_key.insert((conversation.clone(), seq), (from.clone(), id.clone()));
                by_id
                    .entry((from, id))
                    .or_default()
                    .insert((conversation.clone(), seq));
                let own = run.acked.iter().any(|a| a.id == text(message, "id"));
                if !own {
                    if run.live.contains(&(conversation, seq)) {
                        outcome.delivered_live += 1;
                    } else {
                        outcome.recovered_by_sync += 1;
                    }
                }
            }
            for ((from, id), keys) in &by_id {
                if keys.len() > 1 {
                    outcome.duplicated += keys.len() as u64 - 1;
                    outcome.problem(format!(
                        "{from}/{id} stored at {keys:?} (user {u} device {d})"
                    ));
                }
            }
            for a in &acked {
                if !members(&a.from, &a.target).contains(&user.user_id) {
                    continue;
                }
                match by_key.get(&(a.conversation.clone(), a.seq)) {
                    Some((from, id)) if *from == a.from && *id == a.id => {}
                    found => {
                        outcome.lost += 1;
                        outcome.problem(format!(
                            "acknowledged {}/{} at {}#{} not synced to user {u} device {d} (found {found:?})",
                            a.from, a.id, a.conversation, a.seq
                        ));
                    }
                }
            }
        }
    }
    outcome.unacked_stored = stored_unacked.len() as u64;
    outcome.conversations = seqs.len() as u64;
    for (conversation, seen) in &seqs {
        let highest = seen.iter().next_back().copied().unwrap_or(0);
        let gaps = highest - seen.len() as u64;
        if gaps > 0 || seen.first() != Some(&1) {
            outcome.seq_gaps += gaps.max(1);
            outcome.problem(format!("{conversation}: seqs {seen:?} are not dense"));
        }
    }
    outcome
}

fn text(message: &Value, field: &str) -> String {
    message[field].as_str().unwrap_or_default().to_owned()
}

/// Connection records whose connection is not live, after letting `$disconnect`s settle
/// for up to [`RECORD_SETTLE`]: 0 when every record belongs to a live connection.
pub async fn stale_connections(stack: &StackInfo) -> u64 {
    let endpoint = stack.management_endpoint.clone();
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let mut stale = 0;
        for id in all_connections(stack).await {
            let url = format!(
                "{endpoint}/@connections/{}",
                id.replace('+', "%2B").replace('/', "%2F")
            );
            let live = http
                .get(url)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if !live {
                stale += 1;
            }
        }
        if stale == 0 || started.elapsed() > RECORD_SETTLE {
            return stale;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
