//! The YAML shape of a mapping config, exactly the keys statsd_exporter accepts.
//!
//! Every value is wrapped in `Spanned` so that validation errors can point at it.
//! `deny_unknown_fields` plus serde-saphyr's duplicate-key error give the strictness of
//! Go's `yaml.UnmarshalStrict`.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// Top level.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) defaults: Option<Spanned<RawDefaults>>,
    #[serde(default)]
    pub(crate) mappings: Option<Vec<Spanned<RawMapping>>>,
}

/// `defaults:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefaults {
    pub(crate) match_type: Option<Spanned<String>>,
    pub(crate) observer_type: Option<Spanned<String>>,
    pub(crate) glob_disable_ordering: Option<Spanned<bool>>,
    pub(crate) ttl: Option<Spanned<String>>,
    pub(crate) summary_options: Option<Spanned<RawSummaryOptions>>,
    pub(crate) histogram_options: Option<Spanned<RawHistogramOptions>>,
    /// Removed in 0.30: `observer_type`'s old name.
    pub(crate) timer_type: Option<Spanned<String>>,
    /// Removed in 0.30: `histogram_options.buckets`'s old place.
    pub(crate) buckets: Option<Spanned<Vec<f64>>>,
    /// Removed in 0.30: `summary_options.quantiles`'s old place.
    pub(crate) quantiles: Option<Spanned<Vec<RawQuantile>>>,
}

/// One entry of `mappings:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMapping {
    #[serde(rename = "match")]
    pub(crate) match_: Option<Spanned<String>>,
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) labels: Option<Spanned<RawLabels>>,
    pub(crate) help: Option<Spanned<String>>,
    pub(crate) action: Option<Spanned<String>>,
    pub(crate) match_type: Option<Spanned<String>>,
    pub(crate) match_metric_type: Option<Spanned<String>>,
    pub(crate) observer_type: Option<Spanned<String>>,
    pub(crate) summary_options: Option<Spanned<RawSummaryOptions>>,
    pub(crate) histogram_options: Option<Spanned<RawHistogramOptions>>,
    pub(crate) honor_labels: Option<Spanned<bool>>,
    pub(crate) ttl: Option<Spanned<String>>,
    pub(crate) scale: Option<Spanned<f64>>,
    /// Removed in 0.30.
    pub(crate) timer_type: Option<Spanned<String>>,
    /// Removed in 0.30.
    pub(crate) buckets: Option<Spanned<Vec<f64>>>,
    /// Removed in 0.30.
    pub(crate) quantiles: Option<Spanned<Vec<RawQuantile>>>,
}

/// `summary_options:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSummaryOptions {
    pub(crate) quantiles: Option<Vec<RawQuantile>>,
    pub(crate) max_age: Option<Spanned<String>>,
    pub(crate) age_buckets: Option<u32>,
    pub(crate) buf_cap: Option<u32>,
}

/// One `{quantile, error}` objective.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQuantile {
    #[serde(default)]
    pub(crate) quantile: f64,
    #[serde(default)]
    pub(crate) error: f64,
}

/// `histogram_options:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHistogramOptions {
    pub(crate) buckets: Option<Vec<f64>>,
    pub(crate) native_histogram_bucket_factor: Option<f64>,
    pub(crate) native_histogram_max_buckets: Option<u32>,
}

/// `labels:` in file order (statsd_exporter uses a Go map; order is irrelevant to it, but
/// file order makes warnings and `explain` output stable).
#[derive(Debug, Default)]
pub(crate) struct RawLabels(pub(crate) Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for RawLabels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = RawLabels;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a map of label names to value templates")
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<RawLabels, E> {
                Ok(RawLabels::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawLabels, A::Error> {
                let mut labels = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<String>>()?;
                    labels.push((key, value));
                }
                Ok(RawLabels(labels))
            }
        }
        deserializer.deserialize_map(LabelsVisitor)
    }
}
