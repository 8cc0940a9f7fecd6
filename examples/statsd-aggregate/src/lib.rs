//! A downstream exporter's own [`Sink`]: StatsD traffic, parsed and mapped by the crate
//! family's [`Pipeline`](statsd_exporter_core::Pipeline), aggregated per interval and written
//! as JSON lines. The `statsd-aggregate` binary wires it to stdin or a UDP socket; this
//! library part is what a test (or another program) can drive directly.
//!
//! Per series (metric name + label set) and interval:
//!
//! | StatsD | mapped to | aggregate | JSON fields |
//! |---|---|---|---|
//! | `c` | counter | sum of increments | `"value"` |
//! | `g` | gauge | last value; `+x`/`-x` add to it | `"value"` |
//! | `ms`, `h`, `d` | summary or histogram (the mapping's `observer_type`) | count, sum, min, max | `"count"`, `"sum"`, `"min"`, `"max"` |
//!
//! ```
//! use std::sync::Arc;
//! use statsd_aggregate::IntervalAggregate;
//! use statsd_exporter_core::{Pipeline, Stats};
//! use statsd_mapper::{Mapper, MapperConfig};
//! use statsd_proto::Parser;
//!
//! let mapper = Arc::new(Mapper::new(MapperConfig::empty(), 1000));
//! let mut pipeline = Pipeline::new(mapper, Parser::new().events(false), Arc::new(Stats::default()));
//! let mut aggregate = IntervalAggregate::new();
//!
//! pipeline.process_packet(b"jobs.done:3|c|#queue:mail\njobs.done:2|c|#queue:mail\njob.time:320|ms", &mut aggregate);
//!
//! let mut out = Vec::new();
//! assert_eq!(aggregate.flush(&mut out)?, 2);
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "{\"name\":\"job_time\",\"labels\":{},\"type\":\"summary\",\"count\":1,\"sum\":0.32,\"min\":0.32,\"max\":0.32}\n\
//!      {\"name\":\"jobs_done\",\"labels\":{\"queue\":\"mail\"},\"type\":\"counter\",\"value\":5}\n"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Choices a real exporter may make differently, and why they were made here:
//!
//! * **Series identity.** The key is the series' JSON prefix itself
//!   (`{"name":…,"labels":{…}`, labels sorted by name, last duplicate wins), rendered into a
//!   reused buffer: it is canonical, so it identifies the series, and it is what the output
//!   line starts with. Recording into a series seen before allocates nothing (tested with a
//!   counting allocator in `tests/alloc.rs`); a new series allocates its key once.
//! * **Types.** A series keeps the type of its first event; an event of another type
//!   (`counter`, `gauge`, `summary`, `histogram`) is refused with [`Rejection::Conflict`],
//!   which the pipeline counts under `statsd_exporter_events_conflict_total`.
//! * **Intervals.** [`flush`](IntervalAggregate::flush) writes the series that received
//!   events since the previous flush, in key order, then resets them; a series that received
//!   none is forgotten, so memory follows the series active in one interval. A gauge keeps its
//!   value from one interval to the next (a delta adds to it) until it is forgotten.
//! * **Numbers.** Written with Rust's shortest round-trip formatting (`5`, `0.32`); JSON has no
//!   NaN or infinity, so those are written as `null`.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::{self, Write};

use statsd_exporter_core::{Event, Label, Rejection, Sink, Value};

/// The [`Sink`]: per-interval aggregates of every series, keyed by name and labels.
#[derive(Debug, Default)]
pub struct IntervalAggregate {
    series: BTreeMap<String, Series>,
    /// Reused per event: the key of the event's series.
    key: String,
    /// Reused per event: label indices in key order.
    order: Vec<usize>,
}

/// One series: its aggregate and whether it received events since the last flush.
#[derive(Debug)]
struct Series {
    aggregate: Aggregate,
    touched: bool,
}

#[derive(Debug)]
enum Aggregate {
    Counter {
        sum: f64,
    },
    Gauge {
        value: f64,
    },
    Observer {
        /// `summary` or `histogram`, from the mapping of the first event.
        kind: &'static str,
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
    },
}

