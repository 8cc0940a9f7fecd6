//! The lookup: a name and a class in, a mapping decision out.

use std::fmt;
use std::time::Duration;

use crate::cache::{Cache, Cached};
use crate::captures::{Captures, Span};
use crate::config::MapperConfig;
use crate::kind::MetricKind;
use crate::options::{Action, DEFAULT_HELP, ObserverOptions};
use crate::rule::Rule;
use crate::template::Template;

/// A compiled config plus an optional cache: what the exporter holds (in an `Arc`) and
/// swaps on reload.
///
/// `Mapper` is `Send + Sync`; [`Mapper::map`] takes `&self`, so any number of threads can
/// map at once, each with its own [`Captures`].
///
/// ```
/// use statsd_mapper::{Action, Captures, Mapper, MapperConfig, MetricKind};
///
/// let yaml = r#"
/// mappings:
/// - match: "Mastodon.production.sidekiq.*.success"
///   name: mastodon_sidekiq_worker_success_total
///   labels: { worker: "$1", mastodon: sidekiq }
/// "#;
/// let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None)?, 1000);
/// let mut captures = Captures::new();
/// let mapping = mapper.map("Mastodon.production.sidekiq.FeedInsertWorker.success", MetricKind::Counter, &mut captures);
/// assert_eq!(mapping.action(), Action::Map);
/// assert_eq!(mapping.name().to_string(), "mastodon_sidekiq_worker_success_total");
/// let labels: Vec<(&str, String)> = mapping.labels().map(|(k, v)| (k, v.to_string())).collect();
/// assert_eq!(labels, [("worker", "FeedInsertWorker".to_string()), ("mastodon", "sidekiq".to_string())]);
///
/// let unmapped = mapper.map("other.metric", MetricKind::Gauge, &mut captures);
/// assert_eq!(unmapped.action(), Action::Unmapped);
/// assert_eq!(unmapped.name().to_string(), "other.metric"); // escape it: escape_metric_name
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Debug)]
pub struct Mapper {
    config: MapperConfig,
    cache: Option<Cache>,
    cache_capacity: usize,
}

impl Mapper {
    /// Wraps a loaded config. `cache_capacity` bounds the number of cached
    /// (class, name) results; `0` disables the cache (statsd_exporter's default is 1000).
    pub fn new(config: MapperConfig, cache_capacity: usize) -> Mapper {
        let cache = (cache_capacity > 0).then(|| Cache::new(cache_capacity));
        Mapper {
            config,
            cache,
            cache_capacity,
        }
    }

    /// No rules, no cache: every metric is unmapped (the exporter without a config file).
    pub fn empty() -> Mapper {
        Mapper::new(MapperConfig::empty(), 0)
    }

    /// The compiled config.
    pub fn config(&self) -> &MapperConfig {
        &self.config
    }

    /// The `cache_capacity` this mapper was created with (0: no cache). Callers that keep
    /// per-thread caches of their own on top of the mapper (statsd-exporter-core's
    /// pipeline does) bound them by it too, so that one setting turns all caching off.
    pub fn cache_capacity(&self) -> usize {
        self.cache_capacity
    }

    /// Number of names currently cached (0 without a cache).
    pub fn cached_len(&self) -> usize {
        self.cache.as_ref().map_or(0, Cache::len)
    }

    /// Maps a StatsD name of class `kind`, using the cache when there is one.
    ///
    /// The result borrows the mapper, the name and `captures`; nothing is allocated once
    /// `captures` has warmed up (and, with a cache, only a miss allocates its entry).
    #[inline]
    pub fn map<'a>(
        &'a self,
        name: &'a str,
        kind: MetricKind,
        captures: &'a mut Captures,
    ) -> Mapping<'a> {
        let rule = match &self.cache {
            None => self.find(kind, name, captures),
            Some(cache) => match cache.get(kind, name, &mut captures.result) {
                Cached::Known(rule) => rule,
                Cached::Unknown => self.find_and_cache(cache, kind, name, captures),
            },
        };
        self.mapping(rule, name, captures)
    }

    /// A cache miss, out of line so that the hit path stays small.
    #[inline(never)]
    fn find_and_cache(
        &self,
        cache: &Cache,
        kind: MetricKind,
        name: &str,
        captures: &mut Captures,
    ) -> Option<u32> {
        let rule = self.find(kind, name, captures);
        cache.insert(kind, name, rule, &captures.result);
        rule
    }

    /// Like [`Mapper::map`] but never reads or fills the cache.
    #[inline]
    pub fn map_uncached<'a>(
        &'a self,
        name: &'a str,
        kind: MetricKind,
        captures: &'a mut Captures,
    ) -> Mapping<'a> {
        let rule = self.find(kind, name, captures);
        self.mapping(rule, name, captures)
    }

    #[inline]
    fn mapping<'a>(
        &'a self,
        rule: Option<u32>,
        name: &'a str,
        captures: &'a Captures,
    ) -> Mapping<'a> {
        Mapping {
            config: &self.config,
            rule: rule.map(|r| &self.config.rules[r as usize]),
            name,
            captures: if rule.is_some() {
                &captures.result
            } else {
                &[]
            },
        }
    }

    /// Glob rules first (all of them, whatever the file order), then regex rules.
    #[inline]
    pub(crate) fn find(
        &self,
        kind: MetricKind,
        name: &str,
        captures: &mut Captures,
    ) -> Option<u32> {
        if name.len() >= u32::MAX as usize {
            return None;
        }
        if let Some(rule) = self.config.trie.lookup(kind, name, captures) {
            return Some(rule);
        }
        if !self.config.regexes.is_empty()
            && let Some(rule) = self.config.regexes.lookup(kind, name, captures)
        {
            return Some(rule);
        }
        captures.result.clear();
        None
    }
}

