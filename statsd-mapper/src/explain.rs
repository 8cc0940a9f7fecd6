//! `explain`: which rule matched a name and why each rule before it did not.

use std::fmt;

use crate::captures::Captures;
use crate::glob::Component;
use crate::kind::MetricKind;
use crate::mapper::Mapper;
use crate::rule::{MatchType, Pattern, Rule};

/// Why a rule did or did not map a name.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// This rule maps the name.
    Matched,
    /// `match_metric_type` restricts the rule to another class.
    WrongKind {
        /// The class the rule accepts.
        accepts: MetricKind,
    },
    /// The glob has a different number of components than the name.
    ComponentCount {
        /// Components in the pattern.
        pattern: usize,
        /// Components in the name.
        name: usize,
    },
    /// Glob component `index` (0-based) does not match.
    Component {
        /// 0-based component index.
        index: usize,
        /// The pattern's component.
        pattern: String,
        /// The name's component.
        name: String,
    },
    /// The regex does not match anywhere in the name.
    RegexNoMatch,
    /// The glob matches, but with `glob_disable_ordering` a more specific rule won.
    LessSpecific,
}

/// One rule's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 0-based rule index in `mappings:`.
    pub rule: usize,
    /// The rule's `match` text.
    pub match_text: String,
    /// Glob or regex.
    pub match_type: MatchType,
    /// 1-based line of the rule.
    pub line: u64,
    /// What happened.
    pub verdict: Verdict,
}

/// The answer of [`Mapper::explain`]: rules in the order they are tried (every glob rule,
/// then every regex rule), up to the winner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The name explained.
    pub name: String,
    /// Its class.
    pub kind: MetricKind,
    /// Rules considered, in precedence order.
    pub steps: Vec<Step>,
    /// Index of the winning rule, `None` when unmapped.
    pub winner: Option<usize>,
}

impl Mapper {
    /// Explains how `name` of class `kind` is mapped: the winning rule and, for every rule
    /// tried before it, why it did not match.
    ///
    /// Meant for people (a CLI, a debug endpoint): it allocates and is not fast.
    ///
    /// ```
    /// use statsd_mapper::{Mapper, MapperConfig, MetricKind, Verdict};
    ///
    /// let yaml = "mappings:\n- match: a.b.*\n  name: ab\n- match: a.*.c\n  match_metric_type: gauge\n  name: ac\n- match: a.*.*\n  name: any\n";
    /// let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None)?, 0);
    /// let explanation = mapper.explain("a.x.c", MetricKind::Counter);
    /// assert_eq!(explanation.winner, Some(2));
    /// assert!(matches!(explanation.steps[0].verdict, Verdict::Component { index: 1, .. }));
    /// assert!(matches!(explanation.steps[1].verdict, Verdict::WrongKind { .. }));
    /// println!("{explanation}");
    /// # Ok::<(), statsd_mapper::Error>(())
    /// ```
    pub fn explain(&self, name: &str, kind: MetricKind) -> Explanation {
        let mut captures = Captures::new();
        let winner = self.find(kind, name, &mut captures).map(|r| r as usize);
        let rules = self.config().rules();
        let ordered = self.config().defaults().glob_ordering();
        let globs = rules.iter().filter(|r| r.match_type() == MatchType::Glob);
        let regexes = rules.iter().filter(|r| r.match_type() == MatchType::Regex);
        let winner_is_glob = winner.is_some_and(|w| rules[w].match_type() == MatchType::Glob);
        let mut steps = Vec::new();
        let parts: Vec<&str> = name.split('.').collect();
        let regex_matches = self.config().regexes.matching(name, &captures);
        for rule in globs.chain(regexes) {
            let is_winner = Some(rule.index()) == winner;
            // Unordered glob winner: every glob rule is listed, regex rules never run.
            if winner_is_glob && !ordered && rule.match_type() == MatchType::Regex {
                break;
            }
            let verdict = if is_winner {
                Verdict::Matched
            } else {
                verdict(rule, &parts, &regex_matches, kind)
            };
            steps.push(Step {
                rule: rule.index(),
                match_text: rule.match_text().to_string(),
                match_type: rule.match_type(),
                line: rule.line(),
                verdict,
            });
            if is_winner && (ordered || !winner_is_glob) {
                break;
            }
        }
        Explanation {
            name: name.to_string(),
            kind,
            steps,
            winner,
        }
    }
}

/// Why `rule` does not map a name, split on dots into `parts`; `regex_matches` are the
/// regex rules that match it.
fn verdict(rule: &Rule, parts: &[&str], regex_matches: &[u32], kind: MetricKind) -> Verdict {
    if let Some(accepts) = rule.metric_kind().filter(|k| *k != kind) {
        return Verdict::WrongKind { accepts };
    }
    match &rule.pattern {
        Pattern::Glob(pattern) => {
            if parts.len() != pattern.components.len() {
                return Verdict::ComponentCount {
                    pattern: pattern.components.len(),
                    name: parts.len(),
                };
            }
            for (index, (component, part)) in pattern.components.iter().zip(parts).enumerate() {
                let matches = component.matches(part)
                    || (matches!(component, Component::Star) && *part == "*");
                if !matches {
                    return Verdict::Component {
                        index,
                        pattern: component.text().to_string(),
                        name: (*part).to_string(),
                    };
                }
            }
            Verdict::LessSpecific
        }
        Pattern::Regex => {
            if regex_matches.contains(&(rule.index() as u32)) {
                // Only reachable for rules after a regex winner, which are not listed.
                Verdict::Matched
            } else {
                Verdict::RegexNoMatch
            }
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({}):", self.name, self.kind)?;
        for step in &self.steps {
            let kind = match step.match_type {
                MatchType::Glob => "glob",
                MatchType::Regex => "regex",
            };
            write!(
                f,
                "  rule {} (line {}) {kind} {:?}: ",
                step.rule, step.line, step.match_text
            )?;
            match &step.verdict {
                Verdict::Matched => writeln!(f, "matches, wins")?,
                Verdict::WrongKind { accepts } => writeln!(f, "only for {accepts} metrics")?,
                Verdict::ComponentCount { pattern, name } => {
                    writeln!(f, "has {pattern} components, the name has {name}")?
                }
                Verdict::Component {
                    index,
                    pattern,
                    name,
                } => writeln!(
                    f,
                    "component {} {pattern:?} does not match {name:?}",
                    index + 1
                )?,
                Verdict::RegexNoMatch => writeln!(f, "does not match")?,
                Verdict::LessSpecific => writeln!(f, "matches, but a more specific rule wins")?,
            }
        }
        if self.winner.is_none() {
            writeln!(f, "  no rule matches: unmapped")?;
        }
        Ok(())
    }
}