impl Aggregate {
    fn new(value: &Value<'_>) -> Aggregate {
        match *value {
            Value::Counter(_) => Aggregate::Counter { sum: 0.0 },
            Value::GaugeSet(_) | Value::GaugeAdd(_) => Aggregate::Gauge { value: 0.0 },
            Value::Observe { .. } => Aggregate::Observer {
                kind: value.conflict_type(),
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
            },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Aggregate::Counter { .. } => "counter",
            Aggregate::Gauge { .. } => "gauge",
            Aggregate::Observer { kind, .. } => kind,
        }
    }

    fn apply(&mut self, value: &Value<'_>) {
        match (self, *value) {
            (Aggregate::Counter { sum }, Value::Counter(v)) => *sum += v,
            (Aggregate::Gauge { value }, Value::GaugeSet(v)) => *value = v,
            (Aggregate::Gauge { value }, Value::GaugeAdd(delta)) => *value += delta,
            (
                Aggregate::Observer {
                    count,
                    sum,
                    min,
                    max,
                    ..
                },
                Value::Observe {
                    value, count: n, ..
                },
            ) => {
                // One event stands for `n` identical observations (a sample rate of 1/n).
                *count += n;
                *sum += value * n as f64;
                *min = min.min(value);
                *max = max.max(value);
            }
            // `record` compared the kinds before calling this.
            _ => {}
        }
    }

    /// Starts the next interval: counts restart, a gauge keeps its value.
    fn reset(&mut self) {
        match self {
            Aggregate::Counter { sum } => *sum = 0.0,
            Aggregate::Gauge { .. } => {}
            Aggregate::Observer {
                count,
                sum,
                min,
                max,
                ..
            } => {
                *count = 0;
                *sum = 0.0;
                *min = f64::INFINITY;
                *max = f64::NEG_INFINITY;
            }
        }
    }

    fn write_fields(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, ",\"type\":\"{}\"", self.kind())?;
        match *self {
            Aggregate::Counter { sum: value } | Aggregate::Gauge { value } => {
                write_field(out, "value", value)
            }
            Aggregate::Observer {
                count,
                sum,
                min,
                max,
                ..
            } => {
                write!(out, ",\"count\":{count}")?;
                write_field(out, "sum", sum)?;
                write_field(out, "min", min)?;
                write_field(out, "max", max)
            }
        }
    }
}

impl IntervalAggregate {
    /// An empty aggregate.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many series are remembered (those that received events in the current or the
    /// previous interval).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether no series is remembered.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Writes one JSON line per series that received events since the previous flush, in key
    /// order, starts the next interval and forgets the series that received none. Returns
    /// the number of lines written.
    ///
    /// # Errors
    ///
    /// Returns the error of `out`; the interval is then still reset, so a broken output loses
    /// that interval rather than growing memory.
    pub fn flush(&mut self, out: &mut impl Write) -> io::Result<usize> {
        let mut written = 0;
        let mut result = Ok(());
        self.series.retain(|key, series| {
            if !series.touched {
                return false;
            }
            if result.is_ok() {
                result = out
                    .write_all(key.as_bytes())
                    .and_then(|()| series.aggregate.write_fields(out))
                    .and_then(|()| out.write_all(b"}\n"));
                written += 1;
            }
            series.touched = false;
            series.aggregate.reset();
            true
        });
        result.map(|()| written)
    }

    /// Renders the series key of `name` and `labels` into `self.key`.
    fn render_key(&mut self, name: &str, labels: &[Label<'_>]) {
        // Sort indices, not labels: the labels are borrowed for this call only, the index
        // buffer is reused. Ties by descending index so that the last duplicate comes first.
        self.order.clear();
        self.order.extend(0..labels.len());
        self.order
            .sort_unstable_by(|&a, &b| labels[a].name.cmp(labels[b].name).then(b.cmp(&a)));

        self.key.clear();
        self.key.push_str("{\"name\":");
        push_json_string(&mut self.key, name);
        self.key.push_str(",\"labels\":{");
        let mut previous: Option<&str> = None;
        for &i in &self.order {
            let label = labels[i];
            if previous == Some(label.name) {
                continue;
            }
            if previous.is_some() {
                self.key.push(',');
            }
            push_json_string(&mut self.key, label.name);
            self.key.push(':');
            push_json_string(&mut self.key, label.value);
            previous = Some(label.name);
        }
        self.key.push('}');
    }
}

impl Sink for IntervalAggregate {
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
        self.render_key(event.name, event.labels);
        // The hit path: a lookup by the borrowed key, no allocation.
        let series = match self.series.get_mut(self.key.as_str()) {
            Some(series) => series,
            None => self.series.entry(self.key.clone()).or_insert(Series {
                aggregate: Aggregate::new(&event.value),
                touched: false,
            }),
        };
        if series.aggregate.kind() != event.value.conflict_type() {
            return Err(Rejection::Conflict);
        }
        series.aggregate.apply(&event.value);
        series.touched = true;
        Ok(())
    }
}

