//! Parser configuration: tag styles and the compatibility mode.

/// Which implementation's rules the parser follows where statsd_exporter and the
/// DogStatsD Agent disagree. See the crate docs, "Modes", for every difference.
///
/// ```
/// use statsd_proto::{Compat, Parser};
///
/// let exporter = Parser::new(); // Compat::StatsdExporter
/// let agent = Parser::dogstatsd();
/// assert_eq!(agent.compat(), Compat::DogStatsd);
///
/// // A signed gauge: a delta for statsd_exporter, an absolute value for the Agent.
/// let line = b"queue.depth:-3|g";
/// let delta = exporter.parse_metric(line)?.samples().next().unwrap()?;
/// let absolute = agent.parse_metric(line)?.samples().next().unwrap()?;
/// assert!(delta.is_relative() && !absolute.is_relative());
/// assert_eq!((delta.value(), absolute.value()), (-3.0, -3.0));
///
/// // An unknown field: statsd_exporter drops the sample (and counts why), the Agent
/// // ignores the field.
/// let line = b"hits:1|c|x:future";
/// let dropped = exporter.parse_metric(line)?.samples().next().unwrap();
/// assert_eq!(dropped.unwrap_err().kind().as_str(), "invalid_sample_factor");
/// assert_eq!(agent.parse_metric(line)?.samples().next().unwrap()?.value(), 1.0);
/// # Ok::<(), statsd_proto::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Compat {
    /// Prometheus' statsd_exporter 0.30 (the default): `a:1|c:2|ms` multi-value lines,
    /// signed gauges are deltas, at most 6 components, unknown fields are errors, the
    /// whole line must be valid UTF-8.
    #[default]
    StatsdExporter,
    /// The DogStatsD Agent: packed values only, signed gauges are absolute, unknown
    /// fields are ignored, `e:`/`card:` fields understood, a bad `@rate` or `T`
    /// drops the line, valueless tags are tags, bytes are not UTF-8 checked.
    DogStatsd,
}

/// A configured parser. It is `Copy` and holds no state: create one and reuse it.
///
/// [`Parser::new`] is statsd_exporter's default configuration (every tag style on,
/// [`Compat::StatsdExporter`]); [`Parser::dogstatsd`] is the strict DogStatsD one.
///
/// ```
/// use statsd_proto::{Compat, Parser};
///
/// // Like `statsd_exporter --no-statsd.parse-influxdb-tags`.
/// let parser = Parser::new().influxdb_tags(false);
/// let metric = parser.parse_metric(b"foo,a=b:1|c").unwrap();
/// assert_eq!(metric.name(), &b"foo,a=b"[..]);
/// assert_eq!(Parser::dogstatsd().compat(), Compat::DogStatsd);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Parser {
    pub(crate) compat: Compat,
    pub(crate) dogstatsd_tags: bool,
    pub(crate) influxdb_tags: bool,
    pub(crate) librato_tags: bool,
    pub(crate) signalfx_tags: bool,
    pub(crate) events: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    /// statsd_exporter's defaults: all four tag styles on, [`Compat::StatsdExporter`],
    /// DogStatsD events and service checks recognised.
    pub const fn new() -> Parser {
        Parser {
            compat: Compat::StatsdExporter,
            dogstatsd_tags: true,
            influxdb_tags: true,
            librato_tags: true,
            signalfx_tags: true,
            events: true,
        }
    }

    /// Strict DogStatsD: [`Compat::DogStatsd`], `|#` tags on, name-embedded tag styles
    /// off (the Agent keeps `,`, `#`, `[` in names), events and service checks on.
    pub const fn dogstatsd() -> Parser {
        Parser {
            compat: Compat::DogStatsd,
            dogstatsd_tags: true,
            influxdb_tags: false,
            librato_tags: false,
            signalfx_tags: false,
            events: true,
        }
    }

    /// Sets the compatibility mode (tag-style toggles are kept).
    pub const fn with_compat(mut self, compat: Compat) -> Parser {
        self.compat = compat;
        self
    }

    /// Parse DogStatsD `|#k:v,…` tags (statsd_exporter `--statsd.parse-dogstatsd-tags`).
    /// When off, `#` fields are accepted and ignored.
    pub const fn dogstatsd_tags(mut self, on: bool) -> Parser {
        self.dogstatsd_tags = on;
        self
    }

    /// Parse InfluxDB `name,k=v:…` tags (`--statsd.parse-influxdb-tags`).
    pub const fn influxdb_tags(mut self, on: bool) -> Parser {
        self.influxdb_tags = on;
        self
    }

    /// Parse Librato `name#k=v:…` tags (`--statsd.parse-librato-tags`).
    pub const fn librato_tags(mut self, on: bool) -> Parser {
        self.librato_tags = on;
        self
    }

    /// Parse SignalFX `na[k=v]me:…` tags (`--statsd.parse-signalfx-tags`).
    pub const fn signalfx_tags(mut self, on: bool) -> Parser {
        self.signalfx_tags = on;
        self
    }

    /// Recognise `_e{` events and `_sc|` service checks (on by default). When off they
    /// are parsed as metric lines and fail the way statsd_exporter fails them
    /// (`malformed_value`, `malformed_line`), which reproduces its error counts exactly.
    pub const fn events(mut self, on: bool) -> Parser {
        self.events = on;
        self
    }

    /// The compatibility mode.
    pub const fn compat(&self) -> Compat {
        self.compat
    }

    /// True when `|#` tags are parsed.
    pub const fn parses_dogstatsd_tags(&self) -> bool {
        self.dogstatsd_tags
    }

    /// True when InfluxDB name tags are parsed.
    pub const fn parses_influxdb_tags(&self) -> bool {
        self.influxdb_tags
    }

    /// True when Librato name tags are parsed.
    pub const fn parses_librato_tags(&self) -> bool {
        self.librato_tags
    }

    /// True when SignalFX name tags are parsed.
    pub const fn parses_signalfx_tags(&self) -> bool {
        self.signalfx_tags
    }

    /// True when events and service checks are recognised.
    pub const fn parses_events(&self) -> bool {
        self.events
    }

    pub(crate) fn strict(&self) -> bool {
        self.compat == Compat::DogStatsd
    }
}
