//! Remote write through the public API: a fake receiver thread decodes what the writer
//! POSTs (snappy, then protobuf, decoded here independently of the crate's encoder), and
//! scripted transports drive the retry and drop policy.

use statsd_exporter_core::{Format, PrometheusSink, Value};

use crate::support::{counter, record};

/// The names of the remote-write self-metrics are reserved whether or not the feature is
/// on, so turning it on never changes which user metrics a store accepts.
#[test]
fn remote_write_metric_names_are_reserved() {
    let sink = PrometheusSink::default();
    for name in [
        "statsd_exporter_remote_write_samples_sent_total",
        "statsd_exporter_remote_write_samples_sent",
        "statsd_exporter_remote_write_samples_dropped_total",
        "statsd_exporter_remote_write_queue_batches",
    ] {
        assert!(counter(&sink, name, &[], 1.0).is_err(), "{name}");
        assert!(
            record(&sink, name, &[], Value::GaugeSet(1.0), None).is_err(),
            "{name}"
        );
    }
    assert_eq!(sink.series_count(), 0);
    // Not exposed while no writer runs.
    let mut out = Vec::new();
    sink.expose_metrics(&mut out, Format::Text).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("remote_write"));
}

#[cfg(feature = "remote-write")]
mod with_feature {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener};
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use statsd_exporter_core::remote_write::{
        HttpTransport, RemoteWriteOptions, RemoteWriter, Transport,
    };
    use statsd_exporter_core::{
        Error, ErrorKind, Format, HistogramOptions, Observer, PrometheusSink, SummaryOptions, Value,
    };

    use crate::support::{counter, gauge, record};

    /// One decoded TimeSeries: sorted labels, value, timestamp.
    #[derive(Debug, Clone, PartialEq)]
    struct Series {
        labels: Vec<(String, String)>,
        value: f64,
        timestamp: i64,
    }

    impl Series {
        fn label(&self, name: &str) -> Option<&str> {
            self.labels
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// A protobuf reader just big enough for WriteRequest.
    struct Reader<'a>(&'a [u8]);

    impl<'a> Reader<'a> {
        fn varint(&mut self) -> u64 {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = self.0[0];
                self.0 = &self.0[1..];
                v |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    return v;
                }
            }
            panic!("varint too long")
        }
        fn field(&mut self) -> Option<(u64, u8)> {
            if self.0.is_empty() {
                return None;
            }
            let key = self.varint();
            Some((key >> 3, (key & 7) as u8))
        }
        fn bytes(&mut self) -> &'a [u8] {
            let len = self.varint() as usize;
            let (head, rest) = self.0.split_at(len);
            self.0 = rest;
            head
        }
        fn fixed64(&mut self) -> [u8; 8] {
            let (head, rest) = self.0.split_at(8);
            self.0 = rest;
            head.try_into().unwrap()
        }
    }

    fn decode_write_request(body: &[u8]) -> Vec<Series> {
        let mut out = Vec::new();
        let mut request = Reader(body);
        while let Some((field, wire)) = request.field() {
            assert_eq!((field, wire), (1, 2), "WriteRequest.timeseries");
            let mut ts = Reader(request.bytes());
            let mut series = Series {
                labels: Vec::new(),
                value: f64::NAN,
                timestamp: 0,
            };
            let mut samples = 0;
            while let Some((field, wire)) = ts.field() {
                match (field, wire) {
                    (1, 2) => {
                        let mut label = Reader(ts.bytes());
                        let mut pair = (String::new(), String::new());
                        while let Some((field, wire)) = label.field() {
                            let text = String::from_utf8(label.bytes().to_vec()).unwrap();
                            match (field, wire) {
                                (1, 2) => pair.0 = text,
                                (2, 2) => pair.1 = text,
                                other => panic!("Label field {other:?}"),
                            }
                        }
                        series.labels.push(pair);
                    }
                    (2, 2) => {
                        samples += 1;
                        let mut sample = Reader(ts.bytes());
                        while let Some((field, wire)) = sample.field() {
                            match (field, wire) {
                                (1, 1) => series.value = f64::from_le_bytes(sample.fixed64()),
                                (2, 0) => series.timestamp = sample.varint() as i64,
                                other => panic!("Sample field {other:?}"),
                            }
                        }
                    }
                    other => panic!("TimeSeries field {other:?}"),
                }
            }
            assert_eq!(samples, 1);
            out.push(series);
        }
        out
    }

    /// One request as the fake receiver saw it.
    struct Request {
        head: String,
        series: Vec<Series>,
    }

    /// A receiver on loopback answering each request with the next status of `script`
    /// (the last one repeats), sending every decoded request to the returned channel.
    fn fake_receiver(script: Vec<u16>) -> (SocketAddr, mpsc::Receiver<Request>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut answered = 0;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream);
                // Keep-alive: serve requests on this connection until it closes.
                loop {
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        head.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    if head.is_empty() {
                        break;
                    }
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
                    let series = decode_write_request(&raw);
                    let status = script[answered.min(script.len() - 1)];
                    answered += 1;
                    let answer = if status == 204 {
                        "HTTP/1.1 204 No Content\r\n\r\n".to_string()
                    } else {
                        let text = format!("status {status} from the fake receiver\n");
                        format!(
                            "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\n\r\n{text}",
                            text.len()
                        )
                    };
                    reader.get_mut().write_all(answer.as_bytes()).unwrap();
                    if tx.send(Request { head, series }).is_err() {
                        return;
                    }
                }
            }
        });
        (address, rx)
    }

    fn options(labels: &[(&str, &str)]) -> RemoteWriteOptions {
        RemoteWriteOptions {
            // The tests trigger snapshots with collect_now.
            interval: Duration::from_secs(3600),
            external_labels: labels
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            ..RemoteWriteOptions::default()
        }
    }

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn find<'a>(series: &'a [Series], name: &str, labels: &[(&str, &str)]) -> &'a Series {
        series
            .iter()
            .find(|s| {
                s.label("__name__") == Some(name)
                    && labels.iter().all(|(n, v)| s.label(n) == Some(*v))
            })
            .unwrap_or_else(|| panic!("no {name} {labels:?} in {series:#?}"))
    }

    fn store_with_every_type() -> Arc<PrometheusSink> {
        let sink = Arc::new(PrometheusSink::default());
        counter(&sink, "jobs_total", &[("queue", "mail")], 3.0).unwrap();
        counter(&sink, "jobs_total", &[("queue", "mail")], 2.0).unwrap();
        gauge(&sink, "depth", &[("instance", "own")], 7.5).unwrap();
        let histogram = HistogramOptions {
            buckets: vec![0.1, 1.0],
            ..HistogramOptions::default()
        };
        for v in [0.05, 0.5, 0.7, 3.0] {
            let value = Value::Observe {
                value: v,
                count: 1,
                observer: Observer::Histogram(&histogram),
            };
            record(&sink, "latency", &[("route", "home")], value, None).unwrap();
        }
        let summary = SummaryOptions::default();
        for v in [1.0, 2.0, 3.0] {
            let value = Value::Observe {
                value: v,
                count: 1,
                observer: Observer::Summary(&summary),
            };
            record(&sink, "size", &[], value, None).unwrap();
        }
        sink
    }

    #[test]
    fn every_series_reaches_the_receiver_with_external_labels_after_a_retry() {
        let sink = store_with_every_type();
        let (address, requests) = fake_receiver(vec![503, 204]);
        let transport = HttpTransport::new(
            &format!("http://{address}/api/v1/write"),
            Duration::from_secs(5),
        )
        .unwrap()
        .basic_auth("tenant", "s3cret");
        let writer = RemoteWriter::start(
            Arc::clone(&sink),
            options(&[("instance", "host-1"), ("cluster", "eu")]),
            transport,
        )
        .unwrap();
        let queued = writer.collect_now();

        let first = requests.recv_timeout(Duration::from_secs(10)).unwrap();
        let second = requests.recv_timeout(Duration::from_secs(10)).unwrap();
        // The 503 answer was retried with the same body.
        assert_eq!(first.series, second.series);
        for header in [
            "POST /api/v1/write HTTP/1.1\r\n",
            "Content-Encoding: snappy\r\n",
            "Content-Type: application/x-protobuf\r\n",
            "X-Prometheus-Remote-Write-Version: 0.1.0\r\n",
            "Authorization: Basic dGVuYW50OnMzY3JldA==\r\n",
        ] {
            assert!(
                second.head.contains(header),
                "{header:?} in {}",
                second.head
            );
        }
        let series = second.series;
        assert_eq!(series.len() as u64, queued);
        // Labels sorted by name, __name__ first here; external labels on every series.
        for s in &series {
            let names: Vec<&str> = s.labels.iter().map(|(n, _)| n.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{s:?}");
            assert_eq!(s.label("cluster"), Some("eu"), "{s:?}");
            assert_eq!(s.timestamp, series[0].timestamp);
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        assert!((now_ms - series[0].timestamp).abs() < 60_000);

        let jobs = find(&series, "jobs_total", &[("queue", "mail")]);
        assert_eq!(jobs.value, 5.0);
        assert_eq!(jobs.label("instance"), Some("host-1"));
        // The series' own `instance` label wins over the external one.
        assert_eq!(find(&series, "depth", &[]).label("instance"), Some("own"));
        assert_eq!(find(&series, "depth", &[]).value, 7.5);
        for (le, count) in [("0.1", 1.0), ("1", 3.0), ("+Inf", 4.0)] {
            let bucket = find(&series, "latency_bucket", &[("route", "home"), ("le", le)]);
            assert_eq!(bucket.value, count, "le={le}");
        }
        assert_eq!(find(&series, "latency_count", &[]).value, 4.0);
        assert_eq!(
            find(&series, "latency_sum", &[]).value,
            0.05 + 0.5 + 0.7 + 3.0
        );
        assert_eq!(find(&series, "size", &[("quantile", "0.5")]).value, 2.0);
        assert_eq!(find(&series, "size", &[("quantile", "0.99")]).value, 3.0);
        assert_eq!(find(&series, "size_sum", &[]).value, 6.0);
        assert_eq!(find(&series, "size_count", &[]).value, 3.0);
        // Self-metrics travel too.
        find(
            &series,
            "statsd_exporter_remote_write_samples_sent_total",
            &[],
        );

        // The same samples as the text exposition, one for one.
        let mut text = Vec::new();
        sink.expose_metrics(&mut text, Format::Text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let user_samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("statsd_"))
            .count();
        let sent_user = series
            .iter()
            .filter(|s| !s.label("__name__").unwrap().starts_with("statsd_"))
            .count();
        assert_eq!(sent_user, user_samples, "{text}");

        let stats = &sink.stats().remote_write;
        wait_until("the success to be counted", || stats.requests.get() == 1);
        assert_eq!(stats.requests_failed.get(), 1);
        assert_eq!(stats.samples_sent.get(), queued);
        assert!(stats.sent_bytes.get() > 0);
        assert!(writer.last_error().unwrap().contains("503"));
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, Format::Text).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(&format!(
                "statsd_exporter_remote_write_samples_sent_total {queued}\n"
            )),
            "{out}"
        );
        assert!(
            out.contains(
                "statsd_exporter_remote_write_samples_dropped_total{reason=\"queue_full\"} 0\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn batches_hold_at_most_batch_size_series() {
        let sink = Arc::new(PrometheusSink::default());
        for i in 0..25 {
            counter(&sink, "hits", &[("page", &i.to_string())], 1.0).unwrap();
        }
        let (address, requests) = fake_receiver(vec![204]);
        let transport =
            HttpTransport::new(&format!("http://{address}/"), Duration::from_secs(5)).unwrap();
        let writer = RemoteWriter::start(
            Arc::clone(&sink),
            RemoteWriteOptions {
                batch_size: 10,
                ..options(&[])
            },
            transport,
        )
        .unwrap();
        let queued = writer.collect_now();
        let mut total = 0;
        let mut pages = Vec::new();
        while total < queued {
            let request = requests.recv_timeout(Duration::from_secs(10)).unwrap();
            assert!(request.series.len() <= 10);
            total += request.series.len() as u64;
            pages.extend(
                request
                    .series
                    .iter()
                    .filter_map(|s| s.label("page").map(String::from)),
            );
        }
        assert_eq!(total, queued);
        pages.sort_by_key(|p| p.parse::<u32>().unwrap());
        assert_eq!(pages, (0..25).map(|i| i.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn a_refused_batch_is_dropped_without_retry() {
        let sink = Arc::new(PrometheusSink::default());
        counter(&sink, "hits", &[], 1.0).unwrap();
        let (address, requests) = fake_receiver(vec![400]);
        let transport =
            HttpTransport::new(&format!("http://{address}/"), Duration::from_secs(5)).unwrap();
        let writer = RemoteWriter::start(Arc::clone(&sink), options(&[]), transport).unwrap();
        let queued = writer.collect_now();
        requests.recv_timeout(Duration::from_secs(10)).unwrap();
        let stats = &sink.stats().remote_write;
        wait_until("the drop", || {
            stats.samples_dropped.get("non_retryable") == queued
        });
        assert_eq!(stats.requests_failed.get(), 1);
        assert_eq!(stats.requests.get(), 0);
        assert!(writer.last_error().unwrap().contains("HTTP 400"));
        // No retry of that body.
        assert!(requests.recv_timeout(Duration::from_millis(200)).is_err());
    }

    /// Fails every request with a retryable I/O error.
    struct Unreachable(Arc<Mutex<u64>>);

    impl Transport for Unreachable {
        fn post(&mut self, _body: &[u8]) -> Result<(), Error> {
            *self.0.lock().unwrap() += 1;
            Err(Error::io(
                "connecting",
                std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
            ))
        }
    }

    #[test]
    fn retries_are_bounded_then_the_batch_is_dropped() {
        let sink = Arc::new(PrometheusSink::default());
        counter(&sink, "hits", &[], 1.0).unwrap();
        let attempts = Arc::new(Mutex::new(0));
        let writer = RemoteWriter::start(
            Arc::clone(&sink),
            RemoteWriteOptions {
                max_retries: 3,
                ..options(&[])
            },
            Unreachable(Arc::clone(&attempts)),
        )
        .unwrap();
        let queued = writer.collect_now();
        let stats = &sink.stats().remote_write;
        wait_until("the drop", || {
            stats.samples_dropped.get("retries_exhausted") == queued
        });
        assert_eq!(*attempts.lock().unwrap(), 4);
        assert_eq!(stats.requests_failed.get(), 4);
        assert_eq!(
            writer.last_error().unwrap(),
            "connecting: connection refused"
        );
    }

    /// Blocks every request until told to go on: a receiver that stopped answering.
    struct Stuck(Arc<(Mutex<bool>, std::sync::Condvar)>);

    impl Transport for Stuck {
        fn post(&mut self, _body: &[u8]) -> Result<(), Error> {
            let (released, wake) = &*self.0;
            let mut released = released.lock().unwrap();
            while !*released {
                released = wake.wait(released).unwrap();
            }
            Ok(())
        }
    }

    #[test]
    fn a_stuck_receiver_fills_the_queue_and_the_oldest_batches_are_dropped() {
        let sink = Arc::new(PrometheusSink::default());
        for i in 0..10 {
            counter(&sink, "hits", &[("page", &i.to_string())], 1.0).unwrap();
        }
        let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let writer = RemoteWriter::start(
            Arc::clone(&sink),
            RemoteWriteOptions {
                // The collector thread snapshots every 20 ms; the first request never ends.
                interval: Duration::from_millis(20),
                queue_capacity: 3,
                batch_size: 5,
                ..options(&[])
            },
            Stuck(Arc::clone(&gate)),
        )
        .unwrap();
        let stats = &sink.stats().remote_write;
        wait_until("a queue_full drop", || {
            assert!(stats.queue_batches.get() <= 3.0);
            stats.samples_dropped.get("queue_full") > 0
        });
        assert_eq!(stats.samples_sent.get(), 0);
        // Release the receiver: the queue drains and sending resumes.
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        wait_until("sends after the release", || stats.samples_sent.get() >= 15);
        assert_eq!(stats.samples_dropped.get("non_retryable"), 0);
        assert_eq!(stats.requests_failed.get(), 0);
        drop(writer);
        let error = Error::http_status(429, "slow down");
        assert_eq!(error.kind(), ErrorKind::Status);
        assert!(error.is_retryable());
    }
}
