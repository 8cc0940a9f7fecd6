//! DogStatsD events (`_e{…}`) and service checks (`_sc|…`).

use std::borrow::Cow;

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
        let Some(header) = line.strip_prefix(b"_e{") else {
            return bad(0);
        };
        let Some(close) = memchr_small(b'}', header) else {
            return bad(line.len());
        };
        if header.get(close + 1) != Some(&b':') {
            return bad(3 + close + 1);
        }
        let lengths = &header[..close];
        let Some(comma) = memchr_small(b',', lengths) else {
            return bad(3);
        };
        let (Some(title_len), Some(text_len)) = (
            parse_u64(&lengths[..comma]).and_then(|n| usize::try_from(n).ok()),
            parse_u64(&lengths[comma + 1..]).and_then(|n| usize::try_from(n).ok()),
        ) else {
            return bad(3);
        };
        if title_len == 0 {
            return bad(3);
        }
        let body_at = 3 + close + 2;
        let body = &line[body_at..];
        let Some(needed) = title_len
            .checked_add(1)
            .and_then(|n| n.checked_add(text_len))
        else {
            return bad(3);
        };
        if body.len() < needed {
            return bad(line.len());
        }
        if body[title_len] != b'|' {
            return bad(body_at + title_len);
        }
        let title = &body[..title_len];
        let text = &body[title_len + 1..needed];
        let fields = &body[needed..];
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
        let Some(rest) = line.strip_prefix(b"_sc|") else {
            return bad(0);
        };
        check_utf8(self, line, 0, ErrorKind::MalformedServiceCheck)?;
        let name_end = memchr_small(b'|', rest).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return bad(4);
        }
        let after = rest.get(name_end + 1..).unwrap_or(&[]);
        let status_end = memchr_small(b'|', after).unwrap_or(after.len());
        let status_at = 4 + name_end + 1;
        let Some(status) = ServiceCheckStatus::from_bytes(&after[..status_end]) else {
            return bad(status_at.min(line.len()));
        };
        let mut fields = &after[status_end..];
        let mut message = None;
        // `m:` runs to the end of the line.
        let mut pos = 0;
        while let Some(i) = memchr_small(b'|', &fields[pos..]) {
            let at = pos + i;
            if fields[at + 1..].starts_with(b"m:") {
                message = Some(&fields[at + 3..]);
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
