//! Owns every function process from spawn until it is reaped, so that a crash is noticed the
//! moment it happens and shutdown can kill whatever is still running, busy or idle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::health::HealthReporter;

/// Asks a supervised process to be killed. Idempotent; every holder may pull it.
#[derive(Clone)]
pub(crate) struct KillSwitch(Arc<watch::Sender<bool>>);

impl KillSwitch {
    fn new() -> (Self, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (Self(Arc::new(tx)), rx)
    }

    pub(crate) fn kill(&self) {
        self.0.send_replace(true);
    }
}

/// All processes the devstack started and has not yet reaped.
#[derive(Default)]
pub(crate) struct Supervisors {
    state: Mutex<State>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Set by shutdown: nothing new is adopted afterwards, so a process spawned while the
    /// devstack shuts down is killed instead of escaping.
    closed: bool,
    running: HashMap<u64, Supervised>,
}

struct Supervised {
    kill: KillSwitch,
    task: JoinHandle<()>,
}

impl Supervisors {
    /// A devstack-wide process number, for logs and for telling processes apart.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Takes ownership of `child` until it exits; `health` learns why it did. `None` when
    /// shutting down: the child is dropped then, which kills it (it must be spawned with
    /// `kill_on_drop`).
    pub(crate) fn adopt(
        self: &Arc<Self>,
        id: u64,
        child: Child,
        health: HealthReporter,
    ) -> Option<KillSwitch> {
        let mut state = lock(&self.state);
        if state.closed {
            return None;
        }
        let (kill, killed) = KillSwitch::new();
        let supervisors = Arc::downgrade(self);
        // Spawned under the lock so the task cannot deregister before it is registered.
        let task = tokio::spawn(async move {
            supervise(child, killed, health).await;
            if let Some(supervisors) = supervisors.upgrade() {
                lock(&supervisors.state).running.remove(&id);
            }
        });
        state.running.insert(
            id,
            Supervised {
                kill: kill.clone(),
                task,
            },
        );
        Some(kill)
    }

    /// Kills every running process and waits until each is reaped.
    pub(crate) async fn shutdown(&self) {
        let running: Vec<Supervised> = {
            let mut state = lock(&self.state);
            state.closed = true;
            state
                .running
                .drain()
                .map(|(_, supervised)| supervised)
                .collect()
        };
        for supervised in &running {
            supervised.kill.kill();
        }
        for supervised in running {
            // A supervisor task that panicked has dropped its child, which kills it.
            let _ = supervised.task.await;
        }
    }

    /// Shutdown without waiting, for `Drop`.
    pub(crate) fn kill_all(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        for supervised in state.running.values() {
            supervised.kill.kill();
        }
    }
}

/// Waits for the child to exit or to be ordered killed, reaps it, and reports why it is gone.
async fn supervise(mut child: Child, mut killed: watch::Receiver<bool>, health: HealthReporter) {
    let pid = child
        .id()
        .map_or_else(|| "?".to_owned(), |pid| pid.to_string());
    let exited = tokio::select! {
        status = child.wait() => Some(status),
        // Also taken when every switch is dropped: nobody owns the process any more.
        _ = killed.wait_for(|kill| *kill) => None,
    };
    let reason = match exited {
        Some(Ok(status)) => format!("process {pid} exited ({status})"),
        Some(Err(err)) => format!("process {pid} could not be waited on: {err}"),
        None => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            format!("process {pid} was killed")
        }
    };
    health.fail(reason);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
