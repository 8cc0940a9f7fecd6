//! Packets (datagrams or stream chunks) and the line dispatcher.

use memchr::memchr;

use crate::error::Error;
use crate::event::{Event, ServiceCheck};
use crate::metric::Metric;
use crate::options::Parser;
use crate::simd::{WIDTH, block_at, eq_masks, last_block};

/// One parsed line: a metric, a DogStatsD event or a DogStatsD service check.
// Not boxed: boxing would allocate for every line.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item<'a> {
    /// `name:value|type…`
    Metric(Metric<'a>),
    /// `_e{…}:title|text…`
    Event(Event<'a>),
    /// `_sc|name|status…`
    ServiceCheck(ServiceCheck<'a>),
}

impl<'a> Item<'a> {
    /// The line the item was parsed from.
    pub fn line(&self) -> &'a [u8] {
        match self {
            Item::Metric(m) => m.line(),
            Item::Event(e) => e.line(),
            Item::ServiceCheck(s) => s.line(),
        }
    }

    /// The metric, if this is one.
    pub fn as_metric(&self) -> Option<&Metric<'a>> {
        match self {
            Item::Metric(m) => Some(m),
            _ => None,
        }
    }
}

impl Parser {
    /// Parses one line of any kind. One trailing `\r` is removed as part of the line
    /// end (`\r\n`); a second one belongs to the content (`a:1|c\r\r` has type `c\r`,
    /// a bad sample), the same inside a packet (see [`Parser::packet`]).
    ///
    /// With events enabled (the default), a line starting `_e{` is an event and one
    /// starting `_sc|` a service check; anything else is a metric line.
    ///
    /// # Errors
    /// See [`Parser::parse_metric`], [`Parser::parse_event`] and
    /// [`Parser::parse_service_check`]. An empty line is `malformed_line` here (packets
    /// skip empty lines before parsing).
    ///
    /// ```
    /// use statsd_proto::{Item, Parser};
    ///
    /// let parser = Parser::new();
    /// assert!(matches!(parser.parse_line(b"foo:1|c"), Ok(Item::Metric(_))));
    /// assert!(matches!(parser.parse_line(b"_sc|db|0"), Ok(Item::ServiceCheck(_))));
    /// ```
    #[inline]
    pub fn parse_line<'a>(&self, line: &'a [u8]) -> Result<Item<'a>, Error> {
        if self.events && line.first() == Some(&b'_') {
            if line.starts_with(b"_e{") {
                return self.parse_event(line).map(Item::Event);
            }
            if line.starts_with(b"_sc|") {
                return self.parse_service_check(line).map(Item::ServiceCheck);
            }
        }
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        self.metric(line, Item::Metric)
    }

    /// Iterates over the lines of a packet: split on `\n`, each line parsed by
    /// [`Parser::parse_line`] (which removes one trailing `\r`, so `\r\n` ends work),
    /// empty lines (and lines that are only `\r`) skipped. Every line parses exactly
    /// as it would alone. A bad line yields an `Err` and the next line is parsed as
    /// usual. Error offsets count from the start of the packet.
    ///
    /// ```
    /// use statsd_proto::{ErrorKind, Parser};
    ///
    /// let packet = b"a:1|c\r\nbroken\n\nb:2|g\n";
    /// let results: Vec<_> = Parser::new().packet(packet).collect();
    /// assert_eq!(results.len(), 3);
    /// let err = results[1].as_ref().unwrap_err();
    /// assert_eq!((err.kind(), err.offset()), (ErrorKind::MalformedLine, 13));
    /// assert!(results[2].is_ok());
    /// ```
    pub fn packet<'a>(&self, packet: &'a [u8]) -> Packet<'a> {
        Packet {
            rest: packet,
            offset: 0,
            parser: *self,
        }
    }
}

/// The number of lines statsd_exporter counts in `statsd_exporter_lines_total` for a
/// UDP or unixgram packet: every `\n`-separated piece, including empty ones and the
/// empty piece after a trailing `\n`.
///
/// ```
/// assert_eq!(statsd_proto::line_count(b"a:1|c\nb:2|c\n"), 3);
/// assert_eq!(statsd_proto::line_count(b""), 1);
/// ```
pub fn line_count(packet: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', packet).count() + 1
}

/// Iterator over the items of a packet, created by [`Parser::packet`].
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    rest: &'a [u8],
    offset: usize,
    parser: Parser,
}

