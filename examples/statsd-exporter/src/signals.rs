//! SIGHUP reloads, SIGINT and SIGTERM stop: handled on one thread with `sigwait`, so no
//! code runs inside a signal handler.
//!
//! [`block`] must run on the main thread before any other thread starts: threads inherit
//! the mask, so the signals stay pending until the signal thread takes them.

use nix::sys::signal::{SigSet, Signal};

fn set() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGHUP);
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set
}

/// Blocks SIGHUP, SIGINT and SIGTERM for this thread and every thread it starts later.
///
/// # Errors
/// `pthread_sigmask` failed.
pub fn block() -> Result<(), String> {
    set()
        .thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))
}

/// Starts the signal thread: `on_reload` for SIGHUP, `on_stop` for SIGINT and SIGTERM.
pub fn spawn(on_reload: impl Fn() + Send + 'static, on_stop: impl Fn(Signal) + Send + 'static) {
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let set = set();
            loop {
                match set.wait() {
                    Ok(Signal::SIGHUP) => on_reload(),
                    Ok(signal) => on_stop(signal),
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
        })
        .expect("spawn signal thread");
}
