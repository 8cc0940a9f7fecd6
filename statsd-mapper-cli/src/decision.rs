//! What the exporter would do with one metric: the mapper's answer plus statsd_exporter's
//! event handling (escaping, tags merged with rule labels, Prometheus type).

use std::collections::BTreeMap;

use statsd_mapper::{Action, Captures, Mapper, MetricKind, escape_metric_name};
use statsd_proto::{Item, MetricType, Parser};

/// One metric to decide about: a name, its wire type and the tags of its line.
#[derive(Clone, Debug)]
pub struct Subject {
    /// The StatsD name with name-embedded tags removed.
    pub name: String,
    /// The wire type (`c`, `g`, `ms`, …).
    pub metric_type: MetricType,
    /// Tags in line order, keys as written.
    pub tags: Vec<(String, String)>,
}

/// Reads the subjects of an argument: a StatsD line (`name:value|type…`, one subject per
/// distinct type of its samples) or a bare name (`name`, or `name|type`), whose type is
/// `default_type` unless given.
///
/// # Errors
///
/// A line the parser rejects, an event or service check, or an unknown type after `|`.
pub fn subjects(
    parser: &Parser,
    text: &str,
    default_type: MetricType,
) -> Result<Vec<Subject>, String> {
    if !text.contains(':') {
        let (name, metric_type) = match text.rsplit_once('|') {
            Some((name, kind)) => (
                name,
                crate::args::parse_metric_type(kind)
                    .ok_or_else(|| format!("unknown metric type {kind:?} after `|`"))?,
            ),
            None => (text, default_type),
        };
        return Ok(vec![Subject {
            name: name.to_string(),
            metric_type,
            tags: Vec::new(),
        }]);
    }
    let metric = match parser.parse_line(text.as_bytes()) {
        Ok(Item::Metric(metric)) => metric,
        Ok(_) => return Err("an event or service check, not a metric".to_string()),
        Err(err) => return Err(format!("cannot parse: {err}")),
    };
    let mut name = Vec::new();
    metric.name().write_to(&mut name);
    let name = String::from_utf8_lossy(&name).into_owned();
    let tags: Vec<(String, String)> = metric
        .tags()
        .map(|t| {
            (
                String::from_utf8_lossy(t.key()).into_owned(),
                String::from_utf8_lossy(t.value_or_empty()).into_owned(),
            )
        })
        .collect();
    let mut out: Vec<Subject> = Vec::new();
    let mut first_error = None;
    for sample in metric.samples() {
        match sample {
            Ok(sample) => {
                if !out.iter().any(|s| s.metric_type == sample.kind()) {
                    out.push(Subject {
                        name: name.clone(),
                        metric_type: sample.kind(),
                        tags: tags.clone(),
                    });
                }
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    match (out.is_empty(), first_error) {
        (true, Some(err)) => Err(format!("cannot parse: {err}")),
        (true, None) => Err("no samples on the line".to_string()),
        (false, _) => Ok(out),
    }
}

/// What happens to a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A rule maps it.
    Mapped,
    /// A rule with `action: drop` matches it.
    Dropped,
    /// No rule matches: exported under its escaped StatsD name.
    Unmapped,
    /// The exporter rejects it: a set, or a rule whose name expands to nothing.
    Rejected(&'static str),
}

impl Outcome {
    /// `mapped`, `dropped`, `unmapped` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Mapped => "mapped",
            Outcome::Dropped => "dropped",
            Outcome::Unmapped => "unmapped",
            Outcome::Rejected(_) => "rejected",
        }
    }
}

/// The exporter's decision for one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// The mapping class, `None` for sets.
    pub kind: Option<MetricKind>,
    /// Index of the winning rule.
    pub rule: Option<usize>,
    /// The escaped Prometheus name (empty when dropped or rejected).
    pub name: String,
    /// Label pairs, sorted by name.
    pub labels: Vec<(String, String)>,
    /// `counter`, `gauge`, `summary` or `histogram` (empty when dropped or rejected).
    pub prometheus_type: &'static str,
}