/// `,"name":value`, with `null` for what JSON cannot represent.
fn write_field(out: &mut impl Write, name: &str, value: f64) -> io::Result<()> {
    if value.is_finite() {
        write!(out, ",\"{name}\":{value}")
    } else {
        write!(out, ",\"{name}\":null")
    }
}

/// Appends `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(name: &'a str, labels: &'a [Label<'a>], value: Value<'a>) -> Event<'a> {
        Event {
            name,
            labels,
            value,
            help: "",
            ttl: None,
        }
    }

    fn flushed(aggregate: &mut IntervalAggregate) -> String {
        let mut out = Vec::new();
        aggregate.flush(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn labels_are_sorted_last_duplicate_wins_and_strings_escaped() {
        let mut aggregate = IntervalAggregate::new();
        let labels = [
            Label::new("z", "1"),
            Label::new("a", "q\"\\\n\u{1}é"),
            Label::new("z", "2"),
        ];
        aggregate
            .record(&event("m", &labels, Value::GaugeSet(1.5)))
            .unwrap();
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"m\",\"labels\":{\"a\":\"q\\\"\\\\\\n\\u0001é\",\"z\":\"2\"},\"type\":\"gauge\",\"value\":1.5}\n"
        );
    }

    #[test]
    fn label_order_does_not_split_a_series() {
        let mut aggregate = IntervalAggregate::new();
        let ab = [Label::new("a", "1"), Label::new("b", "2")];
        let ba = [Label::new("b", "2"), Label::new("a", "1")];
        aggregate
            .record(&event("c", &ab, Value::Counter(1.0)))
            .unwrap();
        aggregate
            .record(&event("c", &ba, Value::Counter(2.0)))
            .unwrap();
        assert_eq!(aggregate.len(), 1);
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"c\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"type\":\"counter\",\"value\":3}\n"
        );
    }

    #[test]
    fn another_type_on_a_series_is_a_conflict() {
        let mut aggregate = IntervalAggregate::new();
        aggregate
            .record(&event("x", &[], Value::Counter(1.0)))
            .unwrap();
        assert_eq!(
            aggregate.record(&event("x", &[], Value::GaugeSet(1.0))),
            Err(Rejection::Conflict)
        );
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"x\",\"labels\":{},\"type\":\"counter\",\"value\":1}\n"
        );
    }

    #[test]
    fn intervals_reset_counts_keep_gauges_and_forget_idle_series() {
        let mut aggregate = IntervalAggregate::new();
        aggregate
            .record(&event("g", &[], Value::GaugeSet(10.0)))
            .unwrap();
        aggregate
            .record(&event("c", &[], Value::Counter(4.0)))
            .unwrap();
        assert_eq!(flushed(&mut aggregate).lines().count(), 2);

        // Second interval: only the gauge moves (a delta on the kept value).
        aggregate
            .record(&event("g", &[], Value::GaugeAdd(-3.0)))
            .unwrap();
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"g\",\"labels\":{},\"type\":\"gauge\",\"value\":7}\n"
        );
        assert_eq!(aggregate.len(), 1, "the idle counter is forgotten");

        // Third interval: nothing at all.
        assert_eq!(flushed(&mut aggregate), "");
        assert!(aggregate.is_empty());

        // A counter that comes back starts from zero.
        aggregate
            .record(&event("c", &[], Value::Counter(1.0)))
            .unwrap();
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"c\",\"labels\":{},\"type\":\"counter\",\"value\":1}\n"
        );
    }

    #[test]
    fn non_finite_numbers_are_null() {
        let mut aggregate = IntervalAggregate::new();
        aggregate
            .record(&event("n", &[], Value::Counter(f64::NAN)))
            .unwrap();
        assert_eq!(
            flushed(&mut aggregate),
            "{\"name\":\"n\",\"labels\":{},\"type\":\"counter\",\"value\":null}\n"
        );
    }
}
