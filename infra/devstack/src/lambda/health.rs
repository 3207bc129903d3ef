//! A function process's life as its observers see it: starting, ready (it has asked for its
//! first event), or failed for good (it exited, was killed, or reported an init error).
//! Both the Runtime API and the process supervisor report into it; invocations watch it so a
//! crash fails them at once rather than at the timeout.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq)]
enum Health {
    Starting,
    Ready,
    Failed(String),
}

/// The reporting side. Cheap to clone; a process has one, shared by its reporters.
#[derive(Clone)]
pub(crate) struct HealthReporter(Arc<watch::Sender<Health>>);

/// The observing side. Each observer holds its own clone.
#[derive(Clone)]
pub(crate) struct HealthWatch(watch::Receiver<Health>);

pub(crate) fn health() -> (HealthReporter, HealthWatch) {
    let (tx, rx) = watch::channel(Health::Starting);
    (HealthReporter(Arc::new(tx)), HealthWatch(rx))
}

impl HealthReporter {
    /// The process asked for an event. Only the first call after start matters.
    pub(crate) fn ready(&self) {
        self.0.send_if_modified(|health| {
            let starting = *health == Health::Starting;
            if starting {
                *health = Health::Ready;
            }
            starting
        });
    }

    /// The process is unusable. The first reason is kept: an init error explains the exit
    /// that follows it better than the exit status does.
    pub(crate) fn fail(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_if_modified(|health| {
            let already_failed = matches!(health, Health::Failed(_));
            if !already_failed {
                *health = Health::Failed(reason);
            }
            !already_failed
        });
    }
}

impl HealthWatch {
    pub(crate) fn is_failed(&self) -> bool {
        matches!(*self.0.borrow(), Health::Failed(_))
    }

    /// Waits until the process is ready, or returns why it never will be.
    pub(crate) async fn ready(&mut self) -> Result<(), String> {
        match self.0.wait_for(|health| *health != Health::Starting).await {
            Ok(health) => match &*health {
                Health::Failed(reason) => Err(reason.clone()),
                Health::Starting | Health::Ready => Ok(()),
            },
            Err(_) => Err("process supervisor is gone".into()),
        }
    }

    /// Waits until the process fails and returns why.
    pub(crate) async fn failed(&mut self) -> String {
        match self
            .0
            .wait_for(|health| matches!(health, Health::Failed(_)))
            .await
        {
            Ok(health) => match &*health {
                Health::Failed(reason) => reason.clone(),
                // wait_for only returns states its predicate accepted.
                Health::Starting | Health::Ready => "process failed".into(),
            },
            Err(_) => "process supervisor is gone".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_failure_reason_is_kept() {
        let (reporter, mut watch) = health();
        reporter.ready();
        reporter.fail("init error: Runtime.Boom");
        reporter.fail("exited with status 1");
        assert!(watch.is_failed());
        assert_eq!(watch.failed().await, "init error: Runtime.Boom");
        assert_eq!(
            watch.ready().await,
            Err("init error: Runtime.Boom".to_string())
        );
    }
}
