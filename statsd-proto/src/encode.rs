//! Writing items back to wire form.
//!
//! The encoder writes a canonical form, not the original bytes:
//! - metrics whose samples share type, rate and timestamp (one sample, or observer
//!   values) are written in DogStatsD's packed form
//!   `name:v1:v2|type[|@rate][|#tags][|c:id][|e:…][|card:…][|Tts]`;
//! - other multi-sample metrics (statsd_exporter's `a:1|c:2|ms`) are written in that
//!   multi-metric form, with tags InfluxDB-style in the name (`name,k=v:…`), because a
//!   `|#` section would turn multi-metric parsing off (in DogStatsD mode, see
//!   [`MetricFields::compat`], everything is packed);
//! - values are written in the shortest form that reads back to the same `f64`
//!   (integers without a fraction), `+`/`-` for gauge deltas, `NaN`, `inf`, `-inf`.
//!
//! Limits, by the nature of the wire format: a negative absolute gauge reads back as a
//! delta in statsd_exporter mode; names or tags containing the separators (`:`, `|`,
//! `,`, `#`, `@`, newline, and `=` for name-embedded tags) do not survive; a
//! `container_id` tag placed before a `|c:` field is written after it.
//!
//! A line whose content ends in `\r` (an event text, a check message or a tag value
//! that ends so) gets one more `\r`: every parser entry point removes exactly one
//! trailing `\r` as the line terminator's, so the content reads back whole.

use std::io::Write as _;

use crate::event::{Event, ServiceCheck};
use crate::kind::MetricType;
use crate::metric::{Metric, Sample};
use crate::name::Name;
use crate::options::Compat;
use crate::packet::Item;
use crate::tags::Tag;

/// DogStatsD fields of a metric that are not tags.
///
/// ```
/// use statsd_proto::{encode_metric, Compat, MetricFields, MetricType, Name, Parser, Sample};
///
/// let fields = MetricFields {
///     container_id: Some(b"83c6a2"),
///     compat: Compat::DogStatsd,
///     ..MetricFields::default()
/// };
/// let samples = [Sample::new(b"", 1.0, MetricType::Counter)];
/// let mut out = Vec::new();
/// encode_metric(&mut out, Name::new(b"hits", b""), samples.iter().copied(), [], &fields);
/// assert_eq!(out, b"hits:1|c|c:83c6a2");
/// assert_eq!(Parser::dogstatsd().parse_metric(&out)?.container_id(), Some(&b"83c6a2"[..]));
/// # Ok::<(), statsd_proto::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricFields<'a> {
    /// `|c:` container id.
    pub container_id: Option<&'a [u8]>,
    /// `|e:` external data.
    pub external_data: Option<&'a [u8]>,
    /// `|card:` cardinality.
    pub cardinality: Option<&'a [u8]>,
    /// The reader the line is written for. [`Compat::DogStatsd`] always uses the
    /// packed form (it has no multi-metric form; values that do not share type, rate
    /// and timestamp are written with the first value's); statsd_exporter mode packs
    /// only one value or observer values.
    pub compat: Compat,
}

/// Writes a value so that it parses back to the same `f64`.
fn write_value(out: &mut Vec<u8>, sample: &Sample<'_>) {
    let v = sample.value();
    if sample.kind() == MetricType::Set && !sample.raw_value().is_empty() {
        out.extend_from_slice(sample.raw_value());
        return;
    }
    if sample.is_relative() && (v > 0.0 || (v == 0.0 && v.is_sign_positive())) {
        out.push(b'+');
    }
    write_f64(
        out,
        if !sample.is_relative() && v == 0.0 {
            0.0
        } else {
            v
        },
    );
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        // `{:?}` is the shortest text that reads back to `v` (`0.1`, `1e-8`, `inf`).
        let _ = write!(out, "{v:?}");
    }
}

fn write_tag(out: &mut Vec<u8>, tag: &Tag<'_>, sep: u8) {
    out.extend_from_slice(tag.key());
    if let Some(v) = tag.value() {
        out.push(sep);
        out.extend_from_slice(v);
    }
}

