//! `statsd-mapper explain CONFIG LINE…`: the winning rule, the result, and why every
//! rule tried before it did not match.

use std::io::{self, BufRead, Write};

use serde_json::{Value, json};
use statsd_mapper::{Captures, Explanation, Mapper, MatchType, MetricKind, Step, Verdict};
use statsd_proto::Parser;

use crate::args::{Args, Format};
use crate::decision::{Decision, Outcome, Subject, decide, format_labels, subjects};

pub fn run(
    args: &Args,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let Some(mapper) = crate::load::mapper(&args.positionals[0], 0, err)? else {
        return Ok(1);
    };
    let file = args.positionals[0].as_str();
    let mut inputs: Vec<String> = Vec::new();
    for arg in &args.positionals[1..] {
        if arg == "-" {
            for line in stdin.lines() {
                let line = line?;
                let line = line.trim_end_matches('\r');
                if !line.trim().is_empty() {
                    inputs.push(line.to_string());
                }
            }
        } else {
            inputs.push(arg.clone());
        }
    }
    let parser = Parser::new();
    let mut captures = Captures::new();
    let mut failed = false;
    let mut documents = Vec::new();
    for input in &inputs {
        match subjects(&parser, input, args.metric_type) {
            Ok(list) => {
                for subject in list {
                    let decision = decide(&mapper, &mut captures, &subject);
                    // Sets have no class: explain them as counters (the outcome says they are rejected).
                    let kind = decision.kind.unwrap_or(MetricKind::Counter);
                    let explanation = mapper.explain(&subject.name, kind);
                    match args.format {
                        Format::Human => {
                            human(out, file, &mapper, input, &subject, &decision, &explanation)?
                        }
                        Format::Json => documents.push(to_json(
                            file,
                            &mapper,
                            input,
                            &subject,
                            &decision,
                            &explanation,
                        )),
                    }
                }
            }
            Err(reason) => {
                failed = true;
                match args.format {
                    Format::Human => writeln!(out, "{input}\n  error: {reason}\n")?,
                    Format::Json => documents.push(json!({"input": input, "error": reason})),
                }
            }
        }
    }
    if args.format == Format::Json {
        writeln!(out, "{:#}", Value::Array(documents))?;
    }
    Ok(u8::from(failed))
}

fn match_type(t: MatchType) -> &'static str {
    match t {
        MatchType::Glob => "glob",
        _ => "regex",
    }
}

/// (verdict keyword, sentence) for one step.
fn verdict(step: &Step) -> (&'static str, String) {
    match &step.verdict {
        Verdict::Matched => ("matched", "matches, wins".to_string()),
        Verdict::WrongKind { accepts } => (
            "wrong_type",
            format!("match_metric_type: {accepts} (only {accepts} metrics)"),
        ),
        Verdict::ComponentCount { pattern, name } => (
            "component_count",
            format!("has {pattern} components, the name has {name}"),
        ),
        Verdict::Component {
            index,
            pattern,
            name,
        } => (
            "component",
            format!(
                "component {} {pattern:?} does not match {name:?}",
                index + 1
            ),
        ),
        Verdict::RegexNoMatch => ("regex_no_match", "the regex does not match".to_string()),
        Verdict::LessSpecific => (
            "less_specific",
            "matches, but a more specific rule wins (glob_disable_ordering)".to_string(),
        ),
        _ => ("other", "does not match".to_string()),
    }
}

fn location(file: &str, mapper: &Mapper, rule: usize) -> String {
    let rule = &mapper.config().rules()[rule];
    format!("{file}:{}:{}", rule.line(), rule.column())
}

fn human(
    out: &mut dyn Write,
    file: &str,
    mapper: &Mapper,
    input: &str,
    subject: &Subject,
    decision: &Decision,
    explanation: &Explanation,
) -> io::Result<()> {
    writeln!(
        out,
        "{input}\n  statsd:  {} ({})",
        subject.name, subject.metric_type
    )?;
    let rules = mapper.config().rules();
    let rule_text = |index: usize| {
        let rule = &rules[index];
        format!(
            "rule {index} at {} ({} {:?})",
            location(file, mapper, index),
            match_type(rule.match_type()),
            rule.match_text()
        )
    };
    match decision.outcome {
        Outcome::Mapped => {
            let rule = decision.rule.map(rule_text).unwrap_or_default();
            writeln!(out, "  result:  mapped by {rule}")?;
        }
        Outcome::Dropped => {
            let rule = decision.rule.map(rule_text).unwrap_or_default();
            writeln!(out, "  result:  dropped by {rule} (action: drop)")?;
        }
        Outcome::Unmapped => writeln!(
            out,
            "  result:  unmapped: no rule matches, exported under the escaped StatsD name"
        )?,
        Outcome::Rejected(reason) => {
            writeln!(out, "  result:  rejected: {reason}")?;
        }
    }
    if !decision.name.is_empty() {
        writeln!(
            out,
            "  metric:  {}{} {}",
            decision.name,
            format_labels(&decision.labels),
            decision.prometheus_type
        )?;
    }
    let tried: Vec<&Step> = explanation
        .steps
        .iter()
        .filter(|s| Some(s.rule) != decision.rule)
        .collect();
    if !tried.is_empty() && decision.kind.is_some() {
        writeln!(out, "  not matched:")?;
        for step in tried {
            let (_, sentence) = verdict(step);
            writeln!(
                out,
                "    rule {} at {} ({} {:?}): {sentence}",
                step.rule,
                location(file, mapper, step.rule),
                match_type(step.match_type),
                step.match_text
            )?;
        }
    }
    writeln!(out)
}

fn to_json(
    file: &str,
    mapper: &Mapper,
    input: &str,
    subject: &Subject,
    decision: &Decision,
    explanation: &Explanation,
) -> Value {
    let rules = mapper.config().rules();
    let rule = decision.rule.map(|index| {
        let r = &rules[index];
        json!({
            "index": index,
            "file": file,
            "line": r.line(),
            "column": r.column(),
            "match": r.match_text(),
            "match_type": match_type(r.match_type()),
        })
    });
    // Sets never reach the rules: no steps.
    let steps: Vec<Value> = explanation
        .steps
        .iter()
        .filter(|_| decision.kind.is_some())
        .map(|step| {
            let (keyword, sentence) = verdict(step);
            let r = &rules[step.rule];
            json!({
                "rule": step.rule,
                "line": r.line(),
                "column": r.column(),
                "match": step.match_text,
                "match_type": match_type(step.match_type),
                "verdict": keyword,
                "reason": sentence,
            })
        })
        .collect();
    let labels: serde_json::Map<String, Value> = decision
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let reason = match decision.outcome {
        Outcome::Rejected(reason) => Some(reason),
        _ => None,
    };
    json!({
        "input": input,
        "statsd_name": subject.name,
        "statsd_type": subject.metric_type.as_str(),
        "outcome": decision.outcome.as_str(),
        "reason": reason,
        "rule": rule,
        "name": (!decision.name.is_empty()).then_some(&decision.name),
        "labels": labels,
        "type": (!decision.prometheus_type.is_empty()).then_some(decision.prometheus_type),
        "steps": steps,
    })
}
