//! The crate's error type and load-time warnings.

use std::fmt;
use std::path::{Path, PathBuf};

use statsd_proto::MetricType;

/// What went wrong, for callers that branch on the reason.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The configuration file could not be read.
    Io,
    /// The text is not valid YAML, or does not have the shape of a mapping config
    /// (unknown key, duplicate key, wrong value type, unquoted `*` read as an alias, …).
    Yaml,
    /// A glob `match` that is not a valid pattern.
    InvalidGlob,
    /// A regex `match` that does not compile.
    InvalidRegex,
    /// A mapping without `name`.
    MissingName,
    /// A `name` that is not a valid metric name template.
    InvalidMetricName,
    /// A label key that is not a valid Prometheus label name.
    InvalidLabelName,
    /// `match_type` other than `glob` or `regex`.
    InvalidMatchType,
    /// `observer_type` (or legacy `timer_type`) other than `summary` or `histogram`.
    InvalidObserverType,
    /// `match_metric_type` other than `counter`, `gauge` or `observer`.
    InvalidMetricType,
    /// `action` other than `map` or `drop`.
    InvalidAction,
    /// A duration that is not a Go duration string.
    InvalidDuration,
    /// Summary options on a histogram rule, histogram options on a summary rule, or a
    /// legacy key together with its replacement.
    ConflictingOptions,
    /// A set (`|s`) has no mapping class.
    UnsupportedMetricType,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Io => "cannot read mapping config",
            ErrorKind::Yaml => "invalid YAML",
            ErrorKind::InvalidGlob => "invalid match",
            ErrorKind::InvalidRegex => "invalid regex",
            ErrorKind::MissingName => "missing metric name",
            ErrorKind::InvalidMetricName => "invalid metric name",
            ErrorKind::InvalidLabelName => "invalid label name",
            ErrorKind::InvalidMatchType => "invalid match type",
            ErrorKind::InvalidObserverType => "invalid observer type",
            ErrorKind::InvalidMetricType => "invalid metric type",
            ErrorKind::InvalidAction => "invalid action",
            ErrorKind::InvalidDuration => "invalid duration",
            ErrorKind::ConflictingOptions => "conflicting options",
            ErrorKind::UnsupportedMetricType => "unsupported metric type",
        }
    }
}

/// A position in the configuration text: 1-based line and column (characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
}

impl Position {
    pub(crate) fn of(location: serde_saphyr::Location) -> Position {
        Position {
            line: location.line(),
            column: location.column(),
        }
    }
}

