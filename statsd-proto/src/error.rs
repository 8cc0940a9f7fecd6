//! Parse errors: a reason from statsd_exporter's vocabulary and a byte offset.

use core::fmt;

/// Why a line, or one sample of a line, was rejected.
///
/// The first nine reasons are statsd_exporter's `statsd_exporter_sample_errors_total`
/// `reason` labels, and [`ErrorKind::as_str`] returns exactly those strings, so an
/// exporter can count `sample_errors_total{reason}` the way statsd_exporter does.
/// The last four exist only for what statsd_exporter cannot parse at all (DogStatsD
/// events and service checks) or only rejects in strict DogStatsD mode.
///
/// ```
/// use statsd_proto::{ErrorKind, Parser};
///
/// let err = Parser::new().parse_line(b"foo").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MalformedLine);
/// assert_eq!(err.kind().as_str(), "malformed_line");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No `:`, an empty name, or (statsd_exporter mode) invalid UTF-8 anywhere in the line.
    MalformedLine,
    /// Name-embedded tags (InfluxDB, Librato, SignalFX) together with `|#` DogStatsD tags.
    MixedTaggingStyles,
    /// A `:` but no `|` after it.
    NotEnoughPartsAfterColon,
    /// Packed values (`a:1:2|c`) with a type other than `ms`, `h` or `d`.
    InvalidExtendedAggregateType,
    /// Fewer than 2 or more than 6 `|`-separated components, or an empty one.
    MalformedComponent,
    /// The value is not a number.
    MalformedValue,
    /// An unparsable `@rate`, or (statsd_exporter's misnomer) an unknown field.
    InvalidSampleFactor,
    /// A field starting with `c` that is not `c:<id>`.
    MalformedContainerId,
    /// An unknown metric type such as `x` or `C`.
    IllegalEvent,
    /// Strict DogStatsD mode: a `T` timestamp that is not a positive integer.
    MalformedTimestamp,
    /// A DogStatsD event (`_e{…}`) whose header, lengths or body are wrong.
    MalformedEvent,
    /// A DogStatsD service check (`_sc|…`) without a name or with a bad status.
    MalformedServiceCheck,
}

impl ErrorKind {
    /// Every reason, in declaration order (useful to pre-create counters).
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::MalformedLine,
        ErrorKind::MixedTaggingStyles,
        ErrorKind::NotEnoughPartsAfterColon,
        ErrorKind::InvalidExtendedAggregateType,
        ErrorKind::MalformedComponent,
        ErrorKind::MalformedValue,
        ErrorKind::InvalidSampleFactor,
        ErrorKind::MalformedContainerId,
        ErrorKind::IllegalEvent,
        ErrorKind::MalformedTimestamp,
        ErrorKind::MalformedEvent,
        ErrorKind::MalformedServiceCheck,
    ];

    /// The reason label, exactly as statsd_exporter spells it.
    ///
    /// ```
    /// use statsd_proto::ErrorKind;
    /// assert_eq!(ErrorKind::InvalidSampleFactor.as_str(), "invalid_sample_factor");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::MalformedLine => "malformed_line",
            ErrorKind::MixedTaggingStyles => "mixed_tagging_styles",
            ErrorKind::NotEnoughPartsAfterColon => "not_enough_parts_after_colon",
            ErrorKind::InvalidExtendedAggregateType => "invalid_extended_aggregate_type",
            ErrorKind::MalformedComponent => "malformed_component",
            ErrorKind::MalformedValue => "malformed_value",
            ErrorKind::InvalidSampleFactor => "invalid_sample_factor",
            ErrorKind::MalformedContainerId => "malformed_container_id",
            ErrorKind::IllegalEvent => "illegal_event",
            ErrorKind::MalformedTimestamp => "malformed_timestamp",
            ErrorKind::MalformedEvent => "malformed_event",
            ErrorKind::MalformedServiceCheck => "malformed_service_check",
        }
    }

    /// Reads a reason back from its label (the inverse of [`ErrorKind::as_str`]).
    pub fn from_label(label: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == label)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse error: the reason and the byte offset where the problem was found.
///
/// The offset counts from the start of the buffer handed to the entry point
/// ([`Parser::packet`](crate::Parser::packet) reports offsets into the whole packet,
/// [`Parser::parse_line`](crate::Parser::parse_line) into the line).
///
/// Unlike most opaque error types this one is not boxed: it is 8 bytes and `Copy`,
/// because garbage traffic produces errors on the hot path and must not turn into
/// allocator pressure.
///
/// ```
/// use statsd_proto::{ErrorKind, Parser};
///
/// let err = Parser::new().parse_line(b"foo,a=b:1|c|#c:d").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::MixedTaggingStyles, 11));
/// assert_eq!(err.to_string(), "mixed_tagging_styles at byte 11");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    tag_errors: u16,
    offset: u32,
}

impl Error {
    #[inline]
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Error {
        Error {
            kind,
            tag_errors: 0,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
        }
    }

    /// Records the tag errors statsd_exporter counted before rejecting the line.
    #[inline]
    pub(crate) fn with_tag_errors(mut self, n: u32) -> Error {
        self.tag_errors = u16::try_from(n).unwrap_or(u16::MAX);
        self
    }

    /// Moves the offset by `base` bytes (line offsets → packet offsets).
    #[inline]
    pub(crate) fn shifted(self, base: usize) -> Error {
        Error::new(self.kind, (self.offset as usize).saturating_add(base))
            .with_tag_errors(u32::from(self.tag_errors))
    }

    /// The reason.
    #[inline]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Tag errors statsd_exporter counts for a rejected line: name-embedded tags are
    /// parsed (and their errors counted in `statsd_exporter_tag_errors_total`) before the
    /// `mixed_tagging_styles`, `not_enough_parts_after_colon` and
    /// `invalid_extended_aggregate_type` checks reject the line. Zero otherwise.
    ///
    /// ```
    /// use statsd_proto::{ErrorKind, Parser};
    /// let err = Parser::new().parse_line(b"foo,=x,a:1").unwrap_err();
    /// assert_eq!((err.kind(), err.tag_errors()), (ErrorKind::NotEnoughPartsAfterColon, 2));
    /// ```
    #[inline]
    pub fn tag_errors(&self) -> u32 {
        u32::from(self.tag_errors)
    }

    /// The byte offset of the problem (saturates at `u32::MAX`).
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset as usize
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for Error {}
