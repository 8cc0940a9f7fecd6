//! Per-name metadata ("families") and the rules that decide whether a new name may exist.

use std::collections::HashMap;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::histogram::HistogramConfig;
use crate::sink::{Observer, Rejection, Value};
use crate::summary::SummaryConfig;

/// The Prometheus type of a metric, with the options fixed when it was first created.
#[derive(Debug)]
pub(crate) enum FamilyKind {
    Counter,
    Gauge,
    Summary(Arc<SummaryConfig>),
    Histogram(Arc<HistogramConfig>),
}

impl FamilyKind {
    /// Whether an event of this value goes to a family of this kind.
    #[inline]
    pub(crate) fn accepts(&self, value: &Value<'_>) -> bool {
        matches!(
            (self, value),
            (FamilyKind::Counter, Value::Counter(_))
                | (FamilyKind::Gauge, Value::GaugeSet(_) | Value::GaugeAdd(_))
                | (
                    FamilyKind::Summary(_),
                    Value::Observe {
                        observer: Observer::Summary(_),
                        ..
                    }
                )
                | (
                    FamilyKind::Histogram(_),
                    Value::Observe {
                        observer: Observer::Histogram(_),
                        ..
                    }
                )
        )
    }

    /// The suffixes this kind adds to its name in the exposition.
    fn suffixes(&self) -> &'static [&'static str] {
        match self {
            FamilyKind::Counter | FamilyKind::Gauge => &[],
            FamilyKind::Summary(_) => &["_sum", "_count"],
            FamilyKind::Histogram(_) => &["_bucket", "_sum", "_count"],
        }
    }

    fn is_counter(&self) -> bool {
        matches!(self, FamilyKind::Counter)
    }

    /// The `type` label of `statsd_exporter_metrics_total`.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            FamilyKind::Counter => "counter",
            FamilyKind::Gauge => "gauge",
            FamilyKind::Summary(_) => "summary",
            FamilyKind::Histogram(_) => "histogram",
        }
    }
}

/// A metric name with its type, options and help, shared by all its series.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) name: Box<str>,
    pub(crate) help: Box<str>,
    pub(crate) kind: FamilyKind,
}

impl Family {
    fn new(name: &str, help: &str, kind: FamilyKind) -> Self {
        Family {
            name: name.into(),
            help: help.into(),
            kind,
        }
    }
}

#[derive(Debug)]
struct Entry {
    family: Arc<Family>,
    series: usize,
    /// Hashes of the label-name sets seen (statsd_exporter's "vectors").
    label_sets: SmallVec<[u64; 2]>,
    /// Names owned by the exporter's own metrics: never given to events.
    reserved: bool,
}

/// All families, and the series counts that the cardinality limits need.
#[derive(Debug)]
pub(crate) struct Registry {
    entries: HashMap<Box<str>, Entry>,
    pub(crate) total_series: usize,
}

/// What creating a series needs from the registry.
pub(crate) struct Limits {
    pub(crate) max_series: Option<usize>,
    pub(crate) max_series_per_metric: Option<usize>,
}

const SUFFIXES: [&str; 3] = ["_bucket", "_count", "_sum"];

/// A counter's family name in OpenMetrics: its name without `_total`, unless nothing would
/// be left (a counter named `_total` keeps its name; its sample is `_total_total`).
pub(crate) fn openmetrics_stem(name: &str) -> Option<&str> {
    name.strip_suffix("_total").filter(|stem| !stem.is_empty())
}

impl Registry {
    /// An empty registry with room for `families` names without regrowing (the reserved
    /// self-metric names are ~100: growing to them rehashed the table six times, a third of
    /// the cost of creating a store).
    pub(crate) fn with_capacity(families: usize) -> Self {
        Registry {
            entries: HashMap::with_capacity(families),
            total_series: 0,
        }
    }

    /// Reserves a name for the exporter's own metrics (counter or gauge).
    /// A counter's `_total` stem is reserved too: OpenMetrics names the family by the stem,
    /// so a user metric named like it would be exposed as a second family of that name.
    /// A name a user family already holds is left to it (reserve before recording).
    pub(crate) fn reserve(&mut self, name: &str, counter: bool) {
        if counter && let Some(stem) = name.strip_suffix("_total") {
            self.reserve_one(stem, true);
        }
        self.reserve_one(name, counter);
    }

    fn reserve_one(&mut self, name: &str, counter: bool) {
        if self.entries.contains_key(name) {
            return;
        }
        let kind = if counter {
            FamilyKind::Counter
        } else {
            FamilyKind::Gauge
        };
        let family = Arc::new(Family::new(name, "", kind));
        self.entries.insert(
            name.into(),
            Entry {
                family,
                series: 0,
                label_sets: SmallVec::new(),
                reserved: true,
            },
        );
    }

