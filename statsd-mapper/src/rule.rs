//! A compiled mapping rule.

use std::time::Duration;

use crate::error::Position;
use crate::glob::GlobPattern;
use crate::kind::MetricKind;
use crate::options::{Action, ObserverOptions};
use crate::template::Template;

/// How a rule's `match` is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `.`-separated components; `*` matches one component.
    Glob,
    /// A Go RE2 regular expression searched anywhere in the name (not anchored).
    Regex,
}

#[derive(Debug)]
pub(crate) enum Pattern {
    Glob(GlobPattern),
    Regex,
}

/// One entry of `mappings:`, validated and with every option resolved.
///
/// Obtained from [`MapperConfig::rules`](crate::MapperConfig::rules) or
/// [`Mapping::rule`](crate::Mapping::rule).
///
/// ```
/// use statsd_mapper::{Action, MapperConfig, MatchType, MetricKind};
///
/// let config = MapperConfig::from_yaml_str(
///     r#"mappings:
/// - match: "web.*.requests"
///   name: web_requests_total
///   match_metric_type: counter
///   labels: {app: "$1"}
/// - match: 'debug\..*'
///   match_type: regex
///   name: unused
///   action: drop
/// "#,
///     None,
/// )?;
/// let [web, debug] = config.rules() else { unreachable!() };
/// assert_eq!((web.index(), web.line(), web.column()), (0, 2, 10));
/// assert_eq!((web.match_text(), web.match_type()), ("web.*.requests", MatchType::Glob));
/// assert_eq!(web.metric_kind(), Some(MetricKind::Counter));
/// assert_eq!(web.name_template(), "web_requests_total");
/// assert_eq!(web.label_templates().collect::<Vec<_>>(), [("app", "$1")]);
/// assert_eq!((debug.match_type(), debug.action()), (MatchType::Regex, Action::Drop));
/// assert_eq!((web.help(), web.ttl(), web.scale(), web.honor_labels()), (None, None, None, false));
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Debug)]
pub struct Rule {
    pub(crate) index: usize,
    pub(crate) position: Position,
    pub(crate) match_text: Box<str>,
    pub(crate) pattern: Pattern,
    pub(crate) kind: Option<MetricKind>,
    pub(crate) name: Template,
    pub(crate) labels: Box<[(Box<str>, Template)]>,
    pub(crate) help: Option<Box<str>>,
    pub(crate) action: Action,
    pub(crate) ttl: Option<Duration>,
    pub(crate) scale: Option<f64>,
    pub(crate) honor_labels: bool,
    pub(crate) observer: ObserverOptions,
}

impl Rule {
    /// 0-based position in `mappings:`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `match` text as written.
    pub fn match_text(&self) -> &str {
        &self.match_text
    }

    /// Glob or regex.
    pub fn match_type(&self) -> MatchType {
        match self.pattern {
            Pattern::Glob(_) => MatchType::Glob,
            Pattern::Regex => MatchType::Regex,
        }
    }

    /// The `match_metric_type` restriction, if any.
    pub fn metric_kind(&self) -> Option<MetricKind> {
        self.kind
    }

    /// The `name` template as written.
    pub fn name_template(&self) -> &str {
        self.name.source()
    }

    /// Label names and value templates as written, in file order.
    pub fn label_templates(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.labels.iter().map(|(k, v)| (&**k, v.source()))
    }

    /// `map` or `drop` (never [`Action::Unmapped`]).
    pub fn action(&self) -> Action {
        self.action
    }

    /// 1-based line of the rule's `match` (or of the rule when it has none).
    pub fn line(&self) -> u64 {
        self.position.line
    }

    /// 1-based column of the rule's `match`.
    pub fn column(&self) -> u64 {
        self.position.column
    }

    /// The `help` text, if the rule sets one (else statsd_exporter's
    /// [`DEFAULT_HELP`](crate::DEFAULT_HELP) applies).
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Series TTL, `defaults.ttl` already applied; `None` means never expire.
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    /// `scale`: multiply every value by it.
    pub fn scale(&self) -> Option<f64> {
        self.scale
    }

    /// `honor_labels`: tags from the line win over the rule's labels of the same name.
    pub fn honor_labels(&self) -> bool {
        self.honor_labels
    }

    /// Observer type and options, `defaults` already applied.
    pub fn observer(&self) -> &ObserverOptions {
        &self.observer
    }

    pub(crate) fn accepts(&self, kind: MetricKind) -> bool {
        self.kind.is_none_or(|k| k == kind)
    }
}
