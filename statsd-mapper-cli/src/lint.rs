//! Warnings `check` adds to the mapper's own: observer options on a rule whose
//! `match_metric_type` only lets counters or gauges through, where they can never apply.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

/// The few keys of a mapping rule the lints read; everything else is ignored (the mapper
/// has already validated the file).
#[derive(Deserialize, Default)]
struct Config {
    #[serde(default)]
    mappings: Option<Vec<Rule>>,
}

#[derive(Deserialize, Default)]
struct Rule {
    #[serde(default)]
    match_metric_type: Option<Spanned<String>>,
    #[serde(default)]
    observer_type: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    timer_type: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    summary_options: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    histogram_options: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    buckets: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    quantiles: Option<Spanned<IgnoredAny>>,
}

/// A lint finding: 1-based line and column of the offending value, and the message.
#[derive(Debug, PartialEq, Eq)]
pub struct Lint {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Observer options on counter- or gauge-only rules, in file order. A text that does not
/// parse gives no lints (the mapper reports the error).
pub fn observer_options_never_applied(text: &str) -> Vec<Lint> {
    let Ok(config) = serde_saphyr::from_str::<Config>(text) else {
        return Vec::new();
    };
    let mut lints = Vec::new();
    for (index, rule) in config.mappings.unwrap_or_default().iter().enumerate() {
        let Some(kind) = &rule.match_metric_type else {
            continue;
        };
        if !matches!(kind.value.as_str(), "counter" | "gauge") {
            continue;
        }
        let options = [
            ("observer_type", rule.observer_type.as_ref()),
            ("timer_type", rule.timer_type.as_ref()),
            ("summary_options", rule.summary_options.as_ref()),
            ("histogram_options", rule.histogram_options.as_ref()),
            ("buckets", rule.buckets.as_ref()),
            ("quantiles", rule.quantiles.as_ref()),
        ];
        for (key, value) in options {
            if let Some(value) = value {
                lints.push(Lint {
                    line: value.referenced.line(),
                    column: value.referenced.column(),
                    message: format!(
                        "rule {index}: `{key}` never applies: `match_metric_type: {}` lets only {} metrics through, and only observers (timers, histograms, distributions) use observer options",
                        kind.value, kind.value
                    ),
                });
            }
        }
    }
    lints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observer_options_on_counter_rules() {
        let text = "mappings:\n- match: a.*\n  name: a\n  match_metric_type: counter\n  observer_type: histogram\n- match: b.*\n  name: b\n  match_metric_type: observer\n  observer_type: histogram\n- match: c.*\n  name: c\n  histogram_options: {buckets: [1]}\n";
        let lints = observer_options_never_applied(text);
        assert_eq!(lints.len(), 1);
        assert_eq!((lints[0].line, lints[0].column), (5, 18));
        assert!(
            lints[0]
                .message
                .starts_with("rule 0: `observer_type` never applies")
        );
        assert!(observer_options_never_applied("mappings: [").is_empty());
    }
}
