//! A readable nom reference parser for strict DogStatsD metric lines.
//!
//! This is the metric-line grammar of [`Parser::dogstatsd`](crate::Parser::dogstatsd)
//! written as nom combinators, one rule per grammar element, allocating freely. It
//! exists to check the hand-tuned fast path: the integration tests run the data
//! tables and a proptest through both and require identical results, and the
//! instruction-count driver measures it (`callgrind_parse <shape> <n> reference`) to
//! show what the combinator structure costs on the hot path (see the crate docs,
//! "Performance"). Not part of the stable API.
//!
//! ```text
//! line    = name ":" values "|" type *("|" field)
//! name    = 1*(any byte but ":")
//! values  = value *(":" value)          ; empty values skipped; a set takes all of it
//! type    = "c" / "g" / "ms" / "h" / "d" / "s"
//! field   = "@" rate / "T" timestamp / "#" tags / "c:" id / "e:" data / "card:" card / other
//! tags    = tag *("," tag)              ; each tag may start with "#"; empty ones skipped
//! tag     = key [":" value]             ; key not empty; no ":" is a valueless tag
//! ```

use nom::bytes::complete::{tag, take_till};
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt, rest};
use nom::multi::{many0, separated_list0};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser as _};

use crate::error::ErrorKind;
use crate::kind::MetricType;
use crate::number::{parse_f64, parse_u64};

/// One sample: raw text, value (`NaN` for a set member that is not a number), type,
/// rate and timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct RefSample<'a> {
    /// The value as sent.
    pub raw: &'a [u8],
    /// The value.
    pub value: f64,
    /// The type.
    pub kind: MetricType,
    /// The sample rate (1 when absent or 0).
    pub rate: f64,
    /// The `T` timestamp.
    pub timestamp: Option<u64>,
}

/// A parsed metric line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefMetric<'a> {
    /// The name.
    pub name: &'a [u8],
    /// The samples, in order.
    pub samples: Vec<RefSample<'a>>,
    /// The tags, in order (`None`: a valueless tag).
    pub tags: Vec<(&'a [u8], Option<&'a [u8]>)>,
    /// `|c:` (last wins).
    pub container_id: Option<&'a [u8]>,
    /// `|e:` (last wins).
    pub external_data: Option<&'a [u8]>,
    /// `|card:` (last wins).
    pub cardinality: Option<&'a [u8]>,
}

type Res<'a, T> = IResult<&'a [u8], T>;

/// `name ":"`
fn name(input: &[u8]) -> Res<'_, &[u8]> {
    terminated(take_till(|b| b == b':'), char(':')).parse(input)
}

/// Text up to the next `|`.
fn until_pipe(input: &[u8]) -> Res<'_, &[u8]> {
    take_till(|b| b == b'|').parse(input)
}

/// `*("|" field)`
fn fields(input: &[u8]) -> Res<'_, Vec<&[u8]>> {
    all_consuming(many0(preceded(char('|'), until_pipe))).parse(input)
}

/// `tag *("," tag)` as raw items.
fn tag_items(input: &[u8]) -> Res<'_, Vec<&[u8]>> {
    separated_list0(char(','), take_till(|b| b == b',')).parse(input)
}

/// `key [":" value]`, the leading `#` removed.
fn one_tag(input: &[u8]) -> Res<'_, (&[u8], Option<&[u8]>)> {
    (
        preceded(opt(char('#')), take_till(|b| b == b':')),
        opt(preceded(char(':'), rest)),
    )
        .parse(input)
}

/// Parses a metric line like `Parser::dogstatsd().parse_metric` (a trailing `\r`
/// removed). `Err` is the line error and its offset.
///
/// # Errors
/// The kind and offset the fast parser reports for the same line.
pub fn parse_metric(line: &[u8]) -> Result<RefMetric<'_>, (ErrorKind, usize)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok((after_name, name)) = name(line) else {
        return Err((ErrorKind::MalformedLine, line.len()));
    };
    if name.is_empty() {
        return Err((ErrorKind::MalformedLine, 0));
    }
    let rest_at = name.len() + 1;
    let Ok((after_values, values)) = terminated(until_pipe, char('|')).parse(after_name) else {
        return Err((ErrorKind::NotEnoughPartsAfterColon, line.len()));
    };
    let kind_at = rest_at + values.len() + 1;
    let Ok((field_text, kind_text)) = until_pipe(after_values) else {
        unreachable!("take_till never fails on complete input")
    };
    let Some(kind) = MetricType::from_bytes(kind_text) else {
        return Err((ErrorKind::IllegalEvent, kind_at));
    };
    let Ok((_, fields)) = fields(field_text) else {
        unreachable!("every field starts with `|`")
    };
    let mut metric = RefMetric {
        name,
        ..RefMetric::default()
    };
    let (mut rate, mut timestamp) = (1.0, None);
    let mut at = kind_at + kind_text.len();
    for field in fields {
        at += 1; // the `|`
        if let Ok((r, _)) = tag::<_, _, nom::error::Error<&[u8]>>(&b"@"[..]).parse(field) {
            match parse_f64(r) {
                Some(r) => rate = if r == 0.0 { 1.0 } else { r },
                None => return Err((ErrorKind::InvalidSampleFactor, at)),
            }
        } else if let Some(t) = field.strip_prefix(b"T") {
            match parse_u64(t) {
                Some(t) if t > 0 => timestamp = Some(t),
                _ => return Err((ErrorKind::MalformedTimestamp, at)),
            }
        } else if let Some(list) = field.strip_prefix(b"#") {
            let Ok((_, items)) = tag_items(list) else {
                unreachable!("separated_list0 of take_till always matches")
            };
            for item in items {
                let Ok((_, (key, value))) = one_tag(item) else {
                    unreachable!("both parts are optional")
                };
                if !key.is_empty() {
                    metric.tags.push((key, value));
                }
            }
        } else if let Some(id) = field.strip_prefix(b"c:") {
            metric.container_id = Some(id);
        } else if let Some(data) = field.strip_prefix(b"e:") {
            metric.external_data = Some(data);
        } else if let Some(card) = field.strip_prefix(b"card:") {
            metric.cardinality = Some(card);
        }
        at += field.len();
    }
    let sample = |raw, value| RefSample {
        raw,
        value,
        kind,
        rate,
        timestamp,
    };
    if kind == MetricType::Set {
        if values.is_empty() {
            return Err((ErrorKind::MalformedValue, rest_at));
        }
        metric
            .samples
            .push(sample(values, parse_f64(values).unwrap_or(f64::NAN)));
    } else {
        let Ok((_, items)) = separated_list0(
            char::<_, nom::error::Error<&[u8]>>(':'),
            take_till(|b| b == b':'),
        )
        .parse(values) else {
            unreachable!("separated_list0 of take_till always matches")
        };
        let mut at = rest_at;
        for raw in items {
            if !raw.is_empty() {
                match parse_f64(raw) {
                    Some(v) => metric.samples.push(sample(raw, v)),
                    None => return Err((ErrorKind::MalformedValue, at)),
                }
            }
            at += raw.len() + 1;
        }
        if metric.samples.is_empty() {
            return Err((ErrorKind::MalformedValue, rest_at));
        }
    }
    Ok(metric)
}
