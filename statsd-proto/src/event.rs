//! DogStatsD events (`_e{…}`) and service checks (`_sc|…`).

use std::borrow::Cow;

use nom::bytes::complete::{tag, take, take_till};
use nom::character::complete::{char, digit1};
use nom::combinator::{all_consuming, map_opt, opt};
use nom::sequence::{preceded, separated_pair};
use nom::{IResult, Parser as _};

use crate::error::{Error, ErrorKind};
use crate::number::{parse_i64, parse_u64};
use crate::options::Parser;
use crate::tags::{Tags, memchr_small};

/// Event priority (`|p:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Priority {
    /// `normal` (the default).
    #[default]
    Normal,
    /// `low`.
    Low,
}

impl Priority {
    /// Reads `normal` or `low`.
    pub fn from_bytes(text: &[u8]) -> Option<Priority> {
        match text {
            b"normal" => Some(Priority::Normal),
            b"low" => Some(Priority::Low),
            _ => None,
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

/// Event alert type (`|t:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AlertType {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `info` (the default).
    #[default]
    Info,
    /// `success`.
    Success,
}

impl AlertType {
    /// Reads `error`, `warning`, `info` or `success`.
    pub fn from_bytes(text: &[u8]) -> Option<AlertType> {
        match text {
            b"error" => Some(AlertType::Error),
            b"warning" => Some(AlertType::Warning),
            b"info" => Some(AlertType::Info),
            b"success" => Some(AlertType::Success),
            _ => None,
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::Error => "error",
            AlertType::Warning => "warning",
            AlertType::Info => "info",
            AlertType::Success => "success",
        }
    }
}

/// Fields that events and service checks share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Common<'a> {
    timestamp: Option<i64>,
    hostname: Option<&'a [u8]>,
    container_id: Option<&'a [u8]>,
    external_data: Option<&'a [u8]>,
    cardinality: Option<&'a [u8]>,
}

impl<'a> Common<'a> {
    /// Takes a shared field; false when the field is not one of them.
    fn take(&mut self, field: &'a [u8]) -> bool {
        match field {
            // A bad timestamp is ignored and the item kept, as the Agent does.
            [b'd', b':', ts @ ..] => self.timestamp = parse_i64(ts).or(self.timestamp),
            [b'h', b':', host @ ..] => self.hostname = Some(host),
            [b'c', b':', id @ ..] => self.container_id = Some(id),
            [b'e', b':', data @ ..] => self.external_data = Some(data),
            [b'c', b'a', b'r', b'd', b':', card @ ..] => self.cardinality = Some(card),
            [b'#', ..] => {}
            _ => return false,
        }
        true
    }
}

/// Replaces the two bytes `\n` (backslash, n) with a newline, as the Agent does.
fn unescape(text: &[u8]) -> Cow<'_, [u8]> {
    if !text.windows(2).any(|w| w == b"\\n") {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' && text.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// A DogStatsD event: `_e{<title len>,<text len>}:<title>|<text>[|field…]`.
///
/// ```
/// use statsd_proto::{AlertType, Parser};
///
/// let e = Parser::new().parse_event(b"_e{6,8}:Deploy|v1.2\\nok|t:success|#env:prod").unwrap();
/// assert_eq!(e.title(), b"Deploy");
/// assert_eq!(e.text(), br"v1.2\nok");
/// assert_eq!(&*e.text_unescaped(), b"v1.2\nok");
/// assert_eq!(e.alert_type(), Some(AlertType::Success));
/// assert_eq!(e.tags().count(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    line: &'a [u8],
    title: &'a [u8],
    text: &'a [u8],
    fields: &'a [u8],
    common: Common<'a>,
    aggregation_key: Option<&'a [u8]>,
    priority: Option<Priority>,
    source_type: Option<&'a [u8]>,
    alert_type: Option<AlertType>,
    dogstatsd_tags: bool,
}

impl<'a> Event<'a> {
    /// The whole line.
    pub fn line(&self) -> &'a [u8] {
        self.line
    }
    /// The title (never empty).
    pub fn title(&self) -> &'a [u8] {
        self.title
    }
    /// The text as sent (a literal `\n` is two bytes here).
    pub fn text(&self) -> &'a [u8] {
        self.text
    }
    /// The text with `\n` turned into newlines (allocates only when there is one).
    pub fn text_unescaped(&self) -> Cow<'a, [u8]> {
        unescape(self.text)
    }
    /// `d:` Unix timestamp. An unparsable one is ignored, as the Agent does.
    pub fn timestamp(&self) -> Option<i64> {
        self.common.timestamp
    }
    /// `h:` hostname.
    pub fn hostname(&self) -> Option<&'a [u8]> {
        self.common.hostname
    }
    /// `k:` aggregation key.
    pub fn aggregation_key(&self) -> Option<&'a [u8]> {
        self.aggregation_key
    }
    /// `p:` priority; `None` when absent or unknown (the Agent then uses `normal`).
    pub fn priority(&self) -> Option<Priority> {
        self.priority
    }
    /// `s:` source type name.
    pub fn source_type(&self) -> Option<&'a [u8]> {
        self.source_type
    }
    /// `t:` alert type; `None` when absent or unknown (the Agent then uses `info`).
    pub fn alert_type(&self) -> Option<AlertType> {
        self.alert_type
    }
    /// `c:` container id.
    pub fn container_id(&self) -> Option<&'a [u8]> {
        self.common.container_id
    }
    /// `e:` external data.
    pub fn external_data(&self) -> Option<&'a [u8]> {
        self.common.external_data
    }
    /// `card:` cardinality, raw.
    pub fn cardinality(&self) -> Option<&'a [u8]> {
        self.common.cardinality
    }
    /// The `|#` tags (DogStatsD rules: valueless tags are tags with no value).
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(&[], self.fields, self.dogstatsd_tags, false, true)
    }
}

