//! Regex rules: one set pass finds every rule that matches, captures run on the winner.
//!
//! Patterns are Go RE2 syntax: [`crate::go_syntax`] rewrites them into the syntax of
//! Rust's regex-syntax with Go's meaning, and Go's bounds on repetitions are checked on
//! the parsed pattern ([`crate::repeat_limit`]).

use std::sync::OnceLock;

use regex_automata::meta;
use regex_automata::util::captures::Captures as GroupSlots;
use regex_automata::{Input, PatternSet};
use regex_syntax::hir::{Dot, Hir, Look, Repetition};

use crate::capture_budget::{CAPTURE_TABLE_BUDGET, estimated_table_bytes, keep_only};
use crate::captures::{Captures, Span};
use crate::go_syntax;
use crate::kind::MetricKind;
use crate::regex_set::MatchSet;
use crate::repeat_limit::{self, MAX_REPEAT_COUNT};

/// One regex rule's pattern, checked: translated from Go's syntax, parsed, its groups known.
///
/// Loading a config checks every pattern (syntax, and that it cannot match invalid UTF-8)
/// but compiles none on its own: the rules are compiled together into one set, and a
/// rule's own regex, which only extracts the groups of a name the set says it matches, is
/// compiled the first time that happens ([`RegexRules::lookup`]). Compiling every rule's
/// regex at load doubled the cost of loading a config, for rules most names never reach.
#[derive(Debug)]
pub(crate) struct CheckedRegex {
    hir: Hir,
    groups: usize,
    names: Vec<Option<String>>,
    /// When only some groups capture ([`CheckedRegex::limit_captures`]): their original
    /// indices, ascending (group `i + 1` of `hir` is group `kept[i]` of the pattern).
    kept: Option<Box<[u32]>>,
}

impl CheckedRegex {
    /// Explicit capture groups (`$0`, the whole match, not counted).
    pub(crate) fn groups(&self) -> usize {
        self.groups
    }

    /// The name of each group, index 0 (the whole match, never named) first.
    pub(crate) fn names(&self) -> &[Option<String>] {
        &self.names
    }

    /// Keeps capturing only the groups in `used` (those the rule's templates reference)
    /// when all of them would take more memory than [`CAPTURE_TABLE_BUDGET`]
    /// ([`crate::capture_budget`]).
    pub(crate) fn limit_captures(&mut self, used: impl IntoIterator<Item = usize>) {
        if estimated_table_bytes(&self.hir, self.groups) <= CAPTURE_TABLE_BUDGET {
            return;
        }
        let mut kept: Vec<u32> = used
            .into_iter()
            .filter(|&group| group >= 1 && group <= self.groups)
            .map(|group| group as u32)
            .collect();
        kept.sort_unstable();
        kept.dedup();
        self.hir = keep_only(&self.hir, &kept);
        self.kept = Some(kept.into());
    }
}

