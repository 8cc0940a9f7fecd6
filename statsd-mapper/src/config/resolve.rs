//! From the raw YAML shape to compiled rules: defaulting and validation in the order of
//! statsd_exporter's `InitFromYAMLString` (mapper.go), plus warnings.

use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use super::raw::{
    RawConfig, RawDefaults, RawHistogramOptions, RawMapping, RawQuantile, RawSummaryOptions,
};
use super::{Defaults, MapperConfig, next_id, yaml_error};
use crate::duration::parse_go_duration;
use crate::error::{Error, ErrorKind, Position, Warning, WarningKind};
use crate::glob::{self, Component};
use crate::kind::MetricKind;
use crate::options::{
    Action, DEFAULT_AGE_BUCKETS, DEFAULT_BUCKETS, DEFAULT_BUF_CAP, DEFAULT_MAX_AGE,
    DEFAULT_NATIVE_MAX_BUCKETS, DEFAULT_QUANTILES, HistogramOptions, ObserverOptions, ObserverType,
    Quantile, SummaryOptions,
};
use crate::regex::{self as rules_regex, RegexRules};
use crate::rule::{MatchType, Pattern, Rule};
use crate::template::Template;
use crate::trie::Trie;

fn pos(location: Location) -> Position {
    Position::of(location)
}

fn at<T>(spanned: &Spanned<T>) -> Position {
    pos(spanned.referenced)
}

/// The `defaults:` block after defaulting, before client_golang's built-ins.
struct RawResolvedDefaults {
    match_type: MatchType,
    observer_type: Option<ObserverType>,
    ordered: bool,
    ttl: Option<Duration>,
    quantiles: Option<Vec<Quantile>>,
    max_age: Duration,
    age_buckets: u32,
    buf_cap: u32,
    buckets: Option<Vec<f64>>,
    native_factor: f64,
    native_max_buckets: u32,
}

pub(super) fn load(text: &str) -> Result<MapperConfig, Error> {
    let raw: RawConfig = if is_blank_document(text) {
        RawConfig::default()
    } else {
        serde_saphyr::from_str(text).map_err(|err| yaml_error(&err, text))?
    };
    let mut warnings = Vec::new();
    // Every mapping is checked even after an error, so that a config check can report
    // them all (`Error::all`); each wrong block contributes its first error.
    let mut errors = Vec::new();
    let defaults = match resolve_defaults(raw.defaults.as_ref(), &mut warnings) {
        Ok(defaults) => defaults,
        Err(error) => {
            errors.push(error);
            // Check the mappings against statsd_exporter's defaults instead.
            resolve_defaults(None, &mut Vec::new())?
        }
    };
    let mappings = raw.mappings.unwrap_or_default();
    let mut rules = Vec::with_capacity(mappings.len());
    let mut regex_rules = Vec::new();
    for (index, mapping) in mappings.iter().enumerate() {
        match resolve_mapping(index, mapping, &defaults, &mut warnings) {
            Ok((rule, regex)) => {
                if let Some(regex) = regex {
                    regex_rules.push((index as u32, regex, rule.kind));
                }
                rules.push(rule);
            }
            Err(error) => errors.push(error),
        }
    }
    if let Some(error) = Error::collected(errors) {
        return Err(error);
    }
    let mut trie = Trie::new(defaults.ordered);
    for rule in &rules {
        if let Pattern::Glob(pattern) = &rule.pattern {
            trie.insert(rule.index as u32, pattern, rule.kind);
        }
    }
    let first_regex = regex_rules.first().map(|(i, _, _)| *i as usize);
    let regexes = RegexRules::new(next_id(), regex_rules).map_err(|too_large| {
        match too_large.rule.and_then(|r| rules.get(r as usize)) {
            Some(rule) => Error::new(
                ErrorKind::InvalidRegex,
                rule.position,
                &*rule.match_text,
                format!("the regex is too large: {}", too_large.detail),
            ),
            None => Error::new(
                ErrorKind::InvalidRegex,
                rules[first_regex.unwrap_or(0)].position,
                "",
                format!(
                    "the regex rules together are too large: {}",
                    too_large.detail
                ),
            ),
        }
    })?;
    report_unreachable(&rules, &trie, defaults.ordered, &mut warnings);
    warnings.sort_by_key(|w| (w.line(), w.column()));
    let observer = defaults_observer(&defaults);
    Ok(MapperConfig {
        rules,
        trie,
        regexes,
        defaults: Defaults {
            match_type: defaults.match_type,
            ordered: defaults.ordered,
            ttl: defaults.ttl,
            observer,
        },
        warnings,
        file: None,
    })
}