impl<'a> Packet<'a> {
    /// The next non-empty line and its offset in the packet, without parsing it.
    ///
    /// The line is returned without its `\n` but with the `\r` of a `\r\n` end, ready
    /// for [`Parser::parse_line`] (which removes one trailing `\r`). A line that is
    /// only `\r` counts as empty and is skipped.
    ///
    /// ```
    /// let mut lines = statsd_proto::Parser::new().packet(b"a:1|c\r\n\r\nb:2|g");
    /// assert_eq!(lines.next_line(), Some((0, &b"a:1|c\r"[..])));
    /// assert_eq!(lines.next_line(), Some((9, &b"b:2|g"[..])));
    /// assert_eq!(lines.next_line(), None);
    /// ```
    pub fn next_line(&mut self) -> Option<(usize, &'a [u8])> {
        while !self.rest.is_empty() {
            let at = self.offset;
            let line = match find_line_end(self.rest) {
                Some(i) => {
                    let line = &self.rest[..i];
                    self.rest = &self.rest[i + 1..];
                    self.offset += i + 1;
                    line
                }
                None => {
                    let line = self.rest;
                    self.offset += line.len();
                    self.rest = &[];
                    line
                }
            };
            // The `\r` of a `\r\n` end stays: `parse_line` removes exactly one, so a
            // line parses the same inside a packet as alone (stripping it here too would
            // remove a second `\r` that belongs to the content).
            if !matches!(line, [] | [b'\r']) {
                return Some((at, line));
            }
        }
        None
    }
}

/// The offset of the first `\n` in `s`: where [`Packet`] ends a line.
///
/// Tuned for StatsD lines, which are short: it looks 16 bytes a step over the first
/// 128 bytes (SSE2 on x86-64), where nearly every line ends and memchr's per-call
/// dispatch would cost more than the whole search, then hands the rest to memchr,
/// which is faster on a long run. For a caller that splits packets itself (as
/// statsd-exporter-core's pipeline does, to count every piece in the same walk).
///
/// ```
/// assert_eq!(statsd_proto::find_line_end(b"a:1|c\nb:2|c"), Some(5));
/// assert_eq!(statsd_proto::find_line_end(b"a:1|c"), None);
/// ```
#[inline(always)]
pub fn find_line_end(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < SHORT_LINE {
        let Some(b) = block_at(s, i) else {
            // The last 0–15 bytes of the packet (see `last_block`).
            if i >= s.len() {
                return None;
            }
            let (b, skip) = last_block(s, i);
            let [m] = eq_masks(&b, [b'\n']);
            let m = m >> skip;
            return (m != 0).then(|| i + m.trailing_zeros() as usize);
        };
        let [m] = eq_masks(b, [b'\n']);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += WIDTH;
    }
    memchr(b'\n', &s[i..]).map(|p| i + p)
}

/// How far [`find_line_end`] looks 16 bytes a step before it calls memchr.
const SHORT_LINE: usize = 8 * WIDTH;

impl<'a> Iterator for Packet<'a> {
    type Item = Result<crate::Item<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (at, line) = self.next_line()?;
        let parser = &self.parser;
        if parser.events && line.first() == Some(&b'_') {
            return Some(match parser.parse_line(line) {
                Ok(Item::Metric(mut m)) => {
                    m.set_offset(at);
                    Ok(Item::Metric(m))
                }
                Ok(item) => Ok(item),
                Err(e) => Err(e.shifted(at)),
            });
        }
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        // The metric is built with its offset in place (no second move to set it).
        Some(
            parser
                .metric(line, |mut m| {
                    m.set_offset(at);
                    Item::Metric(m)
                })
                .map_err(|e| e.shifted(at)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_line_end_like_position() {
        // Packets from empty to past the block loop's reach, with the `\n` (if any) at
        // every position: in a whole block, in the last 1–15 bytes, past 128 bytes.
        for len in 0..=300 {
            for nl in (0..len).map(Some).chain([None]) {
                let mut s = vec![b'a'; len];
                if let Some(at) = nl {
                    s[at] = b'\n';
                    // A second one later changes nothing.
                    if at + 20 < len {
                        s[at + 20] = b'\n';
                    }
                }
                assert_eq!(find_line_end(&s), nl, "len {len}");
            }
        }
    }
}