/// Writes a metric name. A name that begins `_e{` (possible once SignalFX brackets are
/// removed: `_e[]{x:1|c`) would read back as a DogStatsD event line; it is written in
/// SignalFX form with an empty tag section, `_e[]{x`, the one spelling that reads back as
/// this metric (with SignalFX tags parsed, the default).
fn write_name(out: &mut Vec<u8>, name: Name<'_>) {
    const EVENT_START: &[u8] = b"_e{";
    let (head, tail) = name.parts();
    let mut start = [0u8; 3];
    let starts_like_event = name.len() >= EVENT_START.len() && {
        for (slot, byte) in start.iter_mut().zip(head.iter().chain(tail)) {
            *slot = *byte;
        }
        start == *EVENT_START
    };
    if starts_like_event {
        out.extend_from_slice(b"_e[]");
        // The rest of the name after `_e`, which may straddle the two halves.
        let skip_head = head.len().min(2);
        out.extend_from_slice(&head[skip_head..]);
        out.extend_from_slice(&tail[2 - skip_head..]);
    } else {
        out.extend_from_slice(head);
        out.extend_from_slice(tail);
    }
}

/// Writes one metric line (without a newline) and returns how many samples it wrote.
///
/// `samples` is walked twice (to choose the form, then to write), hence `Clone`.
/// Nothing is written when there are no samples. A name that begins `_e{` is written as
/// `_e[]{…` (SignalFX form with no tags), so that it is not read back as an event.
///
/// ```
/// use statsd_proto::{encode_metric, MetricFields, MetricType, Name, Sample, Tag};
///
/// let samples = [Sample::new(b"", 320.0, MetricType::Timer).with_sample_rate(0.1)];
/// let tags = [Tag::new(b"env", Some(b"prod"))];
/// let mut out = Vec::new();
/// encode_metric(&mut out, Name::new(b"lat", b""), samples.iter().copied(), tags, &MetricFields::default());
/// assert_eq!(out, b"lat:320|ms|@0.1|#env:prod");
/// ```
pub fn encode_metric<'s, 't, S, T>(
    out: &mut Vec<u8>,
    name: Name<'_>,
    samples: S,
    tags: T,
    fields: &MetricFields<'_>,
) -> usize
where
    S: Iterator<Item = Sample<'s>> + Clone,
    T: IntoIterator<Item = Tag<'t>>,
{
    let start = out.len();
    let mut iter = samples.clone();
    let Some(first) = iter.next() else {
        return 0;
    };
    let same = |s: &Sample<'_>| {
        s.kind() == first.kind()
            && s.sample_rate().to_bits() == first.sample_rate().to_bits()
            && s.timestamp() == first.timestamp()
    };
    let rest_count = iter.clone().count();
    let packed = rest_count == 0
        || fields.compat == Compat::DogStatsd
        || (first.kind().is_observer() && iter.all(|s| same(&s)));
    write_name(out, name);
    if packed {
        out.push(b':');
        for (i, s) in samples.enumerate() {
            if i > 0 {
                out.push(b':');
            }
            write_value(out, &s);
        }
        write_suffix(out, &first);
        let mut tags = tags.into_iter().peekable();
        if tags.peek().is_some() {
            out.extend_from_slice(b"|#");
            for (i, tag) in tags.enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_tag(out, &tag, b':');
            }
        }
        write_fields(out, fields);
        if let Some(ts) = first.timestamp() {
            let _ = write!(out, "|T{ts}");
        }
    } else {
        for tag in tags {
            out.push(b',');
            write_tag(out, &tag, b'=');
        }
        for s in samples {
            out.push(b':');
            write_value(out, &s);
            write_suffix(out, &s);
            if let Some(ts) = s.timestamp() {
                let _ = write!(out, "|T{ts}");
            }
        }
    }
    keep_trailing_cr(out, start);
    rest_count + 1
}

/// The parsers remove one trailing `\r` from a line (`\r\n` line ends); when the
/// line written since `start` ends in `\r`, an extra one keeps the content's `\r`.
fn keep_trailing_cr(out: &mut Vec<u8>, start: usize) {
    if out.len() > start && out.last() == Some(&b'\r') {
        out.push(b'\r');
    }
}

fn write_suffix(out: &mut Vec<u8>, s: &Sample<'_>) {
    out.push(b'|');
    out.extend_from_slice(s.kind().as_str().as_bytes());
    if s.sample_rate() != 1.0 {
        out.extend_from_slice(b"|@");
        write_f64(out, s.sample_rate());
    }
}

fn write_fields(out: &mut Vec<u8>, fields: &MetricFields<'_>) {
    if let Some(id) = fields.container_id {
        out.extend_from_slice(b"|c:");
        out.extend_from_slice(id);
    }
    if let Some(e) = fields.external_data {
        out.extend_from_slice(b"|e:");
        out.extend_from_slice(e);
    }
    if let Some(c) = fields.cardinality {
        out.extend_from_slice(b"|card:");
        out.extend_from_slice(c);
    }
}

