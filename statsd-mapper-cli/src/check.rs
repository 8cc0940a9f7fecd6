//! `statsd-mapper check CONFIG`: every load error and warning, compiler style.

use std::io::{self, Write};
use std::path::Path;

use serde_json::json;
use statsd_mapper::{Error, ErrorKind, MapperConfig, Warning, WarningKind};

use crate::args::{Args, Format};

/// A finding with its place in the file.
struct Finding {
    severity: &'static str,
    kind: &'static str,
    line: u64,
    column: u64,
    /// The offending text (errors), or the source text at the position (warnings).
    text: String,
    message: String,
}

pub fn run(args: &Args, out: &mut dyn Write) -> io::Result<u8> {
    let path = Path::new(&args.positionals[0]);
    // Read the text here too (not only `from_path`) to quote source lines.
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let result = MapperConfig::from_path(path);
    let mut findings = Vec::new();
    let mut rule_count = None;
    match &result {
        Ok(config) => {
            rule_count = Some(config.rules().len());
            findings.extend(config.warnings().iter().map(|w| warning(w, &text)));
        }
        Err(err) => findings.push(error(err)),
    }
    let errors = findings.iter().filter(|f| f.severity == "error").count();
    let warnings = findings.len() - errors;
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    match args.format {
        Format::Json => {
            let items: Vec<_> = findings
                .iter()
                .map(|f| {
                    json!({
                        "severity": f.severity,
                        "kind": f.kind,
                        "file": path.display().to_string(),
                        "line": f.line,
                        "column": f.column,
                        "text": f.text,
                        "message": f.message,
                    })
                })
                .collect();
            let doc = json!({
                "file": path.display().to_string(),
                "ok": !failed,
                "rules": rule_count,
                "errors": errors,
                "warnings": warnings,
                "findings": items,
            });
            writeln!(out, "{doc:#}")?;
        }
        Format::Human => {
            for f in &findings {
                write!(out, "{}:", path.display())?;
                if f.line > 0 {
                    write!(out, "{}:{}:", f.line, f.column)?;
                }
                writeln!(out, " {}: {}", f.severity, f.message)?;
                if let Some(snippet) = snippet(&text, f.line, f.column) {
                    out.write_all(snippet.as_bytes())?;
                }
            }
            match rule_count {
                Some(rules) => writeln!(
                    out,
                    "{}: {rules} rules, {errors} errors, {warnings} warnings",
                    path.display()
                )?,
                None => writeln!(out, "{}: {errors} error, not loaded", path.display())?,
            }
        }
    }
    Ok(u8::from(failed))
}

fn error(err: &Error) -> Finding {
    // The error's Display is `file:line:column: message`; keep the message only.
    let full = err.to_string();
    let mut message = full.as_str();
    if let Some(file) = err.file() {
        let file = file.display().to_string();
        message = message.strip_prefix(file.as_str()).unwrap_or(message);
        message = message.strip_prefix(':').unwrap_or(message);
    }
    if err.line() > 0 {
        let at = format!("{}:{}:", err.line(), err.column());
        message = message.strip_prefix(at.as_str()).unwrap_or(message);
    }
    Finding {
        severity: "error",
        kind: error_kind(err.kind()),
        line: err.line(),
        column: err.column(),
        text: err.text().to_string(),
        message: message.trim_start().to_string(),
    }
}

fn warning(w: &Warning, text: &str) -> Finding {
    Finding {
        severity: "warning",
        kind: match w.kind() {
            WarningKind::DeprecatedKey => "deprecated_key",
            WarningKind::UnreachableRule => "unreachable_rule",
            _ => "other",
        },
        line: w.line(),
        column: w.column(),
        text: source_text(text, w.line(), w.column()),
        message: w.message().to_string(),
    }
}

/// The error kind in snake case, stable for scripts.
pub fn error_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io => "io",
        ErrorKind::Yaml => "yaml",
        ErrorKind::InvalidGlob => "invalid_glob",
        ErrorKind::InvalidRegex => "invalid_regex",
        ErrorKind::MissingName => "missing_name",
        ErrorKind::InvalidMetricName => "invalid_metric_name",
        ErrorKind::InvalidLabelName => "invalid_label_name",
        ErrorKind::InvalidMatchType => "invalid_match_type",
        ErrorKind::InvalidObserverType => "invalid_observer_type",
        ErrorKind::InvalidMetricType => "invalid_metric_type",
        ErrorKind::InvalidAction => "invalid_action",
        ErrorKind::InvalidDuration => "invalid_duration",
        ErrorKind::ConflictingOptions => "conflicting_options",
        ErrorKind::UnsupportedMetricType => "unsupported_metric_type",
        _ => "other",
    }
}

/// The text of `line` from `column` on, trimmed (what a warning points at).
fn source_text(text: &str, line: u64, column: u64) -> String {
    let Some(source) = line
        .checked_sub(1)
        .and_then(|l| text.lines().nth(l as usize))
    else {
        return String::new();
    };
    source
        .chars()
        .skip(column.saturating_sub(1) as usize)
        .collect::<String>()
        .trim()
        .to_string()
}

/// ` 12 |   - match: a.b*c` and a caret under the column.
pub fn snippet(text: &str, line: u64, column: u64) -> Option<String> {
    let source = text.lines().nth(line.checked_sub(1)? as usize)?;
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    // Keep tabs so the caret lines up with the source in a terminal.
    let under: String = source
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!(
        " {number} | {source}\n {pad} | {under}^\n",
        source = source.trim_end()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_points_at_the_column() {
        let text = "a: 1\nmappings:\n- match: x\n";
        assert_eq!(
            snippet(text, 3, 10).unwrap(),
            " 3 | - match: x\n   |          ^\n"
        );
        assert_eq!(snippet(text, 9, 1), None);
        assert_eq!(source_text(text, 3, 3), "match: x");
    }
}
