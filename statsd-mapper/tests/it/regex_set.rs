//! Differential test of the regex rules: the mapper (one set pass, captures on the winner)
//! against a linear reference (each rule's own `regex::Regex`, first match in file order
//! whose `match_metric_type` accepts the kind). The pattern pool leans on what makes a set
//! pass tricky: patterns that match the empty string or at every position, anchors,
//! `(?m)`, lazy repetitions, case folding and multi-byte names. Every pattern means the
//! same in Go's syntax and in Rust's, so `regex::Regex` can be the reference. Some names
//! are long, so that the set's lazy DFA and a rule's capture engine see names of the
//! length a hostile sender can send, where an anchored rule (no lazy DFA) and an
//! unanchored one (lazy DFA, then captures on the match alone) search differently.
//! `explain`, which asks the set which rules match, must give each rule's true verdict.

use proptest::prelude::*;
use regex::Regex;
use statsd_mapper::*;

const PATTERNS: [&str; 18] = [
    "(.*)",
    "a",
    "^a",
    "a$",
    "b|",
    "(?U)(a+)b?",
    "(?m)^b$",
    "é+",
    "(a+)(b*)",
    r"\.",
    "^$",
    "(?i)A.B",
    "x?",
    r"[^.]+\.c$",
    r"\z",
    "(?s)^.{3}$",
    r"(?P<word>[a-z]+)\.(?P<rest>.*)",
    "(?i)É|B$",
];
const NAME_PARTS: [&str; 8] = ["a", "b", "c", "ab", "", "é", "AxB", "b\nb"];

fn kind() -> impl Strategy<Value = Option<MetricKind>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(MetricKind::Counter)),
        1 => Just(Some(MetricKind::Gauge)),
        1 => Just(Some(MetricKind::Observer)),
    ]
}

fn rules() -> impl Strategy<Value = Vec<(&'static str, Option<MetricKind>)>> {
    prop::collection::vec((prop::sample::select(&PATTERNS[..]), kind()), 1..8)
}

fn names() -> impl Strategy<Value = Vec<(String, MetricKind)>> {
    let parts = prop::collection::vec(prop::sample::select(&NAME_PARTS[..]), 1..5);
    let name = (parts, prop::option::weighted(0.2, 0..5usize)).prop_map(|(mut parts, long)| {
        // 2,100 bytes of filler, at any position, in one name out of five.
        let filler = "ab.".repeat(700);
        if let Some(at) = long {
            parts.insert(at.min(parts.len()), &filler);
        }
        parts.join(".")
    });
    prop::collection::vec((name, prop::sample::select(&MetricKind::ALL[..])), 1..20)
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn yaml(rules: &[(&str, Option<MetricKind>)]) -> String {
    let mut out = String::from("mappings:\n");
    for (i, (pattern, kind)) in rules.iter().enumerate() {
        out.push_str(&format!(
            "- match: {}\n  match_type: regex\n  name: r{i}\n",
            quoted(pattern)
        ));
        if let Some(kind) = kind {
            let kind = match kind {
                MetricKind::Counter => "counter",
                MetricKind::Gauge => "gauge",
                _ => "observer",
            };
            out.push_str(&format!("  match_metric_type: {kind}\n"));
        }
    }
    out
}

/// The winner's file index and its groups (0: the whole match; `None`: a group that did
/// not take part), by trying each rule in turn.
fn reference(
    rules: &[(&str, Option<MetricKind>)],
    name: &str,
    kind: MetricKind,
) -> Option<(usize, Vec<Option<String>>)> {
    rules.iter().enumerate().find_map(|(i, (pattern, only))| {
        if only.is_some_and(|only| only != kind) {
            return None;
        }
        let groups = Regex::new(pattern).unwrap().captures(name)?;
        let groups = groups
            .iter()
            .map(|group| group.map(|g| g.as_str().to_string()));
        Some((i, groups.collect()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_set_pass_picks_the_first_matching_rule(rules in rules(), names in names()) {
        let mapper = Mapper::new(MapperConfig::from_yaml_str(&yaml(&rules), None).unwrap(), 16);
        let mut captures = Captures::new();
        for (name, kind) in &names {
            let expected = reference(&rules, name, *kind);
            for cached in [false, true] {
                let mapping = if cached {
                    mapper.map(name, *kind, &mut captures)
                } else {
                    mapper.map_uncached(name, *kind, &mut captures)
                };
                let got = mapping.rule().map(|rule| {
                    let groups = expected.as_ref().map_or(1, |(_, groups)| groups.len());
                    let groups = (0..groups).map(|i| mapping.capture(i).map(str::to_string));
                    (rule.index(), groups.collect::<Vec<_>>())
                });
                prop_assert_eq!(&got, &expected, "name {:?} kind {:?}", name, kind);
            }
            // `explain` lists every rule up to the winner, each with why it lost.
            let explanation = mapper.explain(name, *kind);
            let winner = expected.as_ref().map(|(rule, _)| *rule);
            prop_assert_eq!(explanation.winner, winner);
            prop_assert_eq!(explanation.steps.len(), winner.map_or(rules.len(), |w| w + 1));
            for step in &explanation.steps {
                let (pattern, only) = rules[step.rule];
                let verdict = if Some(step.rule) == winner {
                    Verdict::Matched
                } else if let Some(accepts) = only.filter(|only| only != kind) {
                    Verdict::WrongKind { accepts }
                } else {
                    prop_assert!(!Regex::new(pattern).unwrap().is_match(name));
                    Verdict::RegexNoMatch
                };
                prop_assert_eq!(&step.verdict, &verdict, "rule {} on {:?}", step.rule, name);
            }
        }
    }
}
