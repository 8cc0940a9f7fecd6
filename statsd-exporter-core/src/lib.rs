//! The StatsD → Prometheus pipeline of the crate family: a [`Sink`] trait for mapped metric
//! events, a [`Pipeline`] that turns packet bytes into those events with statsd_exporter's
//! semantics, and [`PrometheusSink`], a sharded series store with statsd_exporter-compatible
//! exposition — without its crashes and without its one-core ceiling.
//!
//! ```text
//! bytes ──► statsd-proto ──► statsd-mapper ──► Pipeline ──► impl Sink
//!          (parse, zero-copy)  (glob/regex)    (rate, unit,      │
//!                                               scale, labels)   └─► PrometheusSink ──► /metrics
//! ```
//!
//! # Quick start
//!
//! ```
//! use std::sync::Arc;
//! use statsd_exporter_core::{Format, Pipeline, PrometheusOptions, PrometheusSink};
//! use statsd_mapper::{Mapper, MapperConfig};
//! use statsd_proto::Parser;
//!
//! // The store, with a cardinality limit; its `stats()` are the self-metrics.
//! let sink = PrometheusSink::new(PrometheusOptions { max_series: Some(100_000), ..Default::default() });
//! // One pipeline per ingest thread (clones share mapper and stats).
//! let mapper = Arc::new(Mapper::new(MapperConfig::empty(), 1000));
//! let mut pipeline = Pipeline::new(mapper, Parser::new().events(false), sink.stats().clone());
//!
//! // Per datagram: one recorder (one clock reading) for all its events.
//! pipeline.process_packet(b"jobs.done:3|c|#queue:mail\njob.time:320|ms", &mut sink.recorder());
//!
//! // Periodically (statsd_exporter: every second): drop series whose TTL passed.
//! sink.expire();
//!
//! // Per scrape: stream the text format into the response body.
//! let mut body = Vec::new();
//! sink.expose_metrics(&mut body, Format::Text).unwrap();
//! let body = String::from_utf8(body).unwrap();
//! assert!(body.contains("jobs_done{queue=\"mail\"} 3\n"));
//! assert!(body.contains("job_time_count 1\n"));
//! ```
//!
//! # The `Sink` trait
//!
//! A [`Sink`] receives [`Event`]s: a metric name, labels, a [`Value`] (counter increment,
//! gauge set or delta, or `count` observations of a value for a summary or histogram, with
//! the observer options of the mapping), a HELP text and a TTL. Everything is borrowed, so
//! building an event allocates nothing; a sink answers `Ok(())` or a [`Rejection`] reason,
//! which the pipeline counts. Write one to send StatsD traffic somewhere else (OpenTelemetry,
//! a message queue): see the example on [`Sink`]. To push the store's cumulative series
//! with Prometheus remote write, see "Remote write" below.
//!
//! # Pipeline semantics (statsd_exporter's exporter stage)
//!
//! For every sample of every line, in packet order:
//!
//! * The name is mapped by class (counter, gauge, observer). `action: drop` stops here
//!   (`statsd_exporter_events_actions_total{action="drop"}`). A mapped name is templated and
//!   escaped (`EscapeMetricName`); an unmapped one is escaped from the StatsD name
//!   (`statsd_exporter_events_unmapped_total`). An empty result is refused
//!   (`events_error_total{reason="empty_metric_name"}`).
//! * Labels: tags in the line (keys escaped, values raw, last duplicate wins), then the
//!   mapping's labels, which replace tags of the same name — unless `honor_labels`, where the
//!   tag wins and the mapping label is only a default.
//! * Counters: value divided by the sample rate, times `scale`; a negative result is refused
//!   (`illegal_negative_counter`; NaN passes, as upstream).
//! * Gauges: the rate is ignored; `+x`/`-x` are deltas, everything else is set; times `scale`.
//! * Observers (`ms`, `h`, `d`): `ms` is divided by 1000 (seconds), then times `scale`.
//!   A rate `r` in `(0, 1)` stands for `floor(1/r)` observations (`@0.3` → 3, `@0.7` → 1), as
//!   upstream — delivered as **one** event with `count = floor(1/r)` rather than `floor(1/r)`
//!   copies: summaries and histograms weigh it as that many observations, in constant time
//!   (statsd_exporter clones the event, so `@0.000001` costs it a million inserts).
//! * Sets (`s`) are `sample_errors_total{reason="illegal_event"}`; DogStatsD events and
//!   service checks, when the parser recognises them, are ignored.
//!
//! # Accounting
//!
//! Everything is counted in [`Stats`] under statsd_exporter's metric names and reason
//! labels, so existing dashboards and alerts keep working; [`PrometheusSink::expose_metrics`]
//! writes them next to the series. Counts are gathered per packet and added once, so ingest
//! threads do not contend on them.
//!
//! | metric | labels | counted when |
//! |---|---|---|
//! | `statsd_exporter_lines_total` | | every `\n` piece of a datagram (incl. empty ones), every stream line |
//! | `statsd_exporter_samples_total` | | every sample attempted |
//! | `statsd_exporter_sample_errors_total` | `reason` (statsd-proto's, upstream's nine) | a bad line or sample |
//! | `statsd_exporter_tags_total`, `…_tag_errors_total` | | samples with tags; bad tags |
//! | `statsd_exporter_events_total` | `type` = `counter`, `gauge`, `observer` | an event was recorded |
//! | `statsd_exporter_events_unmapped_total` | | no rule matched |
//! | `statsd_exporter_events_actions_total` | `action` = `map`, `drop` | a rule matched |
//! | `statsd_exporter_events_conflict_total` | `metric_name`, `type` | [`Rejection::Conflict`] |
//! | `statsd_exporter_events_error_total` | `reason` = `illegal_negative_counter`, `empty_metric_name`, **`illegal_label_name`**, **`illegal_metric_name`** | refused events |
//! | **`statsd_exporter_series_dropped_total`** | `reason` = `cardinality_limit`, `metric_cardinality_limit` | a new series over a limit |
//! | **`statsd_exporter_series_expired_total`** | | series removed by TTL |
//! | `statsd_exporter_metrics_total` (gauge) | `type` | label-name sets of live metrics |
//! | **`statsd_exporter_remote_write_*`** | `reason` on drops | see "Remote write" (only while a writer runs) |
//! | listener, reload and cache metrics | | fields of [`Stats`] the binary increments |
//!
//! Bold names are new in this crate. `events_conflict_total` keeps at most
//! [`MAX_CONFLICT_NAMES`] distinct metric names; the rest count under `metric_name="_other"`.
//!
//! # The Prometheus sink
//!
//! * **Types and options.** Counters, gauges, summaries and histograms. A metric's type,
//!   HELP text and observer options are fixed by its first series (later mappings with other
//!   buckets or help do not change it), as in statsd_exporter.
//! * **Label sets.** One name may carry different label sets; they share one `# HELP` /
//!   `# TYPE` block.
//! * **Conflicts** ([`Rejection::Conflict`]): a name used with another type; statsd_exporter's
//!   suffix rules (a counter or gauge `x_count`/`x_sum`/`x_bucket` while `x` exists as
//!   anything but a counter — over-broad for gauges, kept for compatibility; a summary `x`
//!   while `x`, `x_sum` or `x_count` exist; a histogram `x` while `x`, `x_sum`, `x_count` or
//!   `x_bucket` exist); and the collisions statsd_exporter misses and answers with HTTP 500 on
//!   every scrape: **no two metrics may expose the same sample name**, so a summary `x_count`
//!   next to a summary `x` is refused too. Names that would share a family or a sample
//!   name in OpenMetrics are refused as well, whatever format a scrape asks for: a counter
//!   `x_total` (OpenMetrics family `x`) next to anything named `x`, a counter `x` (sample
//!   `x_total`) next to anything named `x_total`; a counter named `_total` keeps that name as
//!   its family. The exporter's own metric names are reserved,
//!   with the `_total` stem of each counter (OpenMetrics' family name); a program that
//!   exposes families of its own reserves them with [`PrometheusSink::reserve_name`].
//! * **Reserved labels.** `le` on a histogram and `quantile` on a summary (which crash
//!   statsd_exporter), `__`-prefixed and invalid label names are refused as
//!   [`Rejection::IllegalLabelName`]; they remain allowed where they clash with nothing (`le`
//!   on a counter).
//! * **TTL.** Per series, refreshed by every sample; the value comes from the latest sample,
//!   so a reload that changes a mapping's TTL applies to existing series at their next
//!   sample. [`PrometheusSink::expire`] pops a per-shard min-heap of deadlines with lazy
//!   invalidation, so a tick costs O(expired series) amortised, not O(all series). An
//!   expired series is gone; if it comes back it starts from zero (as upstream). A name
//!   whose last series expired is released.
//! * **Cardinality.** [`PrometheusOptions::max_series`] and `max_series_per_metric`: past
//!   them, new series are refused and counted, existing ones keep updating, and memory stays
//!   bounded under a flood of unique names or tag values (upstream #350).
//! * **Concurrency.** Series live in independently locked shards chosen by a hash of name
//!   and labels; an existing series is found by that hash and compared in place, without
//!   allocating. Ingest threads only meet when they hit the same shard; a scrape locks one
//!   shard at a time while copying it out. Creating a series also takes the (short) lock of
//!   the name registry. So a scrape is consistent per shard, not across shards (as with
//!   client_golang, whose collectors are read one after another): samples recorded while it
//!   runs may show in a shard copied later and not in one copied earlier. The self-metrics
//!   are read before any shard, so they never count lines whose series a scrape lacks.
//! * **Hinted recording.** [`Sink::record_hinted`] takes a [`SeriesHint`] the caller keeps
//!   per series (the [`Pipeline`] keeps one per cached mapping and passes it for lines
//!   without tags). The store writes the series' place into it (shard, slot and the slot's
//!   64-bit generation) and next time goes straight there: no hash, no label comparison.
//!   A hint never reaches the wrong series: another store's hint is ignored (owner number),
//!   and a slot's generation changes whenever its series is removed, so a hint to an expired
//!   series falls back to the full lookup (which refreshes the hint) even after the slot was
//!   taken by another series. The caller promises the same name and label set for every
//!   event passed with one hint; the store checks the name and the label count, not the
//!   labels (see [`PrometheusSink`], "Hinted recording"). [`Sink::record_by_hint`] goes one
//!   step further: it takes a [`HintedEvent`] (name, label *count*, value, TTL) and applies
//!   it when the hint still names the series, else answers `None` and records nothing; the
//!   pipeline tries it first for every hinted line and builds the event's label list only
//!   when it answers `None` (about 35–40 instructions a Mastodon line). Sinks that do not
//!   override it answer `None` and receive `record_hinted` as before.
//! * **Summaries** follow client_golang: the CKMS targeted-quantile stream of perks with the
//!   configured `{quantile: error}` objectives, `age_buckets` rotating streams over `max_age`,
//!   a `buf_cap` hot buffer, and `_sum`/`_count` over all time. No objectives → only `_sum`
//!   and `_count`; an empty window → `NaN` quantiles.
//! * **Histograms**: cumulative classic buckets, `+Inf`, `_sum`, `_count`; bounds are sorted
//!   and deduplicated (client_golang panics on unsorted ones). Native histograms have no text
//!   form and are out of scope; their config keys are accepted by the mapper and ignored.
//!
//! # Exposition
//!
//! [`Format::Text`] (Prometheus text 0.0.4) is the default and what a scrape should get
//! whatever its `Accept` header says: statsd_exporter serves 0.0.4 even when OpenMetrics is
//! requested, and Prometheus ingesting OpenMetrics stores every counter under a `_total`
//! name, which would break existing dashboards. [`Format::OpenMetrics`] (1.0) is an explicit
//! opt-in. Families are sorted by name, series by label pairs; numbers are written as
//! client_golang writes them (Go's shortest `%g`: `1e+06`, `+Inf`, `NaN`; counts too);
//! HELP escapes `\\` and newline (and `"` in OpenMetrics), label values `\\`, `"` and
//! newline. Both are checked with `promtool check metrics` in the tests; its only findings
//! are the naming lints that statsd_exporter-compatible names cause (a counter without
//! `_total`; statsd_exporter's own gauge `statsd_exporter_metrics_total`).
//! Known limit of the OpenMetrics opt-in: a counter `x_total` and a gauge `x` both become
//! family `x` there.
//!
//! # Remote write
//!
//! With the cargo feature `remote-write` (off by default; it adds the pure-Rust `snap`
//! crate and nothing else), `RemoteWriter` ([`remote_write`]) pushes the store to a Prometheus
//! remote-write 1.0 receiver — Prometheus with `--web.enable-remote-write-receiver`,
//! Grafana Mimir, Cortex, Thanos Receive, VictoriaMetrics — instead of, or as well as,
//! being scraped:
//!
//! ```no_run
//! # #[cfg(feature = "remote-write")]
//! # fn main() -> Result<(), statsd_exporter_core::Error> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use statsd_exporter_core::PrometheusSink;
//! use statsd_exporter_core::remote_write::{HttpTransport, RemoteWriteOptions, RemoteWriter};
//!
//! let sink = Arc::new(PrometheusSink::default());
//! let transport = HttpTransport::new("http://mimir:9009/api/v1/push", Duration::from_secs(10))?
//!     .basic_auth("tenant-1", "secret");
//! let options = RemoteWriteOptions {
//!     interval: Duration::from_secs(15),
//!     external_labels: vec![("instance".into(), "web-1:9102".into())],
//!     ..RemoteWriteOptions::default()
//! };
//! let writer = RemoteWriter::start(Arc::clone(&sink), options, transport)?;
//! // Record into `sink` from the ingest threads as usual; keep `writer` alive.
//! # Ok(()) }
//! # #[cfg(not(feature = "remote-write"))]
//! # fn main() {}
//! ```
//!
//! * **What is sent.** Remote write carries cumulative Prometheus series, so every
//!   `interval` (default 15 s) the writer snapshots *every* series, changed or not, with
//!   [`PrometheusSink::visit_samples`]: the same names, labels and values as the text
//!   exposition (a histogram as `_bucket{le}`, `_sum`, `_count`; a summary as
//!   `{quantile}`, `_sum`, `_count`), the self-metrics included. Each sample becomes a
//!   one-sample `TimeSeries` stamped with the snapshot's wall-clock time (kept strictly
//!   increasing), with the external labels added (a series' own label of the same name
//!   wins, as in Prometheus) and the labels sorted by name. Samples are cut into requests of
//!   at most `batch_size` series (default 500), each a hand-encoded protobuf `WriteRequest`
//!   compressed as a Snappy block and POSTed with `Content-Encoding: snappy`,
//!   `Content-Type: application/x-protobuf` and `X-Prometheus-Remote-Write-Version: 0.1.0`.
//!   HELP/TYPE metadata is not sent (optional in 1.0). One snapshot of 10 000 series
//!   costs about 2 900 instructions per sample and 16 bytes per sample on the wire (see
//!   the example `remote_write_encode`).
//! * **Threads and memory.** A collector thread snapshots into a bounded queue of
//!   `queue_capacity` compressed requests (default 100); a sender thread POSTs them one at
//!   a time, oldest first. Shards are locked only while their series are copied out, never
//!   during encoding or I/O, so ingest never waits on the receiver. When the queue is full
//!   the collector waits for room until its next snapshot is due, then drops the **oldest**
//!   request: series are cumulative, so the newest snapshot supersedes older ones and a
//!   receiver that comes back gets current values first. Memory therefore stays at about
//!   `queue_capacity` requests plus one being encoded, whatever the receiver does.
//! * **Retries.** Connection errors, timeouts, malformed answers, HTTP 5xx and 429 are
//!   retried with exponential backoff (`min_backoff` 30 ms doubling to `max_backoff`
//!   5 s) up to `max_retries` times (default 10), then the request is dropped. Other 4xx
//!   answers (a bad or out-of-order sample, a tenant limit) are dropped at once: resending
//!   the same bytes cannot succeed. See [`Error::is_retryable`].
//! * **Accounting** ([`remote_write::RemoteWriteStats`], exposed with the other
//!   self-metrics once a writer runs):
//!   `statsd_exporter_remote_write_samples_sent_total`,
//!   `statsd_exporter_remote_write_samples_dropped_total{reason}` with `queue_full`,
//!   `non_retryable`, `retries_exhausted`, `statsd_exporter_remote_write_requests_total`,
//!   `statsd_exporter_remote_write_requests_failed_total` (every failed attempt),
//!   `statsd_exporter_remote_write_sent_bytes_total` and the gauge
//!   `statsd_exporter_remote_write_queue_batches`. These names are reserved in every store,
//!   feature or not, so a user metric can never collide with them.
//! * **Transport.** `remote_write::HttpTransport` is a small HTTP/1.1 client over
//!   `std::net::TcpStream` (`http://` only, kept-alive connection, connect/read/write
//!   timeout, optional basic auth). `https` is not built in — a TLS stack would be by far
//!   the heaviest dependency of the crate. Implement `remote_write::Transport` (one
//!   method: POST these bytes, map failures to [`Error::io`] or [`Error::http_status`])
//!   with the TLS-capable client of your choice and pass it to
//!   `RemoteWriter::start`; or put a TLS-terminating
//!   proxy next to the exporter.
//! * **Scale-out.** Run one exporter per host or pod, each pushing to the same
//!   remote-write cluster with an `instance` external label (and `cluster`, `region`, … as
//!   needed) that keeps its series apart from the other exporters'.
//!
//! # Deliberate divergences from statsd_exporter
//!
//! | statsd_exporter | here | why |
//! |---|---|---|
//! | observer with rate > 1, < 0 or NaN: no observation, no error | one observation, `sample_errors_total{reason="invalid_sample_factor"}` | the sample happened; a bad rate is counted like an unparsable one |
//! | sampled observers cloned `floor(1/r)` times | one weighted observation | same result, constant cost, no amplification attack |
//! | tag `le`/`quantile` on histogram/summary: process crash | refused, `events_error_total{reason="illegal_label_name"}` | robustness |
//! | `x` and `x_count` observers: `/metrics` HTTP 500 | second refused, `events_conflict_total` | robustness |
//! | no cardinality limit | optional limits, `series_dropped_total` | upstream #350 |
//! | TTL captured at series creation | TTL of the latest sample | reloads apply to existing series |
//! | TTL sweep scans every series every second | deadline heap, O(expired) | scale |
//! | name→type lock kept forever | released when the name's last series expires | bounded memory |
//! | an unmapped empty name (`[a=b]:1\|c`) reaches the registry | `empty_metric_name` | robustness |
//! | summary rank error may exceed the configured error (perks' targeted invariant allows `ε/(1-2ε/(1-φ))`, 6.25 % for a 5 % median) | the configured error is a guarantee (ε tightened internally) | correctness; tested against exact quantiles |
//! | perks keeps a 500-observation buffer in each of the `age_buckets` streams | the summary's hot buffer is sorted once and merged into every stream | memory: a stream holds only its compressed list |
//! | perks rounds the query slack `f(t)/2` up (and answers unmerged streams exactly) | the paper's real-valued slack | same error bound, exact small sets without a special path |
//! | one exporter goroutine | sharded store, any number of ingest threads | multi-core (upstream #377) |
//!
//! # Performance
//!
//! Recording a sample into an existing series takes one shard lock and allocates nothing
//! (tested with a counting allocator, for parse + map + record of every type). The series
//! hash does not depend on label order (pair hashes are added; each string is hashed whole
//! with seeded folded multiplications, two fixed-size loads for strings up to 16 bytes), so
//! the hit path never sorts; only a miss sorts and deduplicates the labels before creating
//! the series. A series' label names and values are stored once, as its sort key in its
//! shard's label arena (next to the rendered block the exposition copies); there is no
//! per-series label allocation, and a counter or gauge series owns no heap block at all
//! (its slot in the shard's slab, its arena text and its index bucket are its memory).
//! Each series remembers which of the last matching event's labels sat at each of its own
//! positions (one nibble per label, up to 16): clients send a series' tags in the same order
//! every time, so the exact key check walks the key once, comparing each field with the
//! event's name or value in place (word loads, plus the field's 2-byte end mark), and only
//! an event with another order scans (and updates the remembered order).
//!
//! Memory per series (the store bench's start-up print, 100 000 series, heap estimate /
//! resident growth): `mastodon_controller_status` counters with five Mastodon labels
//! 499 B / 361 B (730 B / 695 B when every value was also a `Box<str>` in a per-series
//! `Arc` list of labels); two-label counters 246 B / 229 B (354 B / 387 B); a quarter of
//! each type 355 B / 341 B (461 B / 506 B). The heap estimate counts the slab's and the
//! arenas' spare capacity, which is not resident until used. The price is paid on the hit
//! path: comparing in place costs about 7 instructions more per label name or value than
//! comparing with a string of known length did (bounds and end-mark checks): a counter
//! sample with three labels went from 598 to 692 instructions
//! (`benches/scripts/callgrind-record.sh counter`), one with five labels from 693 to 833
//! (`benches/scripts/callgrind-check.sh`, row `record_counter_existing`).
//!
//! A scrape is built for memory locality, because at 100 000 series its cost is cache
//! misses more than instructions. Each shard keeps its series' labels pre-rendered
//! (`name="value",...`) and as an order-preserving sort key, back to back in one arena
//! (a removed series' text is garbage until it is half the arena, then compacted), so a
//! scrape copies a shard's label text with one `memcpy` while it holds that shard's lock,
//! and reads each series' slot in order. One integer sort orders every series: its key is
//! the family's rank by name, the 8 key bytes after the prefix all keys of that family
//! share, and the series' index; whole keys are compared only on ties. A gather pass then
//! copies the series and their rendered labels into exposition order, so the formatting loop
//! reads memory front to back (the random reads happen in the short gather loop, where the
//! processor overlaps their misses). `le` and `quantile` labels are rendered once per
//! family; floats take their shortest digits from zmij (Schubfach), laid out as Go's `%g`.
//! A summary answers all its quantiles in one walk over its stream.
//! Ingest waits at most for one shard's copy-out, never for the sort or the formatting.
//!
//! The pipeline borrows a mapping's constant metric name (checked at load) instead of
//! escaping it again, and [`Pipeline::process_packets`] takes a whole receive batch (one
//! `recvmmsg`), checking for a new mapper and adding its counts to the shared [`Stats`]
//! once per batch instead of once per datagram, which matters for clients like Mastodon's
//! that send one line per datagram.
//!
//! The pipeline hands the sink a [`SeriesHint`] wherever it knows the series is the same as
//! last time: for a line without tags, the hint kept with that name's finished mapping
//! (a new mapper, or the entry being reused for another name, clears it); for a tagged line,
//! the hint kept with the last tagged line of that name, when the new line equals it but for
//! its value (same bytes around the value, so the same tags; one line per name is kept, at
//! most 512 bytes, charged to the pipeline's memory allowance). Lines with several values
//! are recorded without a hint. A tagged line's tags are read from the line after one UTF-8
//! check of the whole line, and tag names that need no escaping are borrowed, not copied.
//!
//! Instruction counts (deterministic; `benches/scripts/callgrind-record.sh`, driver
//! `benches/src/bin/callgrind_record.rs`: 64 series of one metric, three labels given out of
//! name order, a TTL, one recorder per 32 samples, `(Ir(N) - Ir(0)) / N`, N = 32 000, which
//! includes one summary buffer flush per series; expositions of 100 000 series of two
//! labels; the driver's own share is about 85 per record row):
//!
//! | operation | first version | `48906da` | `07ba47a` | `0253dd9` (labels only in the arena) | `f71b0e3`: plain / hinted | `1fabb39`: plain / hinted |
//! |---|---|---|---|---|---|---|
//! | counter sample | 896 Ir | 632 Ir | 599 Ir | 692 Ir | 693 Ir / 230 Ir | 690 Ir / 228 Ir |
//! | gauge sample | 882 Ir | 622 Ir | 588 Ir | 683 Ir | 692 Ir / 224 Ir | 679 Ir / 220 Ir |
//! | histogram sample (default buckets) | 987 Ir | 695 Ir | 664 Ir | 759 Ir | 769 Ir / 300 Ir | 758 Ir / 294 Ir |
//! | summary sample (default objectives, with its share of flushes) | ~1 950 Ir | 1 693 Ir | 958 Ir | 1 044 Ir | 1 047 Ir / 586 Ir | 1 005 Ir / 542 Ir |
//! | text exposition, 100 000 counters | 2 032 Ir per series | 828 Ir per series | 828 Ir per series | 821 Ir per series | | |
//! | text exposition, 100 000 mixed (¼ each type) | 9 057 Ir per series | 2 977 Ir per series | | | | |
//! | text exposition, 2 000 summaries of 600 observations | | 4 999 Ir per series | | | | |
//! | Mastodon line, one per datagram, `process_packet` each | | 3 922 Ir | 2 131 Ir | 2 149 Ir | 1 795 Ir | 1 581 Ir |
//! | the same, 32 datagrams per `process_packets` | | 3 699 Ir | 1 896 Ir | 1 911 Ir | 1 559 Ir | 1 348 Ir |
//! | DogStatsD line with five tags, unmapped, one per datagram (`pipeline_tagged`) | | | | 5 639 Ir (at `89f85a0`) | 3 932 Ir (at `3191759`) | 3 332 Ir |
//!
//! "Hinted" rows record through [`Sink::record_hinted`] with one [`SeriesHint`] per series
//! (`counter_hinted`, … rows of the driver): the store reads the series' place from the
//! hint, checks the slot's generation, the name and the label count, and applies the
//! sample, with no hash and no key comparison. The Mastodon lines carry no tags, so at
//! `f71b0e3` the pipeline records them through its mapping's hint (the parser also got
//! cheaper between the last two columns: its Mastodon stream went from 1 008 to 925 Ir per
//! line). At `1fabb39` the pipeline tries [`Sink::record_by_hint`] first and builds a
//! label list only when the sink cannot follow the hint, a store hit checks the family's
//! kind and applies the value in one dispatch, and a summary buffers observations of
//! weight 1 as bare keys, which sort faster (the summary rows: 1 048 / 586 → 999 / 549
//! from that alone); the parser's SSE2 round landed in the same window (its share of the
//! Mastodon rows: about 125 of the 177 instructions they lost). End to end,
//! `LINES=30000 scripts/callgrind-exporter.sh` went from 1 462 to 1 388 instructions a
//! line with this crate's changes alone and is 1 276 with the parser's. At `6bb592d` the
//! shards and the registry moved from std's mutex to parking_lot's, whose uncontended lock
//! and unlock are inline atomics (std's pays for poisoning, which the store ignored):
//! counter / `counter_hinted` / `summary_hinted` 686 / 228 / 542 → 674 / 216 / 531, the
//! three pipeline rows 1 580 / 1 346 / 3 289 → 1 572 / 1 337 / 3 277, and the exporter
//! 1 288 → 1 243 instructions a line (one build series at `b90ef66`). At `11f792a` the
//! pipeline splits packets with [`statsd_proto::find_line_end`] (16 bytes a step over a
//! line's first 128 bytes) instead of its own memchr searcher: 1 243 → 1 221–1 228.
//! Since then a tagged line equal, but for its value, to the last tagged line of its
//! name is recorded through the kept hint and label count before its tags are walked;
//! the walk, the escaping and the label merge happen only when the sink cannot follow
//! the hint: `pipeline_tagged` 3 255 → 2 483, the untagged rows unchanged (1 574 / 1 341).
//! Then the per-packet counts skip their error arrays when no error was counted, which
//! was about half of adding them to the shared counters once per packet: the three
//! pipeline rows 1 574 / 1 341 / 2 483 → 1 412 / 1 333 / 2 319.
//! The pipeline rows include parsing and mapping with the shipped Mastodon mapping. The
//! exposition's instruction count says little about its time: the locality work above
//! brought 100 000 counters from 85–198 ms to 32–45 ms per scrape for only 14 % fewer
//! instructions (`callgrind_record expose_counters` timed before and after, alternating, same
//! load ~5.5 on the shared 2-core machine), and 100 000 mixed series from 228–276 ms to
//! 92–139 ms (that output is 28 MB: 5¼ lines, 280 bytes per series on average).
//!
//! The summary's remaining cost is its CKMS merge and compression into each of the five
//! age buckets' streams at every flush (client_golang's structure); a counter sample still
//! costs about 600 instructions in the store (three labels): the hash of name and labels,
//! the exact key check against the arena, the lock and the table lookup. Criterion on the
//! shared 2-core machine: 100 000 counters exposed in 39 ms, 100 000 mixed series in 77 ms
//! (`cargo bench -p statsd-benches --bench store -- --warm-up-time 1 --measurement-time 3`,
//! load 2.7–3.9, before the arena-only labels, which left the exposition's instruction count
//! unchanged); per sample on 1 thread, three runs at load 5.2–6.7
//! (`… --measurement-time 4 'store/record/(counter|gauge|summary)/1-thread'`): counter
//! 82–104 ns, gauge 83–147 ns, summary 167–212 ns. Those times swing with the machine's
//! load, and the 60 ns and 150 ns targets are not shown met on this machine for a lookup
//! by name and labels. Through a hint they are: at `7d80dd8`, load 3.4–4.1
//! (`cargo bench -p statsd-benches --bench store -- 'store/record'`, 1 thread) counter
//! 34 ns, gauge 26 ns, histogram 67 ns, summary 82 ns hinted, against 112, 88, 167 and
//! 177 ns looked up in the same run. Memory per series is unchanged by hints (the slot's
//! generation grew to 64 bits in what was padding): see above. See also `benches/benches/store.rs` and `benches/benches/pipeline.rs`
//! for samples per second per type on 1 and 2 threads, exposition time for 100 000 series
//! and memory per series.
#![forbid(unsafe_code)]

mod clock;
mod error;
mod expose;
mod float;
mod histogram;
mod names;
mod pipeline;
pub mod remote_write;
mod sink;
mod stats;
mod store;
mod summary;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorKind};
pub use expose::{Format, SampleRef};
pub use pipeline::Pipeline;
pub use sink::{Event, HintedEvent, Label, Observer, Rejection, SeriesHint, Sink, Value};
pub use stats::{
    Counter, EVENT_ERROR_REASONS, EVENT_TYPES, Gauge, MAX_CONFLICT_NAMES, ReasonCounters,
    SAMPLE_ERROR_REASONS, SERIES_DROPPED_REASONS, Stats,
};
/// Observer options are the mapper's resolved options: the pipeline hands them through as
/// they are, so recording never converts or copies them.
pub use statsd_mapper::{
    HistogramOptions, ObserverOptions, ObserverType, Quantile, SummaryOptions,
};
pub use store::{PrometheusOptions, PrometheusSink, Recorder};

// The README's example is a doc test too, so the crates.io page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
