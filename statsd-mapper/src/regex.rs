//! Regex rules: one set pass finds every rule that matches, captures run on the winner.
//!
//! Patterns are Go RE2 syntax. Rust's `regex` accepts the same syntax for everything a
//! mapping uses, with one difference in meaning that [`translate_go_syntax`] removes:
//! Go's Perl classes (`\d`, `\w`, `\s`, `\b` and their negations) are ASCII-only, Rust's
//! are Unicode.

use regex::{CaptureLocations, Regex};
use regex_automata::meta;
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::{Dot, Hir, Look, Repetition};

use crate::captures::{Captures, Span};
use crate::kind::MetricKind;

/// Rewrites Go's ASCII Perl classes into explicit ASCII classes.
pub(crate) fn translate_go_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\f\\r ]"),
                    ('S', false) => Some("[^\\t\\n\\f\\r ]"),
                    ('d', true) => Some("0-9"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('s', true) => Some("\\t\\n\\f\\r "),
                    ('D', true) => Some("[^0-9]"),
                    ('W', true) => Some("[^0-9A-Za-z_]"),
                    ('S', true) => Some("[^\\t\\n\\f\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    _ => None,
                };
                match replacement {
                    Some(text) => out.push_str(text),
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                class_start = false;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]`: copy through its closing `]`.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
                class_start = false;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
        if c != '[' {
            class_start = false;
        }
    }
    out
}

/// Compiles one rule's pattern; the error text is the regex crate's explanation.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate_go_syntax(pattern)).map_err(|err| match err {
        regex::Error::Syntax(text) => text.lines().last().unwrap_or_default().trim().to_string(),
        other => other.to_string(),
    })
}

/// `pattern` followed by `(?s:.*)\z`, as a syntax tree: it matches the same names, but
/// every match ends at the end of the name. The set pass reports one match per position
/// where some pattern's match ends and resumes after each report, so a pattern that can
/// match at every position (`(.*)`, `foo|`) made it stop once per byte: about 850
/// instructions per byte of name, for every regex lookup, with a catch-all rule in the
/// file. Built from the tree rather than the text because a text suffix would be
/// swallowed by a `(?x)` comment in the pattern.
fn match_to_end(pattern: &str) -> Result<Hir, String> {
    let hir = regex_automata::util::syntax::parse(pattern).map_err(|err| err.to_string())?;
    let rest = Hir::repetition(Repetition {
        min: 0,
        max: None,
        greedy: true,
        sub: Box::new(Hir::dot(Dot::AnyChar)),
    });
    Ok(Hir::concat(vec![hir, rest, Hir::look(Look::End)]))
}

/// The compiled regex rules, in file order.
#[derive(Debug)]
pub(crate) struct RegexRules {
    set: Option<meta::Regex>,
    regexes: Vec<Regex>,
    /// File index of each regex rule.
    rules: Vec<u32>,
    /// `match_metric_type` of each regex rule.
    kinds: Vec<Option<MetricKind>>,
    /// Identifies this compiled set so scratch state is never reused across configs.
    id: u64,
}

/// Per-caller regex state: the set's match buffer and capture slots per rule.
#[derive(Default)]
pub(crate) struct RegexScratch {
    owner: u64,
    patterns: Option<PatternSet>,
    locations: Vec<Option<CaptureLocations>>,
}

impl RegexRules {
    pub(crate) fn new(
        id: u64,
        rules: Vec<(u32, Regex, Option<MetricKind>)>,
    ) -> Result<RegexRules, String> {
        let set = if rules.is_empty() {
            None
        } else {
            let patterns = rules
                .iter()
                .map(|(_, re, _)| match_to_end(re.as_str()))
                .collect::<Result<Vec<Hir>, String>>()?;
            // No literal prefilter: every pattern ends in `(?s:.*)\z`, so the set's lazy
            // DFA reads each name to its end anyway, and names are short. Building one
            // (an Aho-Corasick automaton over the rules' literal prefixes) was a third of
            // the cost of loading a config with many alternations (the mapper_config fuzz
            // target: 3.57 -> 2.56 G instructions over 300 corpus configs), and lookups
            // cost the same without it (regex100worst 3,471 -> 3,449 instructions).
            let config = meta::Config::new()
                .match_kind(MatchKind::All)
                .auto_prefilter(false);
            let set = meta::Builder::new()
                .configure(config)
                .build_many_from_hir(&patterns)
                .map_err(|err| err.to_string())?;
            Some(set)
        };
        let mut out = RegexRules {
            set,
            regexes: Vec::new(),
            rules: Vec::new(),
            kinds: Vec::new(),
            id,
        };
        for (rule, regex, kind) in rules {
            out.rules.push(rule);
            out.regexes.push(regex);
            out.kinds.push(kind);
        }
        Ok(out)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// Finds the first regex rule (file order) that matches `name` and accepts `kind`;
    /// fills `scratch.result` with its groups (0 = whole match).
    pub(crate) fn lookup(
        &self,
        kind: MetricKind,
        name: &str,
        scratch: &mut Captures,
    ) -> Option<u32> {
        let set = self.set.as_ref()?;
        let regex_scratch = &mut scratch.regex;
        if regex_scratch.owner != self.id || regex_scratch.patterns.is_none() {
            regex_scratch.owner = self.id;
            regex_scratch.patterns = Some(PatternSet::new(self.regexes.len()));
            regex_scratch.locations.clear();
            regex_scratch
                .locations
                .resize_with(self.regexes.len(), || None);
        }
        let patterns = regex_scratch.patterns.as_mut()?;
        patterns.clear();
        set.which_overlapping_matches(&Input::new(name), patterns);
        let winner = patterns
            .iter()
            .map(|pid| pid.as_usize())
            .find(|&i| self.kinds[i].is_none_or(|k| k == kind))?;
        let regex = &self.regexes[winner];
        let locations =
            regex_scratch.locations[winner].get_or_insert_with(|| regex.capture_locations());
        regex.captures_read(locations, name)?;
        scratch.result.clear();
        for group in 0..locations.len() {
            scratch.result.push(match locations.get(group) {
                Some((start, end)) => Span::new(start, end),
                None => Span::UNSET,
            });
        }
        Some(self.rules[winner])
    }

    /// Whether regex rule `rule` (by file index) matches `name`, for `explain`.
    pub(crate) fn is_match(&self, rule: u32, name: &str) -> bool {
        self.rules
            .iter()
            .position(|&r| r == rule)
            .is_some_and(|i| self.regexes[i].is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_perl_classes_are_ascii() {
        let re = compile(r"^\d+$").unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("١٢٣"));
        let re = compile(r"^\w+$").unwrap();
        assert!(!re.is_match("héllo"));
        let re = compile(r"^[\w.]+$").unwrap();
        assert!(re.is_match("a.b_c"));
        assert!(!re.is_match("é"));
        let re = compile(r"^[^\d]+$").unwrap();
        assert!(re.is_match("abc"));
        assert!(!re.is_match("a1"));
        let re = compile(r"^[]a]+$").unwrap();
        assert!(re.is_match("]a"));
        let re = compile(r"^[[:alpha:]\d]+$").unwrap();
        assert!(re.is_match("a1"));
        let re = compile(r"a\.b").unwrap();
        assert!(re.is_match("xa.by"));
        assert!(!re.is_match("axb"));
        assert!(compile(r"\bfoo\b").unwrap().is_match("a foo b"));
        assert!(compile(r"*\.foo").is_err());
    }
}