/// The result of a lookup: which rule matched (if any) and everything the exporter
/// needs, resolved. Names and label values are expanded on demand into the caller's
/// storage ([`Expanded::write_to`]) or through `Display`.
///
/// ```
/// use std::time::Duration;
/// use statsd_mapper::{Action, Captures, Mapper, MapperConfig, MetricKind, ObserverType};
///
/// let config = MapperConfig::from_yaml_str(
///     r#"
/// defaults:
///   ttl: 1h
/// mappings:
/// - match: "sidekiq.*.duration"
///   name: sidekiq_job_seconds
///   help: Job run time.
///   observer_type: histogram
///   histogram_options: {buckets: [0.1, 1, 10]}
///   labels: {worker: "$1"}
/// - match: "debug.*"
///   name: unused
///   action: drop
/// "#,
///     None,
/// )?;
/// let mapper = Mapper::new(config, 100);
/// let mut captures = Captures::new();
///
/// let job = mapper.map("sidekiq.MailWorker.duration", MetricKind::Observer, &mut captures);
/// assert_eq!(job.action(), Action::Map);
/// assert_eq!(job.name().to_string(), "sidekiq_job_seconds");
/// let labels: Vec<_> = job.labels().map(|(k, v)| (k, v.to_string())).collect();
/// assert_eq!(labels, [("worker", "MailWorker".to_string())]);
/// assert_eq!(job.help(), "Job run time.");
/// assert_eq!(job.ttl(), Some(Duration::from_secs(3600))); // from `defaults`
/// assert_eq!(job.observer().observer_type, ObserverType::Histogram);
/// assert_eq!(job.observer().histogram.buckets, [0.1, 1.0, 10.0]);
/// assert_eq!(job.capture(1), Some("MailWorker"));
///
/// assert_eq!(mapper.map("debug.x", MetricKind::Counter, &mut captures).action(), Action::Drop);
///
/// // Unmapped: the StatsD name (escape it yourself), no labels, the defaults.
/// let other = mapper.map("api.hits", MetricKind::Counter, &mut captures);
/// assert_eq!(other.action(), Action::Unmapped);
/// assert_eq!(other.name().as_str(), Some("api.hits"));
/// assert_eq!(other.labels().count(), 0);
/// assert_eq!(other.help(), statsd_mapper::DEFAULT_HELP);
/// assert_eq!(other.observer().observer_type, ObserverType::Summary);
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Mapping<'a> {
    config: &'a MapperConfig,
    rule: Option<&'a Rule>,
    name: &'a str,
    captures: &'a [Span],
}

impl<'a> Mapping<'a> {
    /// Map, drop, or unmapped.
    #[inline]
    pub fn action(&self) -> Action {
        self.rule.map_or(Action::Unmapped, |r| r.action)
    }