/// Decides like statsd_exporter's event handler: tags become labels (keys escaped),
/// the rule's labels override them unless `honor_labels`, names are escaped.
pub fn decide(mapper: &Mapper, captures: &mut Captures, subject: &Subject) -> Decision {
    let Some(kind) = MetricKind::of(subject.metric_type) else {
        return Decision {
            outcome: Outcome::Rejected("sets cannot be exported (statsd_exporter: illegal event)"),
            kind: None,
            rule: None,
            name: String::new(),
            labels: Vec::new(),
            prometheus_type: "",
        };
    };
    let mapping = mapper.map_uncached(&subject.name, kind, captures);
    let rule = mapping.rule().map(|r| r.index());
    let mut labels: BTreeMap<String, String> = subject
        .tags
        .iter()
        .map(|(k, v)| (escape_metric_name(k).into_owned(), v.clone()))
        .collect();
    let outcome = match mapping.action() {
        Action::Drop => {
            return Decision {
                outcome: Outcome::Dropped,
                kind: Some(kind),
                rule,
                name: String::new(),
                labels: Vec::new(),
                prometheus_type: "",
            };
        }
        Action::Map => Outcome::Mapped,
        _ => Outcome::Unmapped,
    };
    if outcome == Outcome::Mapped {
        let honor = mapping.honor_labels();
        for (key, value) in mapping.labels() {
            if honor && labels.contains_key(key) {
                continue;
            }
            labels.insert(key.to_string(), value.to_string());
        }
    }
    let name = escape_metric_name(&mapping.name().to_string()).into_owned();
    if name.is_empty() {
        return Decision {
            outcome: Outcome::Rejected("the metric name expands to nothing (empty_metric_name)"),
            kind: Some(kind),
            rule,
            name,
            labels: Vec::new(),
            prometheus_type: "",
        };
    }
    let prometheus_type = match kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::Observer => mapping.observer().observer_type.as_str(),
    };
    Decision {
        outcome,
        kind: Some(kind),
        rule,
        name,
        labels: labels.into_iter().collect(),
        prometheus_type,
    }
}

/// `{a="1",b="2"}` in Prometheus' text style (values escaped like the exposition format);
/// nothing for no labels.
pub fn format_labels(labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut out = String::from("{");
    for (i, (key, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use statsd_mapper::MapperConfig;

    const YAML: &str = r#"
mappings:
- match: "app.*.hits"
  name: app_hits
  labels: { service: "$1", env: prod }
- match: "app.*.time"
  match_metric_type: observer
  observer_type: histogram
  name: "app_${1}_seconds"
- match: "noise.*"
  action: drop
  name: dropped
- match: "app.*.honest"
  honor_labels: true
  name: app_honest
  labels: { env: prod }
"#;

    fn decide_line(line: &str) -> Vec<Decision> {
        let mapper = Mapper::new(MapperConfig::from_yaml_str(YAML, None).unwrap(), 0);
        let mut captures = Captures::new();
        subjects(&Parser::new(), line, MetricType::Counter)
            .unwrap()
            .iter()
            .map(|s| decide(&mapper, &mut captures, s))
            .collect()
    }

    fn pairs(labels: &[(&str, &str)]) -> Vec<(String, String)> {
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rule_labels_override_tags_unless_honored() {
        let d = &decide_line("app.web.hits:1|c|#env:dev,zone:a")[0];
        assert_eq!((d.outcome, d.rule), (Outcome::Mapped, Some(0)));
        assert_eq!(d.name, "app_hits");
        assert_eq!(
            d.labels,
            pairs(&[("env", "prod"), ("service", "web"), ("zone", "a")])
        );
        let d = &decide_line("app.web.honest:1|c|#env:dev")[0];
        assert_eq!(d.labels, pairs(&[("env", "dev")]));
    }

    #[test]
    fn types_drops_unmapped_and_sets() {
        let d = &decide_line("app.api.time:3|ms")[0];
        assert_eq!(
            (d.name.as_str(), d.prometheus_type),
            ("app_api_seconds", "histogram")
        );
        let d = &decide_line("app.api.time:3|g")[0];
        assert_eq!(
            (d.outcome, d.name.as_str()),
            (Outcome::Unmapped, "app_api_time")
        );
        assert_eq!(d.prometheus_type, "gauge");
        assert_eq!(decide_line("noise.x:1|c")[0].outcome, Outcome::Dropped);
        assert!(matches!(
            decide_line("app.x.hits:1|s")[0].outcome,
            Outcome::Rejected(_)
        ));
        let both = decide_line("app.x.time:1|c:2|ms:3|ms");
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].prometheus_type, "histogram");
    }

    #[test]
    fn bare_names_take_a_type() {
        let parser = Parser::new();
        let s = subjects(&parser, "app.x.time|ms", MetricType::Counter).unwrap();
        assert_eq!(
            (s[0].name.as_str(), s[0].metric_type),
            ("app.x.time", MetricType::Timer)
        );
        let s = subjects(&parser, "app.x.time", MetricType::Gauge).unwrap();
        assert_eq!(s[0].metric_type, MetricType::Gauge);
        assert!(subjects(&parser, "a|zz", MetricType::Gauge).is_err());
        assert!(subjects(&parser, "a:x|c", MetricType::Gauge).is_err());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            format_labels(&pairs(&[("a", "x\"y"), ("b", "1")])),
            "{a=\"x\\\"y\",b=\"1\"}"
        );
    }
}