/// Only comments, blank lines and document markers: statsd_exporter loads it as empty.
fn is_blank_document(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

fn deprecated(warnings: &mut Vec<Warning>, position: Position, key: &str, replacement: &str) {
    warnings.push(Warning::new(
        WarningKind::DeprecatedKey,
        position,
        format!("`{key}` was removed in statsd_exporter 0.30; accepted with its old meaning, use `{replacement}` instead"),
    ));
}

fn parse_match_type(value: &Spanned<String>) -> Result<MatchType, Error> {
    match value.value.as_str() {
        "" | "glob" => Ok(MatchType::Glob),
        "regex" => Ok(MatchType::Regex),
        other => Err(Error::new(
            ErrorKind::InvalidMatchType,
            at(value),
            other,
            "expected `glob` or `regex`",
        )),
    }
}

fn parse_observer_type(value: &Spanned<String>) -> Result<ObserverType, Error> {
    match value.value.as_str() {
        "" | "summary" => Ok(ObserverType::Summary),
        "histogram" => Ok(ObserverType::Histogram),
        other => Err(Error::new(
            ErrorKind::InvalidObserverType,
            at(value),
            other,
            "expected `summary` or `histogram`",
        )),
    }
}

fn parse_duration(value: &Spanned<String>) -> Result<crate::duration::Signed, Error> {
    parse_go_duration(value.value.trim()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidDuration,
            at(value),
            value.value.as_str(),
            "expected a Go duration such as `90s`, `1m20s` or `1h`",
        )
    })
}

fn quantiles(list: &[RawQuantile]) -> Vec<Quantile> {
    list.iter()
        .map(|q| Quantile {
            quantile: q.quantile,
            error: q.error,
        })
        .collect()
}

