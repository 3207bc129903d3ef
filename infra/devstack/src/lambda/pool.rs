//! The processes of one function: warm ones waiting for an event, and the concurrency cap on
//! how many may exist at once. Like Lambda, an invocation takes an idle warm process, else
//! starts a new one if the cap allows, else waits for one to come free.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::memory::PeakMemory;
use super::process::{Launch, Process};
use super::runtime_api::Outcome;
use super::supervisor::Supervisors;
use super::InvokeError;
use crate::faults;

pub(crate) struct FunctionPool {
    launch: Launch,
    supervisors: Arc<Supervisors>,
    /// Warm processes waiting for an event; the most recently used is taken first.
    idle: Mutex<Vec<Process>>,
    /// Woken whenever a process goes back to `idle`.
    returned: Notify,
    /// One permit per process that may exist; each process holds its permit until dropped.
    /// Closed on shutdown.
    slots: Arc<Semaphore>,
    cold_starts: AtomicU64,
    /// How long each invocation took at the Runtime API (event handed over until the
    /// response), oldest first, for benchmarks; cleared by [`FunctionPool::clear_timings`].
    invoke_times: Mutex<Vec<Duration>>,
    /// The peak memory of its processes since the stack started (not cleared with timings).
    peak_memory: PeakMemory,
}

/// Invocation timings kept at most, so a long-running `make dev` does not grow without end.
const MAX_KEPT_TIMINGS: usize = 100_000;

impl FunctionPool {
    pub(crate) fn new(
        launch: Launch,
        max_concurrency: usize,
        supervisors: Arc<Supervisors>,
    ) -> Arc<Self> {
        Arc::new(Self {
            launch,
            supervisors,
            idle: Mutex::new(Vec::new()),
            returned: Notify::new(),
            slots: Arc::new(Semaphore::new(max_concurrency.max(1))),
            cold_starts: AtomicU64::new(0),
            invoke_times: Mutex::new(Vec::new()),
            peak_memory: PeakMemory::default(),
        })
    }

    pub(crate) fn cold_starts(&self) -> u64 {
        self.cold_starts.load(Ordering::Relaxed)
    }

    /// Runs one invocation on a process of this function.
    pub(crate) async fn invoke(self: Arc<Self>, payload: Value) -> Outcome {
        let process = self.acquire().await?;
        let handed_over = Instant::now();
        let timeout = self.launch.spec.timeout;
        let outcome = match faults::global().crash(&self.launch.spec.name) {
            None => process.invoke(payload, timeout).await,
            Some(after) => crash_during(&process, payload, timeout, after).await,
        };
        let took = handed_over.elapsed();
        self.peak_memory.observe(process.pid());
        {
            let mut times = lock(&self.invoke_times);
            if times.len() < MAX_KEPT_TIMINGS {
                times.push(took);
            }
        }
        let function = &self.launch.spec.name;
        match &outcome {
            // Lambda keeps the sandbox after a handled error too.
            Ok(_) | Err(InvokeError::Function { .. }) => self.park(process),
            Err(InvokeError::Timeout(timeout)) => {
                tracing::warn!(
                    %function,
                    process = process.id(),
                    pid = process.pid(),
                    timeout_ms = timeout.as_millis(),
                    "invocation timed out; killing the process"
                );
                drop(process);
            }
            Err(InvokeError::Crashed(reason)) => {
                tracing::warn!(
                    %function,
                    process = process.id(),
                    pid = process.pid(),
                    %reason,
                    "process failed during an invocation; discarding it"
                );
                drop(process);
            }
            Err(InvokeError::Unknown(_)) => drop(process),
        }
        outcome
    }

