//! Differential test: the glob trie against a naive reference matcher that turns each
//! glob into an anchored regex and scans the rules linearly.
//!
//! * ordered mode: the first rule in file order whose regex matches wins;
//! * unordered mode: among matching rules, the one whose components are most specific
//!   from left to right (literal over partial over `*`) wins.
//!
//! Both must agree on the rule and on every capture.

use proptest::prelude::*;
use regex::Regex;
use statsd_mapper::*;

const LITERALS: [&str; 4] = ["a", "b", "c", "ab"];
const PARTIALS: [&str; 3] = ["a*", "*b", "{a,c}"];
const NAME_PARTS: [&str; 7] = ["a", "b", "c", "ab", "", "ba", "cb"];

#[derive(Clone, Debug)]
struct TestRule {
    components: Vec<String>,
    kind: Option<MetricKind>,
}

fn component(with_partials: bool) -> impl Strategy<Value = String> {
    let literal = prop::sample::select(&LITERALS[..]).prop_map(str::to_string);
    let star = Just("*".to_string());
    if with_partials {
        prop_oneof![3 => literal, 2 => star, 1 => prop::sample::select(&PARTIALS[..]).prop_map(str::to_string)].boxed()
    } else {
        prop_oneof![3 => literal, 2 => star].boxed()
    }
}

fn kind() -> impl Strategy<Value = Option<MetricKind>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(MetricKind::Counter)),
        1 => Just(Some(MetricKind::Gauge)),
        1 => Just(Some(MetricKind::Observer)),
    ]
}

fn rules(with_partials: bool) -> impl Strategy<Value = Vec<TestRule>> {
    prop::collection::vec(
        (
            prop::collection::vec(component(with_partials), 1..5),
            kind(),
        )
            .prop_map(|(components, kind)| TestRule { components, kind }),
        1..25,
    )
}

fn names() -> impl Strategy<Value = Vec<(String, MetricKind)>> {
    let name = prop::collection::vec(prop::sample::select(&NAME_PARTS[..]), 1..5)
        .prop_map(|parts| parts.join("."));
    let kind = prop::sample::select(&MetricKind::ALL[..]);
    prop::collection::vec((name, kind), 1..40)
}

fn yaml(rules: &[TestRule], ordered: bool) -> String {
    let mut text = format!(
        "defaults:\n  glob_disable_ordering: {}\nmappings:\n",
        !ordered
    );
    for (i, rule) in rules.iter().enumerate() {
        text.push_str(&format!(
            "- match: \"{}\"\n  name: r{i}\n",
            rule.components.join(".")
        ));
        if let Some(kind) = rule.kind {
            text.push_str(&format!("  match_metric_type: {kind}\n"));
        }
    }
    text
}

fn component_regex(component: &str) -> String {
    match component {
        "*" => "([^.]*)".into(),
        "a*" => "(a[^.]*)".into(),
        "*b" => "([^.]*b)".into(),
        "{a,c}" => "(a|c)".into(),
        literal => regex::escape(literal),
    }
}

/// Specificity of a component for unordered mode.
fn rank(component: &str) -> u8 {
    match component {
        "*" => 0,
        "a*" | "*b" | "{a,c}" => 1,
        _ => 2,
    }
}

struct Reference {
    rules: Vec<(Regex, TestRule)>,
    ordered: bool,
}

impl Reference {
    fn new(rules: &[TestRule], ordered: bool) -> Reference {
        let rules = rules
            .iter()
            .map(|rule| {
                let body: Vec<String> =
                    rule.components.iter().map(|c| component_regex(c)).collect();
                (
                    Regex::new(&format!("^{}$", body.join(r"\."))).unwrap(),
                    rule.clone(),
                )
            })
            .collect();
        Reference { rules, ordered }
    }

    /// The winning rule and its captures.
    fn map(&self, name: &str, kind: MetricKind) -> Option<(usize, Vec<String>)> {
        let mut best: Option<(usize, Vec<u8>)> = None;
        for (index, (regex, rule)) in self.rules.iter().enumerate() {
            if rule.kind.is_some_and(|k| k != kind) || !regex.is_match(name) {
                continue;
            }
            if self.ordered {
                best = Some((index, Vec::new()));
                break;
            }
            let ranks: Vec<u8> = rule.components.iter().map(|c| rank(c)).collect();
            if best.as_ref().is_none_or(|(_, b)| ranks > *b) {
                best = Some((index, ranks));
            }
        }
        let (index, _) = best?;
        let captures = self.rules[index].0.captures(name).unwrap();
        Some((
            index,
            captures
                .iter()
                .skip(1)
                .map(|m| m.map_or("", |m| m.as_str()).to_string())
                .collect(),
        ))
    }
}

fn check(
    rules: &[TestRule],
    names: &[(String, MetricKind)],
    ordered: bool,
) -> Result<(), TestCaseError> {
    let config = MapperConfig::from_yaml_str(&yaml(rules, ordered), None).unwrap();
    let unreachable: Vec<u64> = config
        .warnings()
        .iter()
        .filter(|w| w.kind() == WarningKind::UnreachableRule)
        .map(Warning::line)
        .collect();
    let mapper = Mapper::new(config, 64);
    let reference = Reference::new(rules, ordered);
    let mut captures = Captures::new();
    for (name, kind) in names {
        let expected = reference.map(name, *kind);
        for cached in [false, true, true] {
            let mapping = if cached {
                mapper.map(name, *kind, &mut captures)
            } else {
                mapper.map_uncached(name, *kind, &mut captures)
            };
            let got = mapping.rule().map(|rule| {
                let count = mapping.capture_count().saturating_sub(1);
                (
                    rule.index(),
                    (1..=count)
                        .map(|i| mapping.capture(i).unwrap_or("").to_string())
                        .collect::<Vec<_>>(),
                )
            });
            prop_assert_eq!(&got, &expected, "name {:?} kind {:?}", name, kind);
            if let Some(rule) = mapping.rule() {
                prop_assert!(
                    !unreachable.contains(&rule.line()),
                    "rule {} flagged unreachable but won",
                    rule.index()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn trie_agrees_with_reference_ordered(rules in rules(true), names in names()) {
        check(&rules, &names, true)?;
    }

    #[test]
    fn trie_agrees_with_reference_unordered(rules in rules(false), names in names()) {
        check(&rules, &names, false)?;
    }

    #[test]
    fn trie_agrees_with_reference_unordered_partials(rules in rules(true), names in names()) {
        // With partial components, unordered mode tries partial edges in the order they
        // were first created; the reference ranks all partials equally, so compare only
        // configurations where no two different partials share a position.
        let mut seen: Vec<(usize, String)> = Vec::new();
        for rule in &rules {
            for (i, c) in rule.components.iter().enumerate() {
                if rank(c) == 1 && !seen.iter().any(|(j, d)| *j == i && d == c) {
                    seen.push((i, c.clone()));
                }
            }
        }
        let clash = seen.iter().any(|(i, c)| seen.iter().any(|(j, d)| i == j && c != d));
        prop_assume!(!clash);
        check(&rules, &names, false)?;
    }
}