/// Service check status (`0`–`3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceCheckStatus {
    /// `0`
    Ok,
    /// `1`
    Warning,
    /// `2`
    Critical,
    /// `3`
    Unknown,
}

impl ServiceCheckStatus {
    /// The status for its wire digit.
    pub fn from_bytes(text: &[u8]) -> Option<ServiceCheckStatus> {
        match text {
            b"0" => Some(ServiceCheckStatus::Ok),
            b"1" => Some(ServiceCheckStatus::Warning),
            b"2" => Some(ServiceCheckStatus::Critical),
            b"3" => Some(ServiceCheckStatus::Unknown),
            _ => None,
        }
    }

    /// The wire digit.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCheckStatus::Ok => "0",
            ServiceCheckStatus::Warning => "1",
            ServiceCheckStatus::Critical => "2",
            ServiceCheckStatus::Unknown => "3",
        }
    }
}

/// A DogStatsD service check: `_sc|<name>|<status>[|field…]`.
///
/// `m:<message>` is read to the end of the line, so a message may contain `|` (the
/// DogStatsD docs require `m:` to come last for that reason).
///
/// ```
/// use statsd_proto::{Parser, ServiceCheckStatus};
///
/// let sc = Parser::new().parse_service_check(b"_sc|db.up|2|h:db1|#env:prod|m:timeout | retrying").unwrap();
/// assert_eq!(sc.name(), b"db.up");
/// assert_eq!(sc.status(), ServiceCheckStatus::Critical);
/// assert_eq!(sc.message(), Some(&b"timeout | retrying"[..]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceCheck<'a> {
    line: &'a [u8],
    name: &'a [u8],
    status: ServiceCheckStatus,
    fields: &'a [u8],
    common: Common<'a>,
    message: Option<&'a [u8]>,
    dogstatsd_tags: bool,
}

