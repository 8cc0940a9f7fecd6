//! `statsd-mapper test CONFIG CASES`: a YAML list of lines with their expected result.
//!
//! ```yaml
//! - line: "Mastodon.production.web.HomeController.index.html.status.200:1|c"
//!   name: mastodon_controller_status
//!   type: counter
//!   labels: { controller: HomeController, action: index, format: html, status: "200" }
//! - line: "Mastodon.production.cache.read_hit:1|c"
//!   dropped: true
//! - line: "some.other.name|g"        # a bare name with its type
//!   unmapped: true
//!   name: some_other_name
//! ```
//!
//! Every key but `line` is optional and only what is given is compared; `labels` is the
//! complete label set (tags of the line included). A case must expect something.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Value, json};
use serde_saphyr::Spanned;
use statsd_mapper::{Captures, Mapper};
use statsd_proto::{MetricType, Parser};

use crate::args::{Args, Format};
use crate::decision::{Decision, Outcome, decide, subjects};

/// One case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    line: String,
    #[serde(default)]
    name: Option<Scalar>,
    #[serde(default, rename = "type")]
    prometheus_type: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, Scalar>>,
    #[serde(default)]
    dropped: bool,
    #[serde(default)]
    unmapped: bool,
}

/// A YAML scalar read as text, so that `status: 200` means the label value `"200"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// What a case expects, checked before anything runs.
#[derive(Debug)]
struct Expectation {
    outcome: Option<Outcome>,
    name: Option<String>,
    prometheus_type: Option<String>,
    labels: Option<Vec<(String, String)>>,
}

/// One difference between expected and actual.
struct Mismatch {
    field: &'static str,
    expected: String,
    actual: String,
}

/// Reads a cases file.
///
/// # Errors
///
/// `file:line:column: message` for invalid YAML, unknown keys, a case that expects
/// nothing, or contradicting expectations.
fn load(text: &str, file: &str) -> Result<Vec<(u64, String, Expectation)>, String> {
    let cases: Vec<Spanned<Case>> = if text.trim().is_empty() {
        Vec::new()
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let plain = e.without_snippet();
            match plain.location() {
                Some(at) => format!("{file}:{}:{}: {plain}", at.line(), at.column()),
                None => format!("{file}: {plain}"),
            }
        })?
    };
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        let line = case.referenced.line();
        let at = format!("{file}:{line}:{}", case.referenced.column());
        let c = case.value;
        if c.dropped && c.unmapped {
            return Err(format!("{at}: a case cannot be both dropped and unmapped"));
        }
        if c.dropped && (c.name.is_some() || c.labels.is_some() || c.prometheus_type.is_some()) {
            return Err(format!(
                "{at}: a dropped metric has no name, type or labels to compare"
            ));
        }
        if let Some(t) = &c.prometheus_type
            && !matches!(t.as_str(), "counter" | "gauge" | "summary" | "histogram")
        {
            return Err(format!(
                "{at}: type must be counter, gauge, summary or histogram, not {t:?}"
            ));
        }
        let outcome = if c.dropped {
            Some(Outcome::Dropped)
        } else if c.unmapped {
            Some(Outcome::Unmapped)
        } else if c.name.is_some() || c.labels.is_some() || c.prometheus_type.is_some() {
            Some(Outcome::Mapped)
        } else {
            return Err(format!(
                "{at}: the case for {:?} expects nothing: give name, type, labels, dropped or unmapped",
                c.line
            ));
        };
        out.push((
            line,
            c.line,
            Expectation {
                outcome,
                name: c.name.map(|s| s.0),
                prometheus_type: c.prometheus_type,
                labels: c
                    .labels
                    .map(|l| l.into_iter().map(|(k, v)| (k, v.0)).collect()),
            },
        ));
    }
    Ok(out)
}

fn compare(expected: &Expectation, actual: &Decision) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(outcome) = expected.outcome
        && outcome != actual.outcome
    {
        let describe = |o: Outcome| match o {
            Outcome::Rejected(reason) => format!("rejected ({reason})"),
            other => other.as_str().to_string(),
        };
        out.push(Mismatch {
            field: "outcome",
            expected: describe(outcome),
            actual: describe(actual.outcome),
        });
    }
    if let Some(name) = &expected.name
        && *name != actual.name
    {
        out.push(Mismatch {
            field: "name",
            expected: name.clone(),
            actual: actual.name.clone(),
        });
    }
    if let Some(t) = &expected.prometheus_type
        && t != actual.prometheus_type
    {
        out.push(Mismatch {
            field: "type",
            expected: t.clone(),
            actual: actual.prometheus_type.to_string(),
        });
    }
    if let Some(labels) = &expected.labels
        && *labels != actual.labels
    {
        out.push(Mismatch {
            field: "labels",
            expected: crate::decision::format_labels(labels),
            actual: crate::decision::format_labels(&actual.labels),
        });
    }
    out
}

