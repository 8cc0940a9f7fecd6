//! `--remote-write.*`: pushes every series of the store to a Prometheus remote-write
//! receiver with statsd-exporter-core's [`RemoteWriter`], next to the `/metrics` endpoint.

use std::sync::Arc;

use statsd_exporter_core::PrometheusSink;
use statsd_exporter_core::remote_write::{HttpTransport, RemoteWriteOptions, RemoteWriter};

use crate::flags::RemoteWriteFlags;
use crate::log;

/// Starts the writer's threads; keep the returned handle alive for as long as it should run.
///
/// # Errors
/// A URL the client cannot use (not `http://`), an unreadable password file or invalid
/// options, worded for the log.
pub fn start(sink: Arc<PrometheusSink>, flags: &RemoteWriteFlags) -> Result<RemoteWriter, String> {
    let mut transport = HttpTransport::new(&flags.url, flags.timeout)
        .map_err(|e| format!("--remote-write.url: {e}"))?;
    if let Some((username, password_file)) = &flags.basic_auth {
        let password = std::fs::read_to_string(password_file).map_err(|e| {
            format!("--remote-write.basic-auth.password-file: cannot read {password_file:?}: {e}")
        })?;
        let password = password
            .strip_suffix('\n')
            .map_or(password.as_str(), |p| p.strip_suffix('\r').unwrap_or(p));
        transport = transport.basic_auth(username, password);
    }
    let options = RemoteWriteOptions {
        interval: flags.interval,
        batch_size: flags.batch_size,
        queue_capacity: flags.queue_capacity,
        external_labels: flags.labels.clone(),
        max_retries: flags.max_retries,
        ..RemoteWriteOptions::default()
    };
    let writer =
        RemoteWriter::start(sink, options, transport).map_err(|e| format!("remote write: {e}"))?;
    log::info(
        "Pushing series with remote write",
        &[
            ("url", &flags.url),
            ("interval", &format!("{:?}", flags.interval)),
            ("batch_size", &flags.batch_size),
            ("queue_capacity", &flags.queue_capacity),
        ],
    );
    Ok(writer)
}