    /// The rule that matched.
    #[inline]
    pub fn rule(&self) -> Option<&'a Rule> {
        self.rule
    }

    /// The metric name: the rule's templated `name`, or the StatsD name when unmapped.
    /// Not escaped: pass the result through [`escape_metric_name`](crate::escape_metric_name)
    /// as statsd_exporter does. An empty expansion is possible (`name: $3` with two captures).
    #[inline]
    pub fn name(&self) -> Expanded<'a> {
        match self.rule {
            Some(rule) => Expanded {
                template: Some(&rule.name),
                name: self.name,
                captures: self.captures,
            },
            None => Expanded {
                template: None,
                name: self.name,
                captures: &[],
            },
        }
    }

    /// The rule's labels with their values expanded (none when unmapped), in file order.
    #[inline]
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            inner: self.rule.map_or(&[][..], |r| &r.labels).iter(),
            name: self.name,
            captures: self.captures,
        }
    }

    /// HELP text: the rule's `help`, or statsd_exporter's default text.
    #[inline]
    pub fn help(&self) -> &'a str {
        self.rule.and_then(Rule::help).unwrap_or(DEFAULT_HELP)
    }

    /// Series TTL (rule, else `defaults.ttl`); `None` means never expire.
    #[inline]
    pub fn ttl(&self) -> Option<Duration> {
        match self.rule {
            Some(rule) => rule.ttl,
            None => self.config.defaults.ttl,
        }
    }

    /// `scale` of the rule: multiply every value by it.
    #[inline]
    pub fn scale(&self) -> Option<f64> {
        self.rule.and_then(|r| r.scale)
    }

    /// `honor_labels`: tags from the line win over the rule's labels of the same name.
    #[inline]
    pub fn honor_labels(&self) -> bool {
        self.rule.is_some_and(|r| r.honor_labels)
    }

    /// Observer type and options (rule, else defaults), fully resolved.
    #[inline]
    pub fn observer(&self) -> &'a ObserverOptions {
        match self.rule {
            Some(rule) => &rule.observer,
            None => &self.config.defaults.observer,
        }
    }

    /// Capture `index` of the match: 0 is the whole name (glob) or the whole match
    /// (regex); glob captures count `*` and partial components left to right.
    ///
    /// A regex rule whose pattern is so large that extracting every group would take
    /// more than 64 MiB per thread captures only the groups its templates use; for the
    /// others this is `None` (see the crate docs' Regex item).
    #[inline]
    pub fn capture(&self, index: usize) -> Option<&'a str> {
        self.captures.get(index).and_then(|s| s.get(self.name))
    }

    /// Number of captures including capture 0 (0 when unmapped).
    #[inline]
    pub fn capture_count(&self) -> usize {
        self.captures.len()
    }
}

impl fmt::Debug for Mapping<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("action", &self.action())
            .field("rule", &self.rule.map(Rule::index))
            .field("name", &self.name().to_string())
            .finish_non_exhaustive()
    }
}

/// A templated value (metric name or label value), expanded on demand.
///
/// On a hot path, expand into a `String` you keep and clear, so that nothing is
/// allocated once it has grown; `Display` (and so `to_string`) is there for convenience.
///
/// ```
/// use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind};
///
/// let config = MapperConfig::from_yaml_str(
///     "mappings:\n- match: \"app.*.*\"\n  name: \"app_${2}\"\n  labels: {service: \"$1\", env: prod}\n",
///     None,
/// )?;
/// let mapper = Mapper::new(config, 100);
/// let mut captures = Captures::new();
/// let mut buffer = String::new();
///
/// for line in ["app.web.requests", "app.api.requests"] {
///     let mapping = mapper.map(line, MetricKind::Counter, &mut captures);
///     buffer.clear();
///     mapping.name().write_to(&mut buffer);
///     assert_eq!(buffer, "app_requests");
///     for (label, value) in mapping.labels() {
///         // A constant value needs no expansion at all.
///         if label == "env" {
///             assert_eq!(value.as_str(), Some("prod"));
///         }
///     }
/// }
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Expanded<'a> {
    template: Option<&'a Template>,
    name: &'a str,
    captures: &'a [Span],
}

impl<'a> Expanded<'a> {
    /// The value without expanding, when it needs no captures (a constant template, or
    /// the raw StatsD name of an unmapped metric).
    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.template {
            Some(template) => template.as_constant(),
            None => Some(self.name),
        }
    }

    /// Appends the value to `out`; no allocation once `out` has the capacity.
    #[inline]
    pub fn write_to(&self, out: &mut String) {
        match self.template {
            Some(template) => template.expand(self.name, self.captures, out),
            None => out.push_str(self.name),
        }
    }
}

impl fmt::Display for Expanded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.template {
            Some(template) => template.fmt_expanded(self.name, self.captures, f),
            None => f.write_str(self.name),
        }
    }
}

impl fmt::Debug for Expanded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// Iterator over a mapping's `(label name, value)` pairs.
#[derive(Clone)]
pub struct Labels<'a> {
    inner: std::slice::Iter<'a, (Box<str>, Template)>,
    name: &'a str,
    captures: &'a [Span],
}

impl<'a> Iterator for Labels<'a> {
    type Item = (&'a str, Expanded<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (key, template) = self.inner.next()?;
        Some((
            &**key,
            Expanded {
                template: Some(template),
                name: self.name,
                captures: self.captures,
            },
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Labels<'_> {}
