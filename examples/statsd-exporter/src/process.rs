//! `process_*` metrics read from `/proc/self`, as client_golang's process collector exports
//! them: CPU seconds, resident and virtual memory, open file descriptors.
//!
//! They make the exporter's own cost visible on the same scrape (the benchmark reads
//! `process_cpu_seconds_total` and `process_resident_memory_bytes` from it).

use std::fmt::Write as _;

/// Clock ticks per second of `/proc/self/stat` (USER_HZ, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// Appends the process metrics that could be read.
pub fn render(out: &mut String) {
    if let Some((user, system)) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(cpu_ticks)
    {
        let seconds = (user + system) as f64 / TICKS_PER_SECOND;
        gauge_or_counter(
            out,
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            seconds,
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(kib) = status_kib(&status, "VmRSS:") {
            gauge_or_counter(
                out,
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                (kib * 1024) as f64,
            );
        }
        if let Some(kib) = status_kib(&status, "VmSize:") {
            gauge_or_counter(
                out,
                "process_virtual_memory_bytes",
                "gauge",
                "Virtual memory size in bytes.",
                (kib * 1024) as f64,
            );
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        let open = entries.count();
        gauge_or_counter(
            out,
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            open as f64,
        );
    }
}

fn gauge_or_counter(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

/// utime and stime (fields 14 and 15) of `/proc/self/stat`; the command name in field 2
/// may contain spaces, so fields are counted after its closing parenthesis.
fn cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "1234 (my (odd) prog) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 1 0 100 1000 50";
        assert_eq!(cpu_ticks(stat), Some((250, 75)));
        assert_eq!(
            status_kib(
                "Name:\tx\nVmSize:\t  1000 kB\nVmRSS:\t   512 kB\n",
                "VmRSS:"
            ),
            Some(512)
        );
        let mut out = String::new();
        render(&mut out);
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
        ] {
            assert!(out.contains(&format!("\n{name} ")), "{name} in {out}");
        }
    }
}
