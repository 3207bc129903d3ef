//! How much memory a function process has used at most: its `VmHWM` (peak resident set),
//! read from /proc after every invocation, so that processes killed later (a timeout, the
//! end of the stack) still count.

use std::sync::atomic::{AtomicU64, Ordering};

/// The highest peak seen over a function's processes.
#[derive(Debug, Default)]
pub(crate) struct PeakMemory {
    kb: AtomicU64,
}

impl PeakMemory {
    /// Takes in `pid`'s peak so far.
    pub(crate) fn observe(&self, pid: Option<u32>) {
        if let Some(kb) = pid.and_then(peak_rss_kb) {
            self.kb.fetch_max(kb, Ordering::Relaxed);
        }
    }

    /// `None` until a process was observed (or where /proc does not exist).
    pub(crate) fn kb(&self) -> Option<u64> {
        Some(self.kb.load(Ordering::Relaxed)).filter(|kb| *kb > 0)
    }
}

/// `VmHWM` of a live process, from /proc (Linux); `None` elsewhere or once it is gone.
pub(crate) fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_of_this_process_is_read_from_proc_and_kept() {
        let peak = PeakMemory::default();
        assert_eq!(peak.kb(), None);
        peak.observe(None);
        assert_eq!(peak.kb(), None);
        if cfg!(target_os = "linux") {
            let kb = peak_rss_kb(std::process::id()).expect("VmHWM of ourselves");
            assert!(kb > 0);
            peak.observe(Some(std::process::id()));
            assert!(peak.kb().unwrap() >= kb);
            // A process that is gone changes nothing.
            peak.observe(Some(u32::MAX));
            assert!(peak.kb().unwrap() >= kb);
        }
    }
}