/// The observer type set on a rule or in defaults, including the legacy `timer_type`.
fn observer_type_with_legacy(
    observer_type: Option<&Spanned<String>>,
    timer_type: Option<&Spanned<String>>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<ObserverType>, Error> {
    if let Some(timer_type) = timer_type {
        deprecated(warnings, at(timer_type), "timer_type", "observer_type");
        let legacy = parse_observer_type(timer_type)?;
        if observer_type.is_none() {
            return Ok(Some(legacy));
        }
    }
    observer_type.map(parse_observer_type).transpose()
}

fn resolve_defaults(
    raw: Option<&Spanned<RawDefaults>>,
    warnings: &mut Vec<Warning>,
) -> Result<RawResolvedDefaults, Error> {
    let empty = RawDefaults::default();
    let d = raw.map_or(&empty, |s| &s.value);
    let match_type = d
        .match_type
        .as_ref()
        .map(parse_match_type)
        .transpose()?
        .unwrap_or(MatchType::Glob);
    let observer_type =
        observer_type_with_legacy(d.observer_type.as_ref(), d.timer_type.as_ref(), warnings)?;
    let ttl = d
        .ttl
        .as_ref()
        .map(parse_duration)
        .transpose()?
        .and_then(|t| t.positive());
    let summary = d.summary_options.as_ref().map(|s| &s.value);
    let histogram = d.histogram_options.as_ref().map(|s| &s.value);
    let mut quantile_list = summary.and_then(|s| s.quantiles.as_deref()).map(quantiles);
    if let Some(legacy) = &d.quantiles {
        deprecated(
            warnings,
            at(legacy),
            "quantiles",
            "summary_options.quantiles",
        );
        if quantile_list.is_some() {
            return Err(Error::new(
                ErrorKind::ConflictingOptions,
                at(legacy),
                "quantiles",
                "cannot use quantiles in both defaults and defaults.summary_options",
            ));
        }
        quantile_list = Some(quantiles(&legacy.value));
    }
    let mut buckets = histogram.and_then(|h| h.buckets.clone());
    if let Some(legacy) = &d.buckets {
        deprecated(warnings, at(legacy), "buckets", "histogram_options.buckets");
        if buckets.is_some() {
            return Err(Error::new(
                ErrorKind::ConflictingOptions,
                at(legacy),
                "buckets",
                "cannot use buckets in both defaults and defaults.histogram_options",
            ));
        }
        buckets = Some(legacy.value.clone());
    }
    let max_age = match summary.and_then(|s| s.max_age.as_ref()) {
        Some(value) => parse_duration(value)?.positive().unwrap_or(Duration::ZERO),
        None => Duration::ZERO,
    };
    Ok(RawResolvedDefaults {
        match_type,
        observer_type,
        ordered: !d.glob_disable_ordering.as_ref().is_some_and(|b| b.value),
        ttl,
        quantiles: quantile_list.filter(|q| !q.is_empty()),
        max_age,
        age_buckets: summary.and_then(|s| s.age_buckets).unwrap_or(0),
        buf_cap: summary.and_then(|s| s.buf_cap).unwrap_or(0),
        buckets: buckets.filter(|b| !b.is_empty()),
        native_factor: histogram
            .and_then(|h| h.native_histogram_bucket_factor)
            .unwrap_or(0.0),
        native_max_buckets: histogram
            .and_then(|h| h.native_histogram_max_buckets)
            .unwrap_or(0),
    })
}

fn native_factor(factor: f64) -> Option<f64> {
    (factor > 1.0).then_some(factor)
}

fn defaults_observer(d: &RawResolvedDefaults) -> ObserverOptions {
    ObserverOptions {
        observer_type: d.observer_type.unwrap_or_default(),
        summary: SummaryOptions {
            quantiles: d
                .quantiles
                .clone()
                .unwrap_or_else(|| DEFAULT_QUANTILES.to_vec()),
            max_age: nonzero_or(d.max_age, DEFAULT_MAX_AGE),
            age_buckets: nonzero_u32_or(d.age_buckets, DEFAULT_AGE_BUCKETS),
            buf_cap: nonzero_u32_or(d.buf_cap, DEFAULT_BUF_CAP),
        },
        histogram: HistogramOptions {
            buckets: d
                .buckets
                .clone()
                .unwrap_or_else(|| DEFAULT_BUCKETS.to_vec()),
            native_bucket_factor: native_factor(d.native_factor),
            native_max_buckets: nonzero_u32_or(d.native_max_buckets, DEFAULT_NATIVE_MAX_BUCKETS),
        },
    }
}

fn nonzero_or(value: Duration, fallback: Duration) -> Duration {
    if value.is_zero() { fallback } else { value }
}

fn nonzero_u32_or(value: u32, fallback: u32) -> u32 {
    if value == 0 { fallback } else { value }
}

/// Label names: `^[a-zA-Z_][a-zA-Z0-9_]*$` (statsd_exporter demands two characters or
/// more; single-character names are valid Prometheus labels and accepted here).
fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// statsd_exporter's `metricNameRE`:
/// `^([a-zA-Z_]|\$\{?\d+\}?)([a-zA-Z0-9_]|\$\{?\d+\}?)*$`.
fn valid_name_template(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'$' {
            let mut j = i + 1;
            if bytes.get(j) == Some(&b'{') {
                j += 1;
            }
            let digits = bytes[j.min(bytes.len())..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            if digits == 0 {
                return false;
            }
            j += digits;
            if bytes.get(j) == Some(&b'}') {
                j += 1;
            }
            i = j;
            continue;
        }
        let ok = if i == 0 {
            b.is_ascii_alphabetic() || b == b'_'
        } else {
            b.is_ascii_alphanumeric() || b == b'_'
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty()
}

fn resolve_mapping(
    index: usize,
    spanned: &Spanned<RawMapping>,
    d: &RawResolvedDefaults,
    warnings: &mut Vec<Warning>,
) -> Result<(Rule, Option<rules_regex::CheckedRegex>), Error> {
    let m = &spanned.value;
    let rule_position = at(spanned);
    let match_text = m.match_.as_ref().map_or("", |s| s.value.as_str());
    let match_position = m.match_.as_ref().map_or(rule_position, at);

    // 1. label names.
    let empty_labels = Vec::new();
    let raw_labels = m.labels.as_ref().map_or(&empty_labels, |l| &l.value.0);
    for (key, _) in raw_labels {
        if !valid_label_name(&key.value) {
            return Err(Error::new(
                ErrorKind::InvalidLabelName,
                at(key),
                key.value.as_str(),
                "label names must match [a-zA-Z_][a-zA-Z0-9_]*",
            ));
        }
    }
    // 2. and 3. name.
    let name_text = match &m.name {
        Some(name) if !name.value.is_empty() => name,
        other => {
            let position = other.as_ref().map_or(rule_position, at);
            return Err(Error::new(
                ErrorKind::MissingName,
                position,
                match_text,
                format!(
                    "mapping {index} does not set a metric `name` (required, even with `action: drop`)"
                ),
            ));
        }
    };
    if !valid_name_template(&name_text.value) {
        return Err(Error::new(
            ErrorKind::InvalidMetricName,
            at(name_text),
            name_text.value.as_str(),
            "a name is letters, digits and `_` (not starting with a digit) and `$n`/`${n}` references",
        ));
    }
    // 4. match type and action.
    let match_type = m
        .match_type
        .as_ref()
        .map(parse_match_type)
        .transpose()?
        .unwrap_or(d.match_type);
    let action = match m.action.as_ref() {
        None => Action::Map,
        Some(action) => match action.value.as_str() {
            "" | "map" => Action::Map,
            "drop" => Action::Drop,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidAction,
                    at(action),
                    other,
                    "expected `map` or `drop`",
                ));
            }
        },
    };
    let kind = match m.match_metric_type.as_ref() {
        None => None,
        Some(value) => match value.value.as_str() {
            "" => None,
            "counter" => Some(MetricKind::Counter),
            "gauge" => Some(MetricKind::Gauge),
            "observer" => Some(MetricKind::Observer),
            "timer" => {
                deprecated(
                    warnings,
                    at(value),
                    "match_metric_type: timer",
                    "match_metric_type: observer",
                );
                Some(MetricKind::Observer)
            }
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidMetricType,
                    at(value),
                    other,
                    "expected `counter`, `gauge` or `observer`",
                ));
            }
        },
    };
    // 5. the pattern and the templates.
    let mut regex = None;
    let (pattern, name, labels) = match match_type {
        MatchType::Glob => {
            let pattern = glob::parse(match_text).map_err(|detail| {
                Error::new(ErrorKind::InvalidGlob, match_position, match_text, detail)
            })?;
            let captures = pattern.capture_count;
            let name = Template::glob(&name_text.value, captures);
            let labels = raw_labels
                .iter()
                .map(|(k, v)| (k.value.as_str().into(), Template::glob(&v.value, captures)))
                .collect();
            (Pattern::Glob(pattern), name, labels)
        }
        MatchType::Regex => {
            let mut checked = rules_regex::check(match_text).map_err(|detail| {
                Error::new(ErrorKind::InvalidRegex, match_position, match_text, detail)
            })?;
            let groups = checked.groups();
            let names = checked.names();
            let lookup = |wanted: &str| names.iter().position(|n| n.as_deref() == Some(wanted));
            let name = Template::regex(&name_text.value, groups, lookup);
            let labels = raw_labels
                .iter()
                .map(|(k, v)| {
                    (
                        k.value.as_str().into(),
                        Template::regex(&v.value, groups, lookup),
                    )
                })
                .collect::<Box<[_]>>();
            let used = name.references();
            checked.limit_captures(used.chain(labels.iter().flat_map(|(_, t)| t.references())));
            regex = Some(checked);
            (Pattern::Regex, name, labels)
        }
    };
    // 6. observer options.
    let observer = resolve_observer(m, d, warnings)?;
    // 7. ttl.
    let ttl = match m.ttl.as_ref().map(parse_duration).transpose()? {
        Some(ttl) if !ttl.is_zero() => ttl.positive(),
        _ => d.ttl,
    };
    let rule = Rule {
        index,
        position: match_position,
        match_text: match_text.into(),
        pattern,
        kind,
        name,
        labels,
        help: m.help.as_ref().map(|h| h.value.as_str().into()),
        action,
        ttl,
        scale: m.scale.as_ref().map(|s| s.value),
        honor_labels: m.honor_labels.as_ref().is_some_and(|h| h.value),
        observer,
    };
    Ok((rule, regex))
}

