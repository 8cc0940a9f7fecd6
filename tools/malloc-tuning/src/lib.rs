//! The exporter binary's one malloc setting: a fixed glibc mmap threshold, so that large
//! blocks freed by a scrape go back to the operating system.
//!
//! glibc serves an allocation of 128 KiB or more with its own `mmap` and unmaps it when
//! it is freed, but only until the first such block is freed: from then on it raises the
//! threshold to that block's size (up to 32 MiB), so the next blocks of that size come
//! from the heap and stay resident after `free`. A scrape builds its body (about 150
//! bytes per series) and frees it; with the moving threshold, each scrape of 100 000
//! counter series left its buffers resident and the exporter's memory grew from 450 to
//! 830 bytes per series after two scrapes. A fixed threshold (setting it turns the
//! adjustment off) keeps it at 373 bytes per series however many scrapes there are: the
//! growing arenas of the series store are mapped blocks too, and the untouched half of a
//! doubled block is never resident. Measured with `statsd-loadgen --series=100000` over
//! TCP and the Mastodon mapping, `VmRSS` growth over 100 000 new series.
//!
//! Anywhere but Linux with glibc (musl, macOS), [`return_large_blocks_to_the_os`] does
//! nothing and says so.
//!
//! ```
//! // First thing in `main`, before threads allocate.
//! let applied = malloc_tuning::return_large_blocks_to_the_os();
//! assert_eq!(applied, cfg!(all(target_os = "linux", target_env = "gnu")));
//! ```

/// The threshold set: glibc's own initial value, kept fixed.
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`] (`mallopt(M_MMAP_THRESHOLD)`),
/// unless the environment already tunes it (`MALLOC_MMAP_THRESHOLD_`, or
/// `GLIBC_TUNABLES` naming `mmap_threshold`): the operator's setting wins.
///
/// Returns whether the setting was applied.
pub fn return_large_blocks_to_the_os() -> bool {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold"))
    {
        return false;
    }
    set_mmap_threshold(MMAP_THRESHOLD)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_mmap_threshold(bytes: usize) -> bool {
    let Ok(value) = libc::c_int::try_from(bytes) else {
        return false;
    };
    // SAFETY: `mallopt` takes two integers and changes a setting under malloc's own
    // lock; it touches no memory of ours and may be called at any time.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, value) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: usize) -> bool {
    false
}