impl<'a> ServiceCheck<'a> {
    /// The whole line.
    pub fn line(&self) -> &'a [u8] {
        self.line
    }
    /// The check name (never empty).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }
    /// The status.
    pub fn status(&self) -> ServiceCheckStatus {
        self.status
    }
    /// `d:` Unix timestamp. An unparsable one is ignored, as the Agent does.
    pub fn timestamp(&self) -> Option<i64> {
        self.common.timestamp
    }
    /// `h:` hostname.
    pub fn hostname(&self) -> Option<&'a [u8]> {
        self.common.hostname
    }
    /// `m:` message as sent.
    pub fn message(&self) -> Option<&'a [u8]> {
        self.message
    }
    /// The message with `\n` turned into newlines.
    pub fn message_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.message.map(unescape)
    }
    /// `c:` container id.
    pub fn container_id(&self) -> Option<&'a [u8]> {
        self.common.container_id
    }
    /// `e:` external data.
    pub fn external_data(&self) -> Option<&'a [u8]> {
        self.common.external_data
    }
    /// `card:` cardinality, raw.
    pub fn cardinality(&self) -> Option<&'a [u8]> {
        self.common.cardinality
    }
    /// The `|#` tags (DogStatsD rules: valueless tags are tags with no value).
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(&[], self.fields, self.dogstatsd_tags, false, true)
    }
}

/// nom's error type on byte input (only "where" matters: offsets are ours).
type NomError<'a> = nom::error::Error<&'a [u8]>;

/// One event length: decimal digits that fit a `usize`.
fn length(input: &[u8]) -> IResult<&[u8], usize> {
    map_opt(digit1, |d: &[u8]| {
        parse_u64(d).and_then(|n| usize::try_from(n).ok())
    })
    .parse(input)
}

/// Splits at the first `|` (or the end): `(from the pipe on, before it)`.
fn until_pipe(input: &[u8]) -> (&[u8], &[u8]) {
    take_till::<_, _, NomError<'_>>(|b| b == b'|')
        .parse(input)
        .unwrap_or((&[], input))
}