fn resolve_observer(
    m: &RawMapping,
    d: &RawResolvedDefaults,
    warnings: &mut Vec<Warning>,
) -> Result<ObserverOptions, Error> {
    let own_type =
        observer_type_with_legacy(m.observer_type.as_ref(), m.timer_type.as_ref(), warnings)?;
    let explicit = own_type.or(d.observer_type);
    let summary: Option<&Spanned<RawSummaryOptions>> = m.summary_options.as_ref();
    let histogram: Option<&Spanned<RawHistogramOptions>> = m.histogram_options.as_ref();

    let mut own_quantiles = summary
        .and_then(|s| s.value.quantiles.as_deref())
        .map(quantiles);
    if let Some(legacy) = &m.quantiles {
        deprecated(
            warnings,
            at(legacy),
            "quantiles",
            "summary_options.quantiles",
        );
        if own_quantiles.is_some() {
            return Err(Error::new(
                ErrorKind::ConflictingOptions,
                at(legacy),
                "quantiles",
                "cannot use quantiles both at the top level of a mapping and in summary_options",
            ));
        }
        own_quantiles = Some(quantiles(&legacy.value));
    }
    let mut own_buckets = histogram.and_then(|h| h.value.buckets.clone());
    if let Some(legacy) = &m.buckets {
        deprecated(warnings, at(legacy), "buckets", "histogram_options.buckets");
        if own_buckets.is_some() {
            return Err(Error::new(
                ErrorKind::ConflictingOptions,
                at(legacy),
                "buckets",
                "cannot use buckets both at the top level of a mapping and in histogram_options",
            ));
        }
        own_buckets = Some(legacy.value.clone());
    }
    match explicit {
        Some(ObserverType::Histogram) => {
            if let Some(summary) = summary {
                return Err(Error::new(
                    ErrorKind::ConflictingOptions,
                    at(summary),
                    "summary_options",
                    "cannot use histogram observer and summary options at the same time",
                ));
            }
        }
        Some(ObserverType::Summary) => {
            if let Some(histogram) = histogram {
                return Err(Error::new(
                    ErrorKind::ConflictingOptions,
                    at(histogram),
                    "histogram_options",
                    "cannot use summary observer and histogram options at the same time",
                ));
            }
        }
        None => {}
    }
    let own_max_age = match summary.and_then(|s| s.value.max_age.as_ref()) {
        Some(value) => parse_duration(value)?.positive().unwrap_or(Duration::ZERO),
        None => Duration::ZERO,
    };
    let own_age_buckets = summary.and_then(|s| s.value.age_buckets).unwrap_or(0);
    let own_buf_cap = summary.and_then(|s| s.value.buf_cap).unwrap_or(0);
    let quantile_list = own_quantiles
        .filter(|q| !q.is_empty())
        .or_else(|| d.quantiles.clone())
        .unwrap_or_else(|| DEFAULT_QUANTILES.to_vec());
    // Field-wise merge with defaults when the type is explicit (mapping or defaults);
    // otherwise a mapping's summary_options is taken whole and defaults' are ignored.
    let field_wise = explicit.is_some() || summary.is_none();
    let (max_age, age_buckets, buf_cap) = if field_wise {
        (
            nonzero_or(nonzero_or(own_max_age, d.max_age), DEFAULT_MAX_AGE),
            nonzero_u32_or(
                nonzero_u32_or(own_age_buckets, d.age_buckets),
                DEFAULT_AGE_BUCKETS,
            ),
            nonzero_u32_or(nonzero_u32_or(own_buf_cap, d.buf_cap), DEFAULT_BUF_CAP),
        )
    } else {
        (
            nonzero_or(own_max_age, DEFAULT_MAX_AGE),
            nonzero_u32_or(own_age_buckets, DEFAULT_AGE_BUCKETS),
            nonzero_u32_or(own_buf_cap, DEFAULT_BUF_CAP),
        )
    };
    let own_factor = histogram
        .and_then(|h| h.value.native_histogram_bucket_factor)
        .unwrap_or(0.0);
    let own_max_buckets = histogram
        .and_then(|h| h.value.native_histogram_max_buckets)
        .unwrap_or(0);
    Ok(ObserverOptions {
        observer_type: explicit.unwrap_or_default(),
        summary: SummaryOptions {
            quantiles: quantile_list,
            max_age,
            age_buckets,
            buf_cap,
        },
        histogram: HistogramOptions {
            buckets: own_buckets
                .filter(|b| !b.is_empty())
                .or_else(|| d.buckets.clone())
                .unwrap_or_else(|| DEFAULT_BUCKETS.to_vec()),
            native_bucket_factor: native_factor(if own_factor > 0.0 {
                own_factor
            } else {
                d.native_factor
            }),
            native_max_buckets: nonzero_u32_or(
                nonzero_u32_or(own_max_buckets, d.native_max_buckets),
                DEFAULT_NATIVE_MAX_BUCKETS,
            ),
        },
    })
}