/// The error of every fallible function in this crate.
///
/// Opaque and cheap to move (one box). Config errors carry the file (when loaded from
/// one), line, column and the offending text; its `Display` reads like a compiler message:
///
/// ```
/// use statsd_mapper::{ErrorKind, MapperConfig};
///
/// let yaml = "mappings:\n- match: a.b*c.d!\n  name: x\n";
/// let err = MapperConfig::from_yaml_str(yaml, Some("conf.yml".as_ref())).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidGlob);
/// assert_eq!((err.line(), err.column()), (2, 10));
/// assert_eq!(err.text(), "a.b*c.d!");
/// assert!(err.to_string().starts_with("conf.yml:2:10: invalid match \"a.b*c.d!\""));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    file: Option<PathBuf>,
    position: Position,
    text: String,
    detail: String,
    /// Further errors of the same load, in file order (see [`Error::all`]).
    more: Vec<Error>,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        position: Position,
        text: impl Into<String>,
        detail: impl Into<String>,
    ) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                file: None,
                position,
                text: text.into(),
                detail: detail.into(),
                more: Vec::new(),
            }),
        }
    }

    /// The first of `errors` carrying the others (`None` when there are none).
    pub(crate) fn collected(mut errors: Vec<Error>) -> Option<Error> {
        if errors.is_empty() {
            return None;
        }
        errors.sort_by_key(|e| e.inner.position);
        let mut first = errors.remove(0);
        first.inner.more = errors;
        Some(first)
    }

    pub(crate) fn io(path: &Path, err: &std::io::Error) -> Error {
        let mut error = Error::new(ErrorKind::Io, Position::default(), "", err.to_string());
        error.inner.file = Some(path.to_path_buf());
        error
    }

    pub(crate) fn unsupported_type(metric_type: MetricType) -> Error {
        Error::new(
            ErrorKind::UnsupportedMetricType,
            Position::default(),
            metric_type.as_str(),
            "sets have no mapping class (statsd_exporter cannot export sets)",
        )
    }

    pub(crate) fn with_file(mut self, file: Option<&Path>) -> Error {
        if self.inner.file.is_none() {
            self.inner.file = file.map(Path::to_path_buf);
        }
        self.inner.more = std::mem::take(&mut self.inner.more)
            .into_iter()
            .map(|e| e.with_file(file))
            .collect();
        self
    }

    /// Every error found by the load that returned this one, in file order: this error
    /// first (it is the one `Display` and the accessors describe), then the others.
    ///
    /// A config load does not stop at the first problem: every mapping (and the
    /// `defaults` block) is checked, and each one that is wrong contributes its first
    /// error. Text that is not valid YAML, or does not have the shape of a mapping config
    /// (an unknown or duplicate key, a wrong value type), stops the load at that point,
    /// so then there is one error.
    ///
    /// ```
    /// use statsd_mapper::{ErrorKind, MapperConfig};
    ///
    /// let yaml = "\
    /// mappings:
    /// - match: a.b*c.d!
    ///   name: x
    /// - match: ok.*
    ///   name: ok
    /// - match: b.*
    ///   name: \"b\"
    ///   labels: { 0bad: x }
    /// ";
    /// let err = MapperConfig::from_yaml_str(yaml, Some("conf.yml".as_ref())).unwrap_err();
    /// let all: Vec<String> = err.all().map(ToString::to_string).collect();
    /// assert_eq!(all.len(), 2);
    /// assert!(all[0].starts_with("conf.yml:2:10: invalid match \"a.b*c.d!\""));
    /// assert!(all[1].starts_with("conf.yml:8:"), "{}", all[1]);
    /// assert_eq!(err.all().nth(1).unwrap().kind(), ErrorKind::InvalidLabelName);
    /// ```
    pub fn all(&self) -> impl ExactSizeIterator<Item = &Error> + '_ {
        std::iter::once(self)
            .chain(self.inner.more.iter())
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Why it failed.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The file the config was loaded from, if it was given.
    pub fn file(&self) -> Option<&Path> {
        self.inner.file.as_deref()
    }

    /// 1-based line of the offending text; 0 when unknown (I/O errors).
    pub fn line(&self) -> u64 {
        self.inner.position.line
    }

    /// 1-based column (in characters) of the offending text; 0 when unknown.
    pub fn column(&self) -> u64 {
        self.inner.position.column
    }

    /// The offending text as written in the config (may be empty, e.g. for I/O errors).
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// The explanation without the location prefix.
    pub fn detail(&self) -> &str {
        &self.inner.detail
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(file) = &inner.file {
            write!(f, "{}:", file.display())?;
        }
        if inner.position.line > 0 {
            write!(f, "{}:{}: ", inner.position.line, inner.position.column)?;
        } else if inner.file.is_some() {
            f.write_str(" ")?;
        }
        f.write_str(inner.kind.describe())?;
        if !inner.text.is_empty() {
            write!(f, " {:?}", inner.text)?;
        }
        if !inner.detail.is_empty() {
            write!(f, ": {}", inner.detail)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("file", &self.inner.file)
            .field("line", &self.inner.position.line)
            .field("column", &self.inner.position.column)
            .field("text", &self.inner.text)
            .field("detail", &self.inner.detail)
            .field("more", &self.inner.more)
            .finish()
    }
}

impl std::error::Error for Error {}

/// What a [`Warning`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WarningKind {
    /// A key removed in statsd_exporter 0.30 (`timer_type`, `buckets`, `quantiles`,
    /// `match_metric_type: timer`), accepted with its old meaning.
    DeprecatedKey,
    /// A rule that can never match: an earlier rule matches every name it matches.
    UnreachableRule,
}

/// A problem in a config that loads: deprecated keys and rules that can never match.
///
/// Warnings are returned by [`MapperConfig::warnings`](crate::MapperConfig::warnings),
/// never printed.
///
/// ```
/// use statsd_mapper::{MapperConfig, WarningKind};
///
/// let config = MapperConfig::from_yaml_str(
///     "mappings:\n- match: \"a.*\"\n  name: a\n- match: \"a.b\"\n  name: b\n",
///     None,
/// )?;
/// let warnings: Vec<_> = config.warnings().iter().map(|w| (w.kind(), w.line())).collect();
/// assert_eq!(warnings, [(WarningKind::UnreachableRule, 4)]);
/// // Display gives `line:column: message`; prefix the file name when printing.
/// for warning in config.warnings() {
///     eprintln!("mapping.yml:{warning}");
/// }
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    kind: WarningKind,
    position: Position,
    message: String,
}

impl Warning {
    pub(crate) fn new(kind: WarningKind, position: Position, message: String) -> Warning {
        Warning {
            kind,
            position,
            message,
        }
    }

    /// What the warning is about.
    pub fn kind(&self) -> WarningKind {
        self.kind
    }

    /// 1-based line.
    pub fn line(&self) -> u64 {
        self.position.line
    }

    /// 1-based column.
    pub fn column(&self) -> u64 {
        self.position.column
    }

    /// The explanation, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.position.line, self.position.column, self.message
        )
    }
}
