//! Prometheus remote write 1.0: push the store's series to a remote-write receiver instead
//! of (or as well as) being scraped. Behind the cargo feature `remote-write` (off by
//! default), except for the self-metric counters in [`RemoteWriteStats`], whose names every
//! store reserves.
//!
//! See the crate documentation's "Remote write" section for the protocol, the retry and
//! drop policy and how to plug in `https`.

mod stats;

#[cfg(feature = "remote-write")]
mod batch;
#[cfg(feature = "remote-write")]
mod compress;
#[cfg(feature = "remote-write")]
mod http;
#[cfg(feature = "remote-write")]
mod proto;
#[cfg(feature = "remote-write")]
mod queue;
#[cfg(feature = "remote-write")]
mod writer;

#[cfg(feature = "remote-write")]
pub use http::{HttpTransport, Transport};
pub use stats::{REMOTE_WRITE_DROP_REASONS, RemoteWriteStats};
#[cfg(feature = "remote-write")]
pub use writer::{RemoteWriteOptions, RemoteWriter};