/// Warns about rules that can never match because an earlier rule always wins.
fn report_unreachable(rules: &[Rule], trie: &Trie, ordered: bool, warnings: &mut Vec<Warning>) {
    for rule in rules {
        let shadow = match &rule.pattern {
            Pattern::Glob(pattern) => {
                let mut by = None;
                for class in MetricKind::ALL {
                    if !rule.accepts(class) {
                        continue;
                    }
                    match trie.covering_rule(class, &pattern.components, rule.index as u32, ordered)
                    {
                        Some(earlier) => by = Some(by.map_or(earlier, |b: u32| b.max(earlier))),
                        None => {
                            by = None;
                            break;
                        }
                    }
                }
                by
            }
            Pattern::Regex => rules[..rule.index]
                .iter()
                .filter(|r| matches!(r.pattern, Pattern::Regex))
                .find(|earlier| {
                    earlier.match_text == rule.match_text
                        && MetricKind::ALL
                            .iter()
                            .all(|&k| !rule.accepts(k) || earlier.accepts(k))
                })
                .map(|r| r.index as u32),
        };
        if let Some(earlier) = shadow {
            let earlier = &rules[earlier as usize];
            warnings.push(Warning::new(
                WarningKind::UnreachableRule,
                rule.position,
                format!(
                    "rule {} {:?} can never match: rule {} {:?} (line {}) matches every name it matches and wins",
                    rule.index, &*rule.match_text, earlier.index, &*earlier.match_text, earlier.position.line
                ),
            ));
        }
    }
}

impl Component {
    /// Used by the unreachable-rule check: true when every name component this one
    /// accepts is also accepted by `other` (`other` is an edge already in the trie).
    pub(crate) fn covered_by(&self, other: &Component) -> bool {
        match (self, other) {
            (_, Component::Star) => true,
            (Component::Literal(text), other) => other.matches(text),
            (Component::Partial(a, _), Component::Partial(b, _)) => a == b,
            _ => false,
        }
    }
}
