//! `process_*` metrics read from `/proc/self`, as client_golang's process collector exports
//! them: CPU seconds, resident and virtual memory, open file descriptors.
//!
//! They make the exporter's own cost visible on the same scrape (the benchmark reads
//! `process_cpu_seconds_total` and `process_resident_memory_bytes` from it).

use crate::exposition::Families;

/// Clock ticks per second of `/proc/self/stat` (USER_HZ, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// Appends the process metrics that could be read.
pub fn render(families: &mut Families<'_>) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    if let Some((user, system)) = cpu_ticks(&stat) {
        let seconds = (user + system) as f64 / TICKS_PER_SECOND;
        let help = "Total user and system CPU time spent in seconds.";
        families.counter("process_cpu_seconds_total", help, &[("", seconds)]);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kib) = status_kib(&status, "VmRSS:") {
        let help = "Resident memory size in bytes.";
        families.gauge(
            "process_resident_memory_bytes",
            help,
            &[("", (kib * 1024) as f64)],
        );
    }
    if let Some(kib) = status_kib(&status, "VmSize:") {
        let help = "Virtual memory size in bytes.";
        families.gauge(
            "process_virtual_memory_bytes",
            help,
            &[("", (kib * 1024) as f64)],
        );
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        let open = entries.count() as f64;
        families.gauge(
            "process_open_fds",
            "Number of open file descriptors.",
            &[("", open)],
        );
    }
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
        render(&mut Families::new(&mut out, false));
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
        ] {
            assert!(out.contains(&format!("\n{name} ")), "{name} in {out}");
        }
    }
}
