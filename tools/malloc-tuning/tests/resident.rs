//! The setting's effect on resident memory, in a process of its own (one test, so no other
//! test thread allocates meanwhile): large blocks freed after the first large free still
//! leave memory.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn freed_large_blocks_leave_resident_memory() {
    fn resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }
    fn touched(bytes: usize) -> Vec<u8> {
        let mut block = vec![0u8; bytes];
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        std::hint::black_box(block)
    }

    assert!(malloc_tuning::return_large_blocks_to_the_os());
    // glibc's moving threshold would rise to 32 MiB at this free ...
    drop(touched(32 << 20));
    let before = resident_kib();
    // ... and serve these 8 MiB blocks from the heap, where the small block allocated after
    // each keeps it from shrinking: without the setting, 8 MiB stays resident (measured).
    let mut small = Vec::new();
    for _ in 0..8 {
        let block = touched(8 << 20);
        small.push(Box::new([0u8; 64]));
        drop(block);
    }
    let grown = resident_kib().saturating_sub(before);
    assert!(
        grown < 4 * 1024,
        "{grown} KiB still resident after freeing 64 MiB"
    );
    assert_eq!(small.len(), 8);
}