    /// Starts one process if the function has none idle, so the first invocation is warm.
    pub(crate) async fn prewarm(self: &Arc<Self>) -> Result<(), InvokeError> {
        if !lock(&self.idle).is_empty() {
            return Ok(());
        }
        // Every slot busy means the function is already warm.
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            return Ok(());
        };
        let process = self.start(slot).await?;
        self.park(process);
        Ok(())
    }

    /// Invocation times recorded since the last [`FunctionPool::clear_timings`].
    pub(crate) fn invoke_times(&self) -> Vec<Duration> {
        lock(&self.invoke_times).clone()
    }

    pub(crate) fn clear_timings(&self) {
        lock(&self.invoke_times).clear();
    }

    /// The highest peak resident memory of any of its processes, read after each invocation.
    pub(crate) fn peak_rss_kb(&self) -> Option<u64> {
        self.peak_memory.kb()
    }

    /// The process ids of the warm processes waiting for an event.
    pub(crate) fn idle_pids(&self) -> Vec<u32> {
        lock(&self.idle).iter().filter_map(Process::pid).collect()
    }

    /// Starts one more process outside the concurrency cap, waits for its first `next`, and
    /// kills it: a cold start on demand, for benchmarks, that leaves the pool as it was.
    pub(crate) async fn measure_cold_start(self: &Arc<Self>) -> Result<Duration, InvokeError> {
        let slot = Arc::new(Semaphore::new(1))
            .try_acquire_owned()
            .map_err(|_| self.shutting_down())?;
        let process = Process::start(&self.launch, &self.supervisors, slot).await?;
        Ok(process.cold_start())
    }

    /// Stops handing out processes and kills the idle ones. Busy ones are killed by the
    /// supervisors' shutdown; they are not parked again since the slots are closed.
    pub(crate) fn close(&self) {
        self.slots.close();
        lock(&self.idle).clear();
        self.returned.notify_waiters();
    }

    async fn acquire(self: &Arc<Self>) -> Result<Process, InvokeError> {
        loop {
            // Registered before looking at `idle` so a process parked in between still wakes us.
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();

            if let Some(process) = self.take_idle() {
                return Ok(process);
            }
            tokio::select! {
                slot = self.slots.clone().acquire_owned() => {
                    let slot = slot.map_err(|_| self.shutting_down())?;
                    return self.start(slot).await;
                }
                () = &mut returned => {}
            }
        }
    }

    async fn start(self: &Arc<Self>, slot: OwnedSemaphorePermit) -> Result<Process, InvokeError> {
        let process = Process::start(&self.launch, &self.supervisors, slot).await?;
        self.cold_starts.fetch_add(1, Ordering::Relaxed);
        self.discard_when_dead(&process);
        Ok(process)
    }

    /// A process that dies while idle is removed at once, freeing its slot, rather than when
    /// an invocation next finds it.
    fn discard_when_dead(self: &Arc<Self>, process: &Process) {
        let mut health = process.health();
        let id = process.id();
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            let reason = health.failed().await;
            let Some(pool) = pool.upgrade() else { return };
            let mut idle = lock(&pool.idle);
            let before = idle.len();
            idle.retain(|process| process.id() != id);
            if idle.len() != before {
                tracing::warn!(function = %pool.launch.spec.name, process = id, %reason, "idle process died; discarded");
            }
        });
    }

    fn take_idle(&self) -> Option<Process> {
        let mut idle = lock(&self.idle);
        // Failed ones are dropped on the way; their watcher may not have run yet.
        while let Some(process) = idle.pop() {
            if !process.is_failed() {
                return Some(process);
            }
        }
        None
    }

    fn park(&self, process: Process) {
        if process.is_failed() || self.slots.is_closed() {
            return;
        }
        lock(&self.idle).push(process);
        self.returned.notify_waiters();
    }

    fn shutting_down(&self) -> InvokeError {
        InvokeError::Crashed(format!(
            "{}: the devstack is shutting down",
            self.launch.spec.name
        ))
    }
}

/// Fault injection: runs the invocation and kills the process `after` the event went out,
/// or as soon as it answers if that is sooner (its answer is then lost, as when Lambda's
/// sandbox dies between the handler returning and the response reaching the service).
async fn crash_during(
    process: &Process,
    payload: Value,
    timeout: Duration,
    after: Duration,
) -> Outcome {
    let invocation = process.invoke(payload, timeout);
    tokio::pin!(invocation);
    tokio::select! {
        _ = &mut invocation => {}
        () = tokio::time::sleep(after) => {}
    }
    process.kill();
    Err(InvokeError::Crashed(format!(
        "killed {} ms into the invocation (fault injection)",
        after.as_millis()
    )))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
