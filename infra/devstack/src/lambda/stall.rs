//! Why a function process did not finish its init in time, told from `/proc`: whether it is
//! still running, and how much CPU it got in that time. A process that used little CPU was
//! blocked (on a request, a lock, the disk); one that used most of its wall time was busy;
//! one that used some but far less than a core on a loaded machine was starved of CPU.

use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// A sentence about process `pid` after `waited` without a first `next`.
pub fn describe(pid: Option<u32>, waited: Duration) -> String {
    let Some(pid) = pid else {
        return "the process has no pid: it exited before it could be looked at".into();
    };
    let Some(cpu) = cpu_time(pid) else {
        return format!("process {pid} is gone");
    };
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into());
    let verdict = verdict(cpu, waited);
    format!(
        "process {pid} still running; it used {} ms of CPU in {} ms: {verdict}; load average {load}",
        cpu.as_millis(),
        waited.as_millis()
    )
}

/// What a process that used `cpu` in `waited` was doing.
fn verdict(cpu: Duration, waited: Duration) -> &'static str {
    let share = cpu.as_secs_f64() / waited.as_secs_f64().max(0.001);
    if share < 0.1 {
        "it was blocked, waiting on something (a request, a lock, the disk)"
    } else if share > 0.7 {
        "it was busy computing all along"
    } else {
        "it got only part of a core: the machine was short of CPU"
    }
}

/// User plus system CPU time of `pid` so far.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 512 0 0 0 37 5 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some(42));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn the_verdict_follows_the_share_of_a_core_used() {
        let second = Duration::from_secs(1);
        assert!(verdict(Duration::from_millis(50), second).contains("blocked"));
        assert!(verdict(Duration::from_millis(400), second).contains("short of CPU"));
        assert!(verdict(Duration::from_millis(900), second).contains("busy"));
    }

    #[test]
    fn a_running_process_is_described_with_its_cpu_use() {
        let own = std::process::id();
        let said = describe(Some(own), Duration::from_secs(1));
        assert!(
            said.starts_with(&format!("process {own} still running")),
            "{said}"
        );
        assert!(said.contains("ms of CPU"), "{said}");
        assert_eq!(
            describe(Some(u32::MAX), Duration::from_secs(1)),
            format!("process {} is gone", u32::MAX)
        );
    }
}
