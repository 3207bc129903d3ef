//! [`Functions`]: every function of the stack, invocable by name, as the Lambda service is.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinSet;

use super::pool::FunctionPool;
use super::process::Launch;
use super::supervisor::Supervisors;
use super::{Invoke, InvokeError};
use crate::stack_spec::FunctionSpec;

/// How [`Functions`] runs processes.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionsConfig {
    /// The region in function ARNs, and the fallback `AWS_REGION` when a spec has none.
    pub region: String,
    /// Processes per function at most, like Lambda's reserved concurrency.
    pub max_concurrency: usize,
    /// How long a new process may take to ask for its first event.
    pub init_timeout: Duration,
}

impl FunctionsConfig {
    pub const DEFAULT_MAX_CONCURRENCY: usize = 10;
    /// Lambda's limit on the init phase.
    pub const DEFAULT_INIT_TIMEOUT: Duration = Duration::from_secs(10);

    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            max_concurrency: Self::DEFAULT_MAX_CONCURRENCY,
            init_timeout: Self::DEFAULT_INIT_TIMEOUT,
        }
    }
}

/// The stack's functions, each run as processes of its real binary behind a Runtime API.
/// Cloning is cheap and shares the processes. Call [`Functions::shutdown`] before exiting;
/// dropping the last clone also kills every process, without waiting.
#[derive(Clone)]
pub struct Functions {
    inner: Arc<Inner>,
}

struct Inner {
    pools: BTreeMap<String, Arc<FunctionPool>>,
    supervisors: Arc<Supervisors>,
}

impl Functions {
    /// One function per spec, with the default configuration. Starts nothing yet.
    pub fn new(specs: &[FunctionSpec], region: impl Into<String>) -> Self {
        Self::with_config(specs, FunctionsConfig::new(region))
    }

    pub fn with_config(specs: &[FunctionSpec], config: FunctionsConfig) -> Self {
        let supervisors = Arc::new(Supervisors::default());
        let pools = specs
            .iter()
            .map(|spec| {
                let launch = Launch {
                    function_arn: format!(
                        "arn:aws:lambda:{}:000000000000:function:{}",
                        config.region, spec.name
                    ),
                    spec: spec.clone(),
                    region: config.region.clone(),
                    init_timeout: config.init_timeout,
                };
                let pool =
                    FunctionPool::new(launch, config.max_concurrency, Arc::clone(&supervisors));
                (spec.name.clone(), pool)
            })
            .collect();
        Self {
            inner: Arc::new(Inner { pools, supervisors }),
        }
    }

    /// Starts one process of every function that has none idle, all at once, so the first
    /// requests do not pay cold starts. Reports the first failure; the others are logged. A
    /// function that failed has no process: its next invocation starts one.
    pub async fn prewarm(&self) -> Result<(), InvokeError> {
        let mut starts = JoinSet::new();
        for pool in self.inner.pools.values() {
            let pool = Arc::clone(pool);
            starts.spawn(async move { pool.prewarm().await });
        }
        let mut first_failure = None;
        while let Some(started) = starts.join_next().await {
            let failure = match started {
                Ok(Ok(())) => continue,
                Ok(Err(err)) => err,
                Err(err) => InvokeError::Crashed(format!("prewarm task failed: {err}")),
            };
            tracing::warn!(%failure, "prewarm failed: the process did not start");
            first_failure.get_or_insert(failure);
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// Processes started for `function` so far, or `None` if there is no such function.
    pub fn cold_starts(&self, function: &str) -> Option<u64> {
        self.inner
            .pools
            .get(function)
            .map(|pool| pool.cold_starts())
    }

    /// Invocation times of `function` at the Runtime API since the last
    /// [`Functions::clear_timings`], or `None` if there is no such function.
    pub fn invoke_times(&self, function: &str) -> Option<Vec<Duration>> {
        self.inner
            .pools
            .get(function)
            .map(|pool| pool.invoke_times())
    }

    pub fn clear_timings(&self) {
        for pool in self.inner.pools.values() {
            pool.clear_timings();
        }
    }

    /// The highest peak resident memory (kB) of `function`'s processes, read after each of
    /// their invocations; `None` before the first.
    pub fn peak_rss_kb(&self, function: &str) -> Option<u64> {
        self.inner.pools.get(function)?.peak_rss_kb()
    }

    /// The process ids of `function`'s idle warm processes.
    pub fn idle_pids(&self, function: &str) -> Vec<u32> {
        self.inner
            .pools
            .get(function)
            .map(|pool| pool.idle_pids())
            .unwrap_or_default()
    }

    /// Starts a fresh process of `function` beside its pool and returns how long it took from
    /// spawn until it asked for its first event; the process is then killed.
    pub async fn measure_cold_start(&self, function: &str) -> Result<Duration, InvokeError> {
        let pool = self
            .inner
            .pools
            .get(function)
            .ok_or_else(|| InvokeError::Unknown(function.to_owned()))?;
        pool.measure_cold_start().await
    }

    /// The functions' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.pools.keys().map(String::as_str)
    }

    /// Kills every process started, busy or idle, and waits until all are gone. Invocations
    /// in flight fail with [`InvokeError::Crashed`], later ones too.
    pub async fn shutdown(&self) {
        for pool in self.inner.pools.values() {
            pool.close();
        }
        self.inner.supervisors.shutdown().await;
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.supervisors.kill_all();
    }
}

impl Invoke for Functions {
    fn invoke(
        &self,
        function: &str,
        event: Value,
    ) -> impl Future<Output = Result<Value, InvokeError>> + Send {
        let pool = self.inner.pools.get(function).cloned();
        let function = function.to_owned();
        async move {
            let pool = pool.ok_or(InvokeError::Unknown(function))?;
            // Detached, so a caller that stops waiting (a client hanging up) lets the
            // invocation finish and the process go back to idle, as Lambda does, instead of
            // killing a busy process.
            tokio::spawn(pool.invoke(event))
                .await
                .unwrap_or_else(|err| {
                    Err(InvokeError::Crashed(format!(
                        "invocation task failed: {err}"
                    )))
                })
        }
    }
}