/// `- key="value"` / `+ key="value"` lines for labels that differ.
fn label_diff(expected: &[(String, String)], actual: &[(String, String)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (k, v) in expected {
        if !actual.iter().any(|(a, b)| a == k && b == v) {
            lines.push(format!("- {k}={v:?}"));
        }
    }
    for (k, v) in actual {
        if !expected.iter().any(|(a, b)| a == k && b == v) {
            lines.push(format!("+ {k}={v:?}"));
        }
    }
    lines
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let Some(mapper) = crate::load::mapper(&args.positionals[0], 0, err)? else {
        return Ok(1);
    };
    let file = args.positionals[1].as_str();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            writeln!(err, "error: {file}: cannot read cases: {e}")?;
            return Ok(2);
        }
    };
    let cases = match load(&text, file) {
        Ok(cases) => cases,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(2);
        }
    };
    if cases.is_empty() {
        writeln!(err, "error: {file}: no cases")?;
        return Ok(2);
    }
    let results = evaluate(&mapper, &cases);
    let failed = results.iter().filter(|r| !r.passed()).count();
    match args.format {
        Format::Json => {
            let items: Vec<Value> = results
                .iter()
                .map(|r| {
                    let mismatches: Vec<Value> = r
                        .mismatches
                        .iter()
                        .map(|m| json!({"field": m.field, "expected": m.expected, "actual": m.actual}))
                        .collect();
                    json!({
                        "line": r.line,
                        "input": r.input,
                        "passed": r.passed(),
                        "error": r.error,
                        "rule": r.rule,
                        "mismatches": mismatches,
                    })
                })
                .collect();
            let doc = json!({
                "cases": results.len(),
                "passed": results.len() - failed,
                "failed": failed,
                "results": items,
            });
            writeln!(out, "{doc:#}")?;
        }
        Format::Human => {
            for r in results.iter().filter(|r| !r.passed()) {
                human_failure(out, &mapper, file, &args.positionals[0], r)?;
            }
            writeln!(
                out,
                "{file}: {} cases, {} passed, {failed} failed",
                results.len(),
                results.len() - failed
            )?;
        }
    }
    Ok(u8::from(failed > 0))
}

struct CaseResult {
    line: u64,
    input: String,
    error: Option<String>,
    rule: Option<usize>,
    mismatches: Vec<Mismatch>,
    expected_labels: Option<Vec<(String, String)>>,
    actual_labels: Vec<(String, String)>,
}

impl CaseResult {
    fn passed(&self) -> bool {
        self.error.is_none() && self.mismatches.is_empty()
    }
}

fn evaluate(mapper: &Mapper, cases: &[(u64, String, Expectation)]) -> Vec<CaseResult> {
    let parser = Parser::new();
    let mut captures = Captures::new();
    cases
        .iter()
        .map(|(line, input, expected)| {
            let mut result = CaseResult {
                line: *line,
                input: input.clone(),
                error: None,
                rule: None,
                mismatches: Vec::new(),
                expected_labels: expected.labels.clone(),
                actual_labels: Vec::new(),
            };
            match subjects(&parser, input, MetricType::Counter) {
                Ok(list) if list.len() == 1 => {
                    let decision = decide(mapper, &mut captures, &list[0]);
                    result.rule = decision.rule;
                    result.mismatches = compare(expected, &decision);
                    result.actual_labels = decision.labels;
                }
                Ok(_) => {
                    result.error =
                        Some("the line has samples of several types: one type per case".into());
                }
                Err(reason) => result.error = Some(reason),
            }
            result
        })
        .collect()
}

fn human_failure(
    out: &mut dyn Write,
    mapper: &Mapper,
    file: &str,
    config: &str,
    r: &CaseResult,
) -> io::Result<()> {
    writeln!(out, "FAIL {file}:{}: {}", r.line, r.input)?;
    if let Some(error) = &r.error {
        writeln!(out, "  error: {error}")?;
    }
    for m in &r.mismatches {
        if m.field == "labels"
            && let Some(expected) = &r.expected_labels
        {
            writeln!(out, "  labels differ (- expected, + actual):")?;
            for line in label_diff(expected, &r.actual_labels) {
                writeln!(out, "    {line}")?;
            }
            continue;
        }
        writeln!(out, "  {}:", m.field)?;
        writeln!(out, "    - {}", m.expected)?;
        writeln!(out, "    + {}", m.actual)?;
    }
    match r.rule {
        Some(index) => {
            let rule = &mapper.config().rules()[index];
            writeln!(
                out,
                "  matched rule {index} at {config}:{}:{} ({:?})",
                rule.line(),
                rule.column(),
                rule.match_text()
            )?;
        }
        None if r.error.is_none() => writeln!(out, "  no rule matched")?,
        None => {}
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_load_with_positions_and_scalar_labels() {
        let text =
            "- line: a.b:1|c\n  labels: {status: 200, ok: true}\n- line: x|g\n  dropped: true\n";
        let cases = load(text, "c.yml").unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].0, 3);
        assert_eq!(
            cases[0].2.labels.as_deref(),
            Some(
                &[
                    ("ok".to_string(), "true".to_string()),
                    ("status".into(), "200".into())
                ][..]
            )
        );
        assert_eq!(cases[1].2.outcome, Some(Outcome::Dropped));
    }

    #[test]
    fn bad_cases_are_rejected_with_position() {
        let nothing = load("- line: a.b:1|c\n", "c.yml").unwrap_err();
        assert!(nothing.starts_with("c.yml:1:3: "), "{nothing}");
        assert!(load("- line: a\n  nmae: x\n", "c.yml").is_err());
        assert!(load("- line: a\n  dropped: true\n  name: x\n", "c.yml").is_err());
        assert!(load("- line: a\n  type: timer\n", "c.yml").is_err());
    }

    #[test]
    fn label_diff_lists_both_sides() {
        let e = vec![("a".to_string(), "1".to_string()), ("b".into(), "2".into())];
        let a = vec![("a".to_string(), "1".to_string()), ("b".into(), "3".into())];
        assert_eq!(label_diff(&e, &a), ["- b=\"2\"", "+ b=\"3\""]);
    }
}
