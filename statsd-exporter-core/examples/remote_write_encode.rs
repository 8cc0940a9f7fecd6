//! Measures one remote-write snapshot: `cargo run --release -p statsd-exporter-core
//! --features remote-write --example remote_write_encode -- [series] [snapshots]`.
//!
//! Fills a store with `series` counters (three labels, like a web request counter), then
//! takes `snapshots` snapshots through [`RemoteWriter::collect_now`] (visit, encode,
//! compress, queue) with a transport that only counts bytes. Prints the request sizes and
//! the wall time per snapshot. For instruction counts, run it under
//! `valgrind --tool=callgrind` with 1 and 3 snapshots: half the difference of the totals is
//! the cost of one snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use statsd_exporter_core::remote_write::{RemoteWriteOptions, RemoteWriter, Transport};
use statsd_exporter_core::{Error, Event, Label, PrometheusSink, Sink, Value};

#[derive(Default)]
struct Totals {
    requests: AtomicU64,
    bytes: AtomicU64,
    largest: AtomicU64,
}

struct Counting(Arc<Totals>);

impl Transport for Counting {
    fn post(&mut self, body: &[u8]) -> Result<(), Error> {
        self.0.requests.fetch_add(1, Ordering::SeqCst);
        self.0.bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
        self.0
            .largest
            .fetch_max(body.len() as u64, Ordering::SeqCst);
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let series: usize = args.next().map_or(10_000, |a| a.parse().expect("series"));
    let snapshots: usize = args.next().map_or(20, |a| a.parse().expect("snapshots"));

    let sink = Arc::new(PrometheusSink::default());
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let mut recorder = sink.recorder();
    for i in 0..series {
        let route = format!("/api/v1/resource_{}", i / 20);
        let status = (200 + i % 5).to_string();
        let labels = [
            Label::new("method", methods[i % 4]),
            Label::new("route", &route),
            Label::new("status", &status),
        ];
        let event = Event {
            name: "http_requests",
            labels: &labels,
            value: Value::Counter(i as f64),
            help: "Requests.",
            ttl: None,
        };
        recorder.record(&event).expect("record");
    }

    let totals = Arc::new(Totals::default());
    let options = RemoteWriteOptions {
        interval: Duration::from_secs(3600),
        external_labels: vec![("instance".into(), "web-1:9102".into())],
        queue_capacity: 100_000,
        ..RemoteWriteOptions::default()
    };
    let batch_size = options.batch_size;
    let writer = RemoteWriter::start(Arc::clone(&sink), options, Counting(Arc::clone(&totals)))
        .expect("start");
    let times = Mutex::new(Vec::new());
    let mut samples = 0;
    for _ in 0..snapshots {
        let start = Instant::now();
        samples = writer.collect_now();
        times.lock().unwrap().push(start.elapsed());
    }
    while totals.requests.load(Ordering::SeqCst)
        < (samples as usize).div_ceil(batch_size) as u64 * snapshots as u64
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut times = times.into_inner().unwrap();
    times.sort();
    let requests = totals.requests.load(Ordering::SeqCst);
    let bytes = totals.bytes.load(Ordering::SeqCst);
    println!("series in store:           {series}");
    println!("samples per snapshot:      {samples} (with the self-metrics)");
    println!("requests per snapshot:     {}", requests / snapshots as u64);
    println!("bytes per snapshot:        {}", bytes / snapshots as u64);
    println!("bytes per request (mean):  {}", bytes / requests.max(1));
    println!(
        "largest request:           {}",
        totals.largest.load(Ordering::SeqCst)
    );
    println!(
        "bytes per sample:          {:.1}",
        bytes as f64 / (samples as f64 * snapshots as f64)
    );
    println!("snapshot time (median):    {:?}", times[times.len() / 2]);
}