/// Checks one rule's pattern; the error text is the syntax Go lacks
/// ([`crate::go_syntax`]), the regex parser's explanation (the last line of it, without
/// the pattern and caret the config error already shows), or which of Go's repetition
/// bounds ([`crate::repeat_limit`]) it breaks.
pub(crate) fn check(pattern: &str) -> Result<CheckedRegex, String> {
    let go_syntax::Translated { pattern, names } = go_syntax::translate(pattern)?;
    let explain = |err: regex_syntax::Error| {
        err.to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    // The defaults of both are those of `regex_automata::util::syntax::parse`.
    let ast = regex_syntax::ast::parse::Parser::new()
        .parse(&pattern)
        .map_err(|err| explain(err.into()))?;
    if let Some(copies) = repeat_limit::nested_product(&ast) {
        return Err(format!(
            "invalid repeat count: nested counted repetitions repeat an expression {copies} \
             times; Go's regular expressions, which statsd_exporter uses, allow at most \
             {MAX_REPEAT_COUNT}"
        ));
    }
    let hir = regex_syntax::hir::translate::Translator::new()
        .translate(&pattern, &ast)
        .map_err(|err| explain(err.into()))?;
    // Counted as Go counts them, every `(` that captures: the HIR leaves out groups that
    // can never match (`(a){0}`), though the engine numbers the groups after them alike.
    let groups = names.len() - 1;
    Ok(CheckedRegex {
        hir,
        groups,
        names,
        kept: None,
    })
}

/// A rule's own regex, for captures: leftmost-first, as Go's `FindStringSubmatchIndex`.
///
/// A pattern anchored at the start (`^…`, as statsd_exporter's regex rules nearly always
/// are) is compiled without the lazy DFA, which finds where a match ends and then, from a
/// second, reverse compile of the pattern, where it starts, so that the capture engine
/// runs over the match alone. An anchored match starts at 0 and ends where the capture
/// engine stops, so those passes and the reverse compile bought nothing. An unanchored
/// pattern keeps them: without, the capture engine tries every start (the crate docs'
/// Performance section has the figures).
fn compile_for_captures(hir: &Hir) -> Result<meta::Regex, String> {
    let anchored = hir.properties().look_set_prefix().contains(Look::Start);
    meta::Builder::new()
        .configure(meta::Config::new().auto_prefilter(false).hybrid(!anchored))
        .build_from_hir(hir)
        .map_err(|err| explain_build_error(err.size_limit(), &err))
}

/// The engine's reason, with the limit when a size limit was exceeded (its own text says
/// only "error building NFA").
pub(crate) fn explain_build_error(
    size_limit: Option<usize>,
    err: &dyn std::fmt::Display,
) -> String {
    match size_limit {
        Some(limit) => format!("the compiled regex exceeds the size limit of {limit} bytes"),
        None => err.to_string(),
    }
}

/// `pattern` followed by `(?s:.*)\z`: it matches the same names, but every match ends at
/// the end of the name. The set pass reports one match per position where some pattern's
/// match ends and resumes after each report, so a pattern that can match at every
/// position (`(.*)`, `foo|`) made it stop once per byte: about 850 instructions per byte
/// of name, for every regex lookup, with a catch-all rule in the file. Built on the
/// syntax tree rather than the text, so that nothing in the pattern (an unclosed `\Q`, a
/// flag) can change what the suffix means.
fn match_to_end(hir: &Hir) -> Hir {
    let rest = Hir::repetition(Repetition {
        min: 0,
        max: None,
        greedy: true,
        sub: Box::new(Hir::dot(Dot::AnyChar)),
    });
    Hir::concat(vec![hir.clone(), rest, Hir::look(Look::End)])
}

/// One rule's regex: its checked pattern, compiled on first use.
#[derive(Debug)]
struct RuleRegex {
    hir: Hir,
    /// The pattern's explicit groups, and which of them `hir` captures when not all.
    groups: usize,
    kept: Option<Box<[u32]>>,
    /// `None` inside: it did not compile. It cannot fail where the set (the same pattern
    /// and more, within the same size limits) compiled; should it, the rule matches nothing.
    compiled: OnceLock<Option<meta::Regex>>,
}

impl RuleRegex {
    fn get(&self) -> Option<&meta::Regex> {
        self.compiled
            .get_or_init(|| compile_for_captures(&self.hir).ok())
            .as_ref()
    }
}

/// The compiled regex rules, in file order.
#[derive(Debug)]
pub(crate) struct RegexRules {
    set: Option<MatchSet>,
    regexes: Vec<RuleRegex>,
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
    locations: Vec<Option<GroupSlots>>,
}

/// Why the regex rules could not be compiled.
#[derive(Debug)]
pub(crate) struct TooLarge {
    /// File index of the rule that is too large alone, if one is.
    pub(crate) rule: Option<u32>,
    pub(crate) detail: String,
}

impl RegexRules {
    /// Compiles the set of `rules` (file index, checked pattern, type filter).
    ///
    /// # Errors
    ///
    /// When the set exceeds the regex engine's size limits; [`TooLarge::rule`] names the
    /// first rule too large on its own, if one is.
    pub(crate) fn new(
        id: u64,
        rules: Vec<(u32, CheckedRegex, Option<MetricKind>)>,
    ) -> Result<RegexRules, TooLarge> {
        let set = if rules.is_empty() {
            None
        } else {
            let patterns: Vec<Hir> = rules
                .iter()
                .map(|(_, re, _)| match_to_end(&re.hir))
                .collect();
            let set = MatchSet::new(&patterns).map_err(|detail| TooLarge {
                // Only on failure: find the rule that is too large by itself.
                rule: rules
                    .iter()
                    .find(|(_, re, _)| compile_for_captures(&re.hir).is_err())
                    .map(|(rule, _, _)| *rule),
                detail,
            })?;
            Some(set)
        };
        let mut out = RegexRules {
            set,
            regexes: Vec::with_capacity(rules.len()),
            rules: Vec::with_capacity(rules.len()),
            kinds: Vec::with_capacity(rules.len()),
            id,
        };
        for (rule, regex, kind) in rules {
            out.rules.push(rule);
            out.regexes.push(RuleRegex {
                hir: regex.hir,
                groups: regex.groups,
                kept: regex.kept,
                compiled: OnceLock::new(),
            });
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
        set.which_match(name, patterns);
        let winner = patterns
            .iter()
            .map(|pid| pid.as_usize())
            .find(|&i| self.kinds[i].is_none_or(|k| k == kind))?;
        let regex = self.regexes[winner].get()?;
        let locations =
            regex_scratch.locations[winner].get_or_insert_with(|| regex.create_captures());
        regex.search_captures(&Input::new(name), locations);
        if !locations.is_match() {
            return None;
        }
        let span = |group| match locations.get_group(group) {
            Some(span) => Span::new(span.start, span.end),
            None => Span::UNSET,
        };
        scratch.result.clear();
        match &self.regexes[winner].kept {
            None => {
                scratch.result.extend((0..locations.group_len()).map(span));
                // Groups after the last the engine knows (`(b)(a){0}`) are unset.
                scratch
                    .result
                    .resize(self.regexes[winner].groups + 1, Span::UNSET);
            }
            Some(kept) => {
                // Groups that do not capture are unset.
                scratch
                    .result
                    .resize(self.regexes[winner].groups + 1, Span::UNSET);
                scratch.result[0] = span(0);
                for (position, &group) in kept.iter().enumerate() {
                    scratch.result[group as usize] = span(position + 1);
                }
            }
        }
        Some(self.rules[winner])
    }

    /// The regex rules (by file index) that match `name`, whatever their type filter, for
    /// `explain`, so that no rule's own regex is compiled to say it does not match.
    /// `scratch` must be fresh from looking `name` up: when that lookup ran the set pass,
    /// its answer is reused; otherwise the set runs here.
    pub(crate) fn matching(&self, name: &str, scratch: &Captures) -> Vec<u32> {
        let Some(set) = &self.set else {
            return Vec::new();
        };
        let regex = &scratch.regex;
        let mut own = None;
        let matched = match &regex.patterns {
            Some(patterns) if regex.owner == self.id => patterns,
            _ => own.insert({
                let mut patterns = PatternSet::new(self.regexes.len());
                set.which_match(name, &mut patterns);
                patterns
            }),
        };
        matched.iter().map(|i| self.rules[i.as_usize()]).collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Text rich in the characters Go's syntax gives a meaning, and in multi-byte ones.
    fn syntax_soup() -> impl Strategy<Value = String> {
        const PIECES: [&str; 31] = [
            "\\", "[", "]", "{", "}", "(", ")", "?", "P<", ":", "^", "$", "-", ",", "Q", "E", "x",
            "p", "0", "7", "2", "a", "<", "é", "&&", "~", "#", " ", ".", "*", "|",
        ];
        prop::collection::vec(prop::sample::select(&PIECES[..]), 0..40).prop_map(|p| p.concat())
    }

    /// Go's `regexp.QuoteMeta`.
    fn quote_meta(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #[test]
        fn quoted_text_matches_itself_alone(text in syntax_soup()) {
            // As in Go, `\Q…\E` and `QuoteMeta` make any text a pattern matching itself.
            let mut patterns = vec![format!("^{}$", quote_meta(&text))];
            if !text.contains("\\E") {
                patterns.push(format!("^\\Q{text}\\E$"));
            }
            for pattern in patterns {
                let re = compile(&pattern).map_err(TestCaseError::fail)?;
                prop_assert!(re.is_match(&text), "{} on {:?}", pattern, text);
                let longer = format!("{text}a");
                prop_assert!(!re.is_match(&longer), "{} on {:?}", pattern, longer);
            }
        }
    }

    fn compile(pattern: &str) -> Result<meta::Regex, String> {
        let checked = check(pattern)?;
        compile_for_captures(&checked.hir)
    }

    /// `pattern` compiles, matches `matches` and does not match `misses`, as in Go.
    fn assert_matches_as_in_go(pattern: &str, matches: &str, misses: &str) {
        let re = compile(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}"));
        assert!(re.is_match(matches), "{pattern} should match {matches:?}");
        assert!(
            !re.is_match(misses),
            "{pattern} should not match {misses:?}"
        );
    }

    #[test]
    fn groups_and_their_names_come_from_the_syntax_tree() {
        let checked = check(r"^(?P<first>a)(b(?<third>c))?(?:d)(e)$").unwrap();
        assert_eq!(checked.groups(), 4);
        let names: Vec<Option<&str>> = checked.names().iter().map(Option::as_deref).collect();
        assert_eq!(names, [None, Some("first"), None, Some("third"), None]);
        assert_eq!(check("abc").unwrap().groups(), 0);
    }

    #[test]
    fn a_bad_pattern_is_explained_in_one_line() {
        let err = check("a(b").unwrap_err();
        assert_eq!(err, "error: unclosed group");
        // Rust's way to match bytes of invalid UTF-8 needs a flag Go does not have.
        assert!(
            check(r"(?-u:\xFF)")
                .unwrap_err()
                .starts_with("invalid flag `u`")
        );
    }

    #[test]
    fn only_unanchored_patterns_get_a_lazy_dfa() {
        let table = [
            ("^a(b)", false),
            ("^a|^b", false),
            (r"\Aa", false),
            ("a(b)", true),
            ("(?m)^a", true),
            ("a|^b", true),
        ];
        for (pattern, lazy_dfa) in table {
            let re = compile(pattern).unwrap();
            assert_eq!(re.get_config().get_hybrid(), lazy_dfa, "{pattern}");
        }
    }

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

    #[test]
    fn a_brace_go_reads_as_a_literal_is_one() {
        // (pattern, a name it matches in Go, a name it does not)
        for (pattern, matches, misses) in [
            (r"^a{2}$", "aa", "a{2}"),
            (r"^a{2,}$", "aaa", "a"),
            (r"^a{2,3}$", "aaa", "aaaa"),
            (r"^a{0}b$", "b", "ab"),
            (r"^a{bar}$", "a{bar}", "a"),
            (r"^a{ 2 }$", "a{ 2 }", "aa"),
            (r"^a{02}$", "a{02}", "aa"),
            (r"^a{2,x}$", "a{2,x}", "aa"),
            (r"^a{,5}$", "a{,5}", "aaaaa"),
            (r"^x{}$", "x{}", "x"),
            (r"^a{$", "a{", "a"),
            (r"^a{2$", "a{2", "aa"),
            (r"^a{-1}$", "a{-1}", "a"),
            (r"^[{]a{1}$", "{a", "a"),
            (r"^\{2}$", "{2}", "{{"),
        ] {
            assert_matches_as_in_go(pattern, matches, misses);
        }
        // A count Go reads as one, but with nothing to repeat, is an error in both.
        assert!(compile("{2}").is_err());
    }

    #[test]
    fn patterns_match_what_they_match_in_go() {
        // (pattern, a name it matches in Go, a name it does not)
        for (pattern, matches, misses) in [
            (r"^\Qa.b\E$", "a.b", "axb"),
            (r"^\Qa+\E+$", "a++", "aa+"),
            (r"^x\Q(y$", "x(y$", "x(y"),
            (r"^a\056b$", "a.b", "axb"),
            (r"^a\0b$", "a\0b", "ab"),
            (r"^\<a\>$", "<a>", "a"),
            (r"^[a[b]+$", "a[b", "a]"),
            (r"^[a[b]]$", "[]", "b"),
            (r"^[a&&b]+$", "a&b", "c"),
            (r"^[a~~c]+$", "a~c", "b"),
            (r"^[+--]+$", ",-+", "a"),
            (r"^[a-c-e]+$", "b-e", "d"),
            (r"^\p{^L}+$", "12", "ab"),
            (r"^[\<\>]+$", "<>", "a"),
            (r"^\x{41}\x42$", "AB", "ab"),
            (r"^(?i)ab$", "AB", "ac"),
        ] {
            assert_matches_as_in_go(pattern, matches, misses);
        }
    }
}
