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
            findings.extend(
                crate::lint::observer_options_never_applied(&text)
                    .into_iter()
                    .map(|lint| Finding {
                        severity: "warning",
                        kind: "option_never_applies",
                        text: source_text(&text, lint.line, lint.column),
                        line: lint.line,
                        column: lint.column,
                        message: lint.message,
                    }),
            );
            findings.sort_by_key(|f| (f.line, f.column));
        }
        Err(err) => {
            // The load reports every broken rule (`Error::all`), except that a YAML shape
            // error (unknown key, wrong type) stops it: then blank that rule and go on.
            findings.extend(err.all().map(error));
            if err.kind() == ErrorKind::Yaml {
                for more in further_errors(&text, path, err) {
                    findings.extend(more.all().map(error));
                }
            }
        }
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
                None => writeln!(
                    out,
                    "{}: {errors} {}, not loaded",
                    path.display(),
                    if errors == 1 { "error" } else { "errors" }
                )?,
            }
        }
    }
    Ok(u8::from(failed))
}

/// The most errors reported for one file.
const MAX_ERRORS: usize = 50;

/// The mapper reports every broken rule, but a YAML shape error stops its load. To go on
/// past one, blank the rule the last error is in (keeping line numbers) and load again,
/// until the config loads, a load reports its rule errors (all of them: `Error::all`), or
/// an error lies outside a `mappings:` item (defaults, YAML structure).
fn further_errors(text: &str, path: &Path, first: &Error) -> Vec<Error> {
    let mut lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut line = first.line();
    while found.len() + 1 < MAX_ERRORS {
        let Some((start, end)) = mapping_item(&lines, line) else {
            break;
        };
        for l in &mut lines[start..end] {
            *l = "";
        }
        let blanked = lines.join("\n");
        match MapperConfig::from_yaml_str(&blanked, Some(path)) {
            Ok(_) => break,
            // Blanking must move the error on; anything else means it is not the rule's.
            Err(err) if err.line() as usize > end || (err.line() as usize) <= start => {
                line = err.line();
                let shape = err.kind() == ErrorKind::Yaml;
                found.push(err);
                if !shape {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    found
}

/// The 0-based line range `[start, end)` of the `mappings:` list item holding 1-based
/// `line`, for block-style YAML (`mappings:` at column 1, items starting with `- `).
fn mapping_item(lines: &[&str], line: u64) -> Option<(usize, usize)> {
    let target = usize::try_from(line).ok()?.checked_sub(1)?;
    let header = lines.iter().position(|l| l.starts_with("mappings:"))?;
    if target <= header || target >= lines.len() {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let is_item = |l: &str| {
        let t = l.trim_start();
        t.starts_with("- ") || t == "-"
    };
    let item_indent = lines[header + 1..]
        .iter()
        .find(|l| is_item(l))
        .map(|l| indent(l))?;
    let mut start = None;
    for (i, l) in lines.iter().enumerate().take(target + 1).skip(header + 1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent(l) < item_indent || (indent(l) == item_indent && !is_item(l)) {
            start = None; // left the list
        } else if indent(l) == item_indent {
            start = Some(i);
        }
    }
    let start = start?;
    let mut end = lines.len();
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent(l) <= item_indent {
            end = i;
            break;
        }
    }
    (target < end).then_some((start, end))
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
    fn mapping_items_are_found_by_line() {
        let text = "defaults:\n  ttl: 1m\nmappings:\n  # web\n  - match: a\n    name: a\n\n  - match: b\n    labels:\n      x: y\nother: 1\n";
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(mapping_item(&lines, 2), None);
        assert_eq!(mapping_item(&lines, 6), Some((4, 7)));
        assert_eq!(mapping_item(&lines, 10), Some((7, 10)));
        assert_eq!(mapping_item(&lines, 11), None);
    }

    #[test]
    fn every_broken_rule_is_reported() {
        // Rule errors come in one load; a YAML shape error (line 4) stops a load.
        let text = "mappings:\n- match: a.b\n  name: ok\n- match: a.b\n  bogus: 1\n- match: a.b!\n  name: x\n- match: c\n- match: '(('\n  match_type: regex\n  name: y\n";
        let first = MapperConfig::from_yaml_str(text, None).unwrap_err();
        assert_eq!((first.line(), first.kind()), (5, ErrorKind::Yaml));
        let more = further_errors(text, Path::new("c.yml"), &first);
        assert_eq!(more.len(), 1);
        let all: Vec<(u64, ErrorKind)> = more[0].all().map(|e| (e.line(), e.kind())).collect();
        assert_eq!(
            all,
            [
                (6, ErrorKind::InvalidGlob),
                (8, ErrorKind::MissingName),
                (9, ErrorKind::InvalidRegex)
            ]
        );
    }

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