impl Metric<'_> {
    /// Writes the good samples of this line back to wire form (see the
    /// [module docs](crate#encoding) for the canonical form) and returns how many
    /// samples were written. Bad samples and bad tags are left out.
    ///
    /// ```
    /// use statsd_proto::Parser;
    ///
    /// let parser = Parser::new();
    /// let mut out = Vec::new();
    /// parser.parse_metric(b"foo:1:bad:2.50|h|#a:b,,c:d").unwrap().encode(&mut out);
    /// assert_eq!(out, b"foo:1:2.5|h|#a:b,c:d");
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) -> usize {
        let fields = MetricFields {
            container_id: self.container_id(),
            external_data: self.external_data(),
            cardinality: self.cardinality(),
            compat: self.parser().compat(),
        };
        encode_metric(
            out,
            self.name(),
            self.samples().filter_map(Result::ok),
            self.tags().without_container(),
            &fields,
        )
    }
}

impl Event<'_> {
    /// Writes the event back to wire form (fields in the documented order).
    ///
    /// ```
    /// use statsd_proto::Parser;
    /// let line = b"_e{2,3}:hi|you|d:1|h:web|k:agg|p:low|s:src|t:error|#a:b,c";
    /// let mut out = Vec::new();
    /// Parser::new().parse_event(line).unwrap().encode(&mut out);
    /// assert_eq!(out, line);
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let _ = write!(out, "_e{{{},{}}}:", self.title().len(), self.text().len());
        out.extend_from_slice(self.title());
        out.push(b'|');
        out.extend_from_slice(self.text());
        if let Some(d) = self.timestamp() {
            let _ = write!(out, "|d:{d}");
        }
        for (prefix, v) in [
            (&b"|h:"[..], self.hostname()),
            (b"|k:", self.aggregation_key()),
            (b"|p:", self.priority().map(|p| p.as_str().as_bytes())),
            (b"|s:", self.source_type()),
            (b"|t:", self.alert_type().map(|t| t.as_str().as_bytes())),
        ] {
            if let Some(v) = v {
                out.extend_from_slice(prefix);
                out.extend_from_slice(v);
            }
        }
        write_dog_tags(out, self.tags());
        write_fields(
            out,
            &MetricFields {
                container_id: self.container_id(),
                external_data: self.external_data(),
                cardinality: self.cardinality(),
                compat: Compat::DogStatsd,
            },
        );
        keep_trailing_cr(out, start);
    }
}

fn write_dog_tags<'t>(out: &mut Vec<u8>, tags: impl Iterator<Item = Tag<'t>>) {
    let mut tags = tags.peekable();
    if tags.peek().is_some() {
        out.extend_from_slice(b"|#");
        for (i, tag) in tags.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_tag(out, &tag, b':');
        }
    }
}

impl ServiceCheck<'_> {
    /// Writes the service check back to wire form (`m:` last, as the spec requires).
    ///
    /// ```
    /// use statsd_proto::Parser;
    /// let line = b"_sc|db|1|d:5|h:db1|#env:prod|m:slow | very";
    /// let mut out = Vec::new();
    /// Parser::new().parse_service_check(line).unwrap().encode(&mut out);
    /// assert_eq!(out, line);
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(b"_sc|");
        out.extend_from_slice(self.name());
        out.push(b'|');
        out.extend_from_slice(self.status().as_str().as_bytes());
        if let Some(d) = self.timestamp() {
            let _ = write!(out, "|d:{d}");
        }
        if let Some(h) = self.hostname() {
            out.extend_from_slice(b"|h:");
            out.extend_from_slice(h);
        }
        write_dog_tags(out, self.tags());
        write_fields(
            out,
            &MetricFields {
                container_id: self.container_id(),
                external_data: self.external_data(),
                cardinality: self.cardinality(),
                compat: Compat::DogStatsd,
            },
        );
        if let Some(m) = self.message() {
            out.extend_from_slice(b"|m:");
            out.extend_from_slice(m);
        }
        keep_trailing_cr(out, start);
    }
}

impl Item<'_> {
    /// Writes the item back to wire form, without a newline.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Item::Metric(m) => {
                m.encode(out);
            }
            Item::Event(e) => e.encode(out),
            Item::ServiceCheck(s) => s.encode(out),
        }
    }
}
