//! One function process (a Lambda sandbox): started with its own Runtime API, handed one
//! event at a time, killed when discarded.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tokio::process::Command;
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use super::environment::{process_environment, ProcessContext};
use super::health::{health, HealthWatch};
use super::ids;
use super::logs;
use super::runtime_api::{Invocation, Outcome, RuntimeApi};
use super::stall;
use super::supervisor::{KillSwitch, Supervisors};
use super::InvokeError;
use crate::stack_spec::FunctionSpec;

/// What every process of one function is started from.
pub(crate) struct Launch {
    pub spec: FunctionSpec,
    pub region: String,
    pub function_arn: String,
    /// How long a new process may take to ask for its first event; Lambda's init phase
    /// limit, separate from the function's timeout.
    pub init_timeout: Duration,
}

/// A started process that has asked for its first event. Dropping it kills the process and
/// frees its concurrency slot.
pub(crate) struct Process {
    id: u64,
    pid: Option<u32>,
    api: RuntimeApi,
    health: HealthWatch,
    kill: KillSwitch,
    /// From spawn until the first `next` request: the function's init.
    cold_start: Duration,
    _slot: OwnedSemaphorePermit,
}

impl Process {
    /// Spawns a process of `launch` and waits for its init phase to end.
    pub(crate) async fn start(
        launch: &Launch,
        supervisors: &Arc<Supervisors>,
        slot: OwnedSemaphorePermit,
    ) -> Result<Self, InvokeError> {
        let name = &launch.spec.name;
        let id = supervisors.next_id();
        let (reporter, mut health) = health();
        let api = RuntimeApi::start(launch.function_arn.clone(), reporter.clone())
            .await
            .map_err(|err| {
                InvokeError::Crashed(format!("{name}: cannot serve a runtime API: {err}"))
            })?;

        // Lambda runs the handler from its task root; a relative binary path must not be
        // resolved against a changed working directory.
        let binary =
            std::path::absolute(&launch.spec.binary).unwrap_or_else(|_| launch.spec.binary.clone());
        let task_root = binary.parent().map(PathBuf::from).unwrap_or_default();
        let log_stream = ids::log_stream_name();
        let context = ProcessContext {
            region: &launch.region,
            runtime_api: api.address(),
            log_stream: &log_stream,
            task_root: &task_root,
        };
        let inherited = std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        });
        let mut command = Command::new(&binary);
        command
            .env_clear()
            .envs(process_environment(&launch.spec, &context, inherited))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // The backstop: a process whose supervisor is dropped (the runtime shutting
            // down) is killed rather than orphaned.
            .kill_on_drop(true);
        if task_root.is_dir() {
            command.current_dir(&task_root);
        }

        let spawned_at = Instant::now();
        let mut child = command.spawn().map_err(|err| {
            InvokeError::Crashed(format!("{name}: cannot start {}: {err}", binary.display()))
        })?;
        let pid = child.id();
        if let Some(stdout) = child.stdout.take() {
            logs::forward(name.clone(), stdout);
        }
        if let Some(stderr) = child.stderr.take() {
            logs::forward(name.clone(), stderr);
        }
        let kill = supervisors.adopt(id, child, reporter).ok_or_else(|| {
            InvokeError::Crashed(format!("{name}: the devstack is shutting down"))
        })?;
        let mut process = Self {
            id,
            pid,
            api,
            health: health.clone(),
            kill,
            cold_start: Duration::ZERO,
            _slot: slot,
        };

        match tokio::time::timeout(launch.init_timeout, health.ready()).await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => {
                return Err(InvokeError::Crashed(format!(
                    "{name} failed to start: {reason}"
                )));
            }
            Err(_) => {
                return Err(InvokeError::Crashed(format!(
                    "{name} did not ask for an event within the {:?} init limit ({})",
                    launch.init_timeout,
                    stall::describe(pid, spawned_at.elapsed())
                )));
            }
        }
        process.cold_start = spawned_at.elapsed();
        tracing::info!(
            function = %name,
            process = id,
            pid,
            cold_start_ms = process.cold_start.as_millis(),
            "cold start"
        );
        Ok(process)
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub(crate) fn cold_start(&self) -> Duration {
        self.cold_start
    }

    pub(crate) fn health(&self) -> HealthWatch {
        self.health.clone()
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.health.is_failed()
    }

    /// Hands `payload` to the process and waits for its result, for at most `timeout`.
    /// Fails as soon as the process dies rather than at the deadline.
    pub(crate) async fn invoke(&self, payload: Value, timeout: Duration) -> Outcome {
        let (reply, result) = oneshot::channel();
        let invocation = Invocation {
            request_id: ids::request_id(),
            payload,
            deadline: SystemTime::now() + timeout,
            trace_id: ids::trace_id(),
            reply,
        };
        let mut health = self.health.clone();
        let run = async {
            if self.api.submit(invocation).await.is_err() {
                return Err(InvokeError::Crashed("the runtime API is gone".into()));
            }
            tokio::select! {
                // A result posted just before the process exits still counts.
                biased;
                outcome = result => outcome.unwrap_or_else(|_| {
                    Err(InvokeError::Crashed("the runtime API dropped the invocation".into()))
                }),
                reason = health.failed() => Err(InvokeError::Crashed(reason)),
            }
        };
        tokio::time::timeout(timeout, run)
            .await
            .unwrap_or(Err(InvokeError::Timeout(timeout)))
    }
}

impl Process {
    /// Kills the process now (fault injection); the pool discards it.
    pub(crate) fn kill(&self) {
        self.kill.kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill.kill();
    }
}