/// Skips one leading `|`, if any.
fn opt_pipe(input: &[u8]) -> &[u8] {
    opt(tag::<_, _, NomError<'_>>(&b"|"[..]))
        .parse(input)
        .map_or(input, |(rest, _)| rest)
}

fn strip_cr(line: &[u8]) -> &[u8] {
    match line {
        [rest @ .., b'\r'] => rest,
        _ => line,
    }
}

/// In statsd_exporter mode every line must be UTF-8, events included.
fn check_utf8(parser: &Parser, text: &[u8], at: usize, kind: ErrorKind) -> Result<(), Error> {
    if !parser.strict()
        && !text.is_ascii()
        && let Err(e) = core::str::from_utf8(text)
    {
        return Err(Error::new(kind, at + e.valid_up_to()));
    }
    Ok(())
}

impl Parser {
    /// Parses a DogStatsD event line (a trailing `\r` is removed).
    ///
    /// Lengths are UTF-8 byte counts; the title must be non-empty, the text may be
    /// empty, and the byte after the title must be `|`. A bad optional field (say
    /// `p:urgent` or `d:x`) is ignored and the event kept, like the Agent does.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedEvent`] for a bad header, lengths that do not fit the line,
    /// a missing `|` after the title or text, or (statsd_exporter mode) invalid UTF-8,
    /// including a length that splits a character.
    pub fn parse_event<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, Error> {
        let line = strip_cr(line);
        let bad = |at: usize| Err(Error::new(ErrorKind::MalformedEvent, at));
        // The header `_e{<title len>,<text len>}:`, step by step: each step fails at
        // its own offset (pinned by tests/data/events.txt).
        let Ok((header, _)) = tag::<_, _, NomError<'_>>(&b"_e{"[..]).parse(line) else {
            return bad(0);
        };
        let Ok((after_lengths, lengths)) =
            take_till::<_, _, NomError<'_>>(|b| b == b'}').parse(header)
        else {
            unreachable!("take_till never fails on complete input")
        };
        if after_lengths.is_empty() {
            return bad(line.len());
        }
        let close = lengths.len();
        let Ok((body, _)) = tag::<_, _, NomError<'_>>(&b"}:"[..]).parse(after_lengths) else {
            return bad(3 + close + 1);
        };
        let Ok((_, (title_len, text_len))) =
            all_consuming(separated_pair(length, char(','), length)).parse(lengths)
        else {
            return bad(3);
        };
        if title_len == 0 {
            return bad(3);
        }
        let body_at = 3 + close + 2;
        let Some(needed) = title_len
            .checked_add(1)
            .and_then(|n| n.checked_add(text_len))
        else {
            return bad(3);
        };
        // `<title>|<text>` of exactly the announced lengths, then `|fields` or nothing.
        let Ok((fields, (title, text))) = (
            take::<_, _, NomError<'_>>(title_len),
            preceded(char('|'), take(text_len)),
        )
            .parse(body)
        else {
            return if body.len() < needed {
                bad(line.len())
            } else {
                bad(body_at + title_len)
            };
        };
        if !fields.is_empty() && fields[0] != b'|' {
            return bad(body_at + needed);
        }
        check_utf8(self, title, body_at, ErrorKind::MalformedEvent)?;
        check_utf8(
            self,
            text,
            body_at + title_len + 1,
            ErrorKind::MalformedEvent,
        )?;
        check_utf8(self, fields, body_at + needed, ErrorKind::MalformedEvent)?;
        let mut event = Event {
            line,
            title,
            text,
            fields,
            common: Common::default(),
            aggregation_key: None,
            priority: None,
            source_type: None,
            alert_type: None,
            dogstatsd_tags: self.dogstatsd_tags,
        };
        for field in fields.split(|&b| b == b'|') {
            if event.common.take(field) {
                continue;
            }
            match field {
                [b'k', b':', key @ ..] => event.aggregation_key = Some(key),
                [b'p', b':', p @ ..] => event.priority = Priority::from_bytes(p),
                [b's', b':', s @ ..] => event.source_type = Some(s),
                [b't', b':', t @ ..] => event.alert_type = AlertType::from_bytes(t),
                _ => {} // unknown fields are ignored (DogStatsD rule)
            }
        }
        Ok(event)
    }

    /// Parses a DogStatsD service check line (a trailing `\r` is removed).
    ///
    /// # Errors
    /// [`ErrorKind::MalformedServiceCheck`] for a missing prefix, an empty name, a status
    /// other than `0`–`3`, or (statsd_exporter mode) invalid UTF-8.
    pub fn parse_service_check<'a>(&self, line: &'a [u8]) -> Result<ServiceCheck<'a>, Error> {
        let line = strip_cr(line);
        let bad = |at: usize| Err(Error::new(ErrorKind::MalformedServiceCheck, at));
        let Ok((rest, _)) = tag::<_, _, NomError<'_>>(&b"_sc|"[..]).parse(line) else {
            return bad(0);
        };
        check_utf8(self, line, 0, ErrorKind::MalformedServiceCheck)?;
        // `<name>|<status>[|fields…]`; the name may not be empty.
        let (after_name, name) = until_pipe(rest);
        if name.is_empty() {
            return bad(4);
        }
        let after = opt_pipe(after_name);
        let status_at = 4 + name.len() + 1;
        let (mut fields, status) = until_pipe(after);
        let Some(status) = ServiceCheckStatus::from_bytes(status) else {
            return bad(status_at.min(line.len()));
        };
        // `m:` runs to the end of the line: the fields before it are the rest.
        let mut message = None;
        let mut pos = 0;
        while let Some(i) = memchr_small(b'|', &fields[pos..]) {
            let at = pos + i;
            if let Ok((msg, _)) = tag::<_, _, NomError<'_>>(&b"|m:"[..]).parse(&fields[at..]) {
                message = Some(msg);
                fields = &fields[..at];
                break;
            }
            pos = at + 1;
        }
        let mut check = ServiceCheck {
            line,
            name,
            status,
            fields,
            common: Common::default(),
            message,
            dogstatsd_tags: self.dogstatsd_tags,
        };
        for field in fields.split(|&b| b == b'|') {
            check.common.take(field); // unknown fields are ignored
        }
        Ok(check)
    }
}