    /// Finds or creates the family for a new series and counts the series in.
    ///
    /// `make_kind` builds the family kind if the name is new (options are fixed then).
    pub(crate) fn admit_series(
        &mut self,
        name: &str,
        help: &str,
        value: &Value<'_>,
        label_set: u64,
        limits: &Limits,
    ) -> Result<Arc<Family>, Rejection> {
        if let Some(max) = limits.max_series
            && self.total_series >= max
        {
            return Err(Rejection::CardinalityLimit);
        }
        if let Some(entry) = self.entries.get_mut(name) {
            if entry.reserved || !entry.family.kind.accepts(value) {
                return Err(Rejection::Conflict);
            }
            if let Some(max) = limits.max_series_per_metric
                && entry.series >= max
            {
                return Err(Rejection::MetricCardinalityLimit);
            }
            entry.series += 1;
            if !entry.label_sets.contains(&label_set) {
                entry.label_sets.push(label_set);
            }
            self.total_series += 1;
            return Ok(entry.family.clone());
        }
        if limits.max_series_per_metric == Some(0) {
            return Err(Rejection::MetricCardinalityLimit);
        }
        let kind = match value {
            Value::Counter(_) => FamilyKind::Counter,
            Value::GaugeSet(_) | Value::GaugeAdd(_) => FamilyKind::Gauge,
            Value::Observe {
                observer: Observer::Summary(options),
                ..
            } => FamilyKind::Summary(SummaryConfig::new(options)),
            Value::Observe {
                observer: Observer::Histogram(options),
                ..
            } => FamilyKind::Histogram(HistogramConfig::new(options)),
        };
        self.check_new_name(name, &kind)?;
        let family = Arc::new(Family::new(name, help, kind));
        self.entries.insert(
            name.into(),
            Entry {
                family: family.clone(),
                series: 1,
                label_sets: SmallVec::from_elem(label_set, 1),
                reserved: false,
            },
        );
        self.total_series += 1;
        Ok(family)
    }

    /// statsd_exporter's conflict rules for a new name, plus the observer-vs-observer
    /// collisions it misses: no name this family exposes may be exposed by another one.
    fn check_new_name(&self, name: &str, kind: &FamilyKind) -> Result<(), Rejection> {
        // statsd_exporter's over-broad rule: a counter or gauge `x_count` (or `_sum`,
        // `_bucket`) is refused when `x` exists with any type but counter, even a gauge.
        if matches!(kind, FamilyKind::Counter | FamilyKind::Gauge) {
            for suffix in SUFFIXES {
                if let Some(base) = name.strip_suffix(suffix)
                    && let Some(entry) = self.entries.get(base)
                    && !entry.family.kind.is_counter()
                {
                    return Err(Rejection::Conflict);
                }
            }
        }
        let mut exposed = String::with_capacity(name.len() + 7);
        for suffix in std::iter::once("").chain(kind.suffixes().iter().copied()) {
            exposed.clear();
            exposed.push_str(name);
            exposed.push_str(suffix);
            if self.exposes(&exposed) {
                return Err(Rejection::Conflict);
            }
        }
        // OpenMetrics names a counter's family without `_total` and its sample with it
        // (see `openmetrics_stem`): a counter `x_total` and anything named `x` would be one
        // family there, and a counter `x` and anything named `x_total` one sample name.
        exposed.clear();
        exposed.push_str(name);
        exposed.push_str("_total");
        let stem = openmetrics_stem(name);
        let collides = if kind.is_counter() {
            match stem {
                Some(stem) => self.entries.contains_key(stem),
                None => self.entries.contains_key(exposed.as_str()),
            }
        } else {
            let counter = |n: &str| {
                self.entries
                    .get(n)
                    .is_some_and(|e| e.family.kind.is_counter())
            };
            counter(&exposed) || stem.is_some_and(counter)
        };
        if collides {
            return Err(Rejection::Conflict);
        }
        Ok(())
    }

    /// Whether an existing family puts `sample_name` in the exposition.
    fn exposes(&self, sample_name: &str) -> bool {
        if self.entries.contains_key(sample_name) {
            return true;
        }
        SUFFIXES.iter().any(|suffix| {
            sample_name.strip_suffix(suffix).is_some_and(|base| {
                self.entries
                    .get(base)
                    .is_some_and(|e| e.family.kind.suffixes().contains(suffix))
            })
        })
    }

    /// Counts a series out; the family goes away with its last series, releasing its name.
    pub(crate) fn release_series(&mut self, name: &str) {
        self.total_series = self.total_series.saturating_sub(1);
        if let Some(entry) = self.entries.get_mut(name) {
            entry.series = entry.series.saturating_sub(1);
            if entry.series == 0 && !entry.reserved {
                self.entries.remove(name);
            }
        }
    }

    /// `statsd_exporter_metrics_total{type}`: label-name sets per type of the live families.
    pub(crate) fn vectors_by_type(&self) -> [(&'static str, usize); 4] {
        let mut out = [
            ("counter", 0),
            ("gauge", 0),
            ("histogram", 0),
            ("summary", 0),
        ];
        for entry in self.entries.values().filter(|e| !e.reserved) {
            let t = entry.family.kind.type_name();
            if let Some(slot) = out.iter_mut().find(|(name, _)| *name == t) {
                slot.1 += entry.label_sets.len();
            }
        }
        out
    }
}
