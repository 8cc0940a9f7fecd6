//! The two text formats: Prometheus 0.0.4 and OpenMetrics 1.0.

use crate::float::{write_go_float, write_integer, write_openmetrics_float};

/// An exposition format.
///
/// ```
/// use statsd_exporter_core::Format;
/// assert_eq!(Format::default(), Format::Text);
/// assert_eq!(Format::Text.content_type(), "text/plain; version=0.0.4; charset=utf-8");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Prometheus text format 0.0.4: what statsd_exporter serves, whatever the Accept
    /// header asks. The default, and the right answer for every scrape unless the operator
    /// explicitly opts in to OpenMetrics.
    #[default]
    Text,
    /// OpenMetrics 1.0 text. Counters are exposed as `<name>_total` samples of a family
    /// named without `_total`: Prometheus stores them under the `_total` name, so switching
    /// an existing deployment to it renames every counter not already ending in `_total`.
    OpenMetrics,
}

impl Format {
    /// The HTTP `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// Prometheus metric types as written on `# TYPE` lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeName {
    Counter,
    Gauge,
    Summary,
    Histogram,
}

impl TypeName {
    fn as_str(self) -> &'static str {
        match self {
            TypeName::Counter => "counter",
            TypeName::Gauge => "gauge",
            TypeName::Summary => "summary",
            TypeName::Histogram => "histogram",
        }
    }
}

/// A sample value: floats as floats, counts as integers in OpenMetrics.
#[derive(Clone, Copy)]
pub(crate) enum Number {
    Float(f64),
    Count(u64),
}

/// Writes families into a byte buffer.
pub(crate) struct Encoder {
    pub(crate) format: Format,
    pub(crate) out: Vec<u8>,
    /// The name samples of the current family are written under (OpenMetrics trims `_total`
    /// from a counter family's name and adds it back to samples).
    family: String,
    is_counter: bool,
}

impl Encoder {
    pub(crate) fn new(format: Format) -> Self {
        Encoder {
            format,
            out: Vec::with_capacity(1 << 16),
            family: String::new(),
            is_counter: false,
        }
    }

    pub(crate) fn family(&mut self, name: &str, help: &str, kind: TypeName) {
        self.family.clear();
        self.is_counter = kind == TypeName::Counter;
        let exposed = if self.format == Format::OpenMetrics && self.is_counter {
            crate::store::family::openmetrics_stem(name).unwrap_or(name)
        } else {
            name
        };
        self.family.push_str(exposed);
        self.out.extend_from_slice(b"# HELP ");
        self.out.extend_from_slice(exposed.as_bytes());
        self.out.push(b' ');
        for b in help.bytes() {
            match b {
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'"' if self.format == Format::OpenMetrics => self.out.extend_from_slice(b"\\\""),
                _ => self.out.push(b),
            }
        }
        self.out.extend_from_slice(b"\n# TYPE ");
        self.out.extend_from_slice(exposed.as_bytes());
        self.out.push(b' ');
        self.out.extend_from_slice(kind.as_str().as_bytes());
        self.out.push(b'\n');
    }

    /// One sample line: `<family><suffix>{labels[,extra]} value`, with `labels` already
    /// rendered (`name="value",...`) and `extra` too (see [`label`](Self::label)). Counters
    /// get `_total` in OpenMetrics.
    #[inline]
    pub(crate) fn sample(
        &mut self,
        suffix: &str,
        labels: &[u8],
        extra: Option<&[u8]>,
        value: Number,
    ) {
        let extra = extra.unwrap_or_default();
        // One capacity check for the whole line but the value (at most 24 bytes).
        self.out
            .reserve(self.family.len() + suffix.len() + labels.len() + extra.len() + 40);
        self.out.extend_from_slice(self.family.as_bytes());
        self.out.extend_from_slice(suffix.as_bytes());
        if self.is_counter && self.format == Format::OpenMetrics {
            self.out.extend_from_slice(b"_total");
        }
        if !labels.is_empty() || !extra.is_empty() {
            self.out.push(b'{');
            self.out.extend_from_slice(labels);
            if !extra.is_empty() {
                if !labels.is_empty() {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(extra);
            }
            self.out.push(b'}');
        }
        self.out.push(b' ');
        match value {
            Number::Float(v) => self.float(v),
            Number::Count(n) => match self.format {
                // client_golang's text encoder writes counts as floats (`1e+06`).
                Format::Text => write_go_float(&mut self.out, n as f64),
                Format::OpenMetrics => write_integer(&mut self.out, n),
            },
        }
        self.out.push(b'\n');
    }

    /// `name="value"` for a bucket bound or quantile, with `value` written as this format
    /// writes floats.
    pub(crate) fn label(&self, name: &str, value: f64) -> Vec<u8> {
        let mut out = Vec::with_capacity(name.len() + 26);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        match self.format {
            Format::Text => write_go_float(&mut out, value),
            Format::OpenMetrics => write_openmetrics_float(&mut out, value),
        }
        out.push(b'"');
        out
    }

    fn float(&mut self, v: f64) {
        match self.format {
            Format::Text => write_go_float(&mut self.out, v),
            Format::OpenMetrics => write_openmetrics_float(&mut self.out, v),
        }
    }

    pub(crate) fn finish(&mut self) {
        if self.format == Format::OpenMetrics {
            self.out.extend_from_slice(b"# EOF\n");
        }
    }
}
