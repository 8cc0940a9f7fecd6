//! A representative corpus made from the config's own rules, for `bench` without a corpus.
//!
//! For every rule (in file order) up to eight sample names are made:
//! - glob rules: each `*` becomes `v0`…`v7` (the variant number), literals are kept;
//! - regex rules: a small walk over the pattern keeps literal text (`\.` is a dot), turns
//!   `.`, classes and `\w`/`\d` into a letter or digit the class accepts (the variant text
//!   `vN` in the first wildcard position), takes the first alternative of `|` and one
//!   repetition of every quantifier; the first `.` is also tried with `..w` and
//!   `.a.b.c.d` appended, so that `(.+)` spans several components (what regex
//!   fallbacks behind glob rules are for).
//!
//! A sample is kept only if mapping it really selects its rule (so shadowed rules and
//! regexes too complex for the walk get no traffic, and are listed). Lines pick a sample
//! uniformly at random (xorshift, fixed seed), so every reachable rule gets about the same
//! share; one line in twenty is an unmatched name (`unmatched.generated.nK`, 50 names).
//! The StatsD type is the rule's `match_metric_type` (observer → `ms`), else `c`.

use statsd_mapper::{Captures, Mapper, MatchType, MetricKind, Rule};

/// Deterministic xorshift64*: the same seed gives the same corpus everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

/// Variants per rule.
const VARIANTS: usize = 8;

/// A generated corpus and the rules it could not cover.
pub struct Generated {
    pub text: Vec<u8>,
    /// Rules with traffic.
    pub covered: usize,
    /// (rule index, why) for rules without a sample.
    pub uncovered: Vec<(usize, &'static str)>,
}

pub fn generate(mapper: &Mapper, lines: usize, seed: u64) -> Generated {
    let mut captures = Captures::new();
    let mut pool: Vec<(String, MetricKind)> = Vec::new();
    let mut uncovered = Vec::new();
    let mut covered = 0;
    for rule in mapper.config().rules() {
        let kind = rule.metric_kind().unwrap_or(MetricKind::Counter);
        let before = pool.len();
        for variant in 0..VARIANTS {
            let candidates = [
                sample(rule, Some(variant), ""),
                sample(rule, Some(variant), "..w"),
                sample(rule, Some(variant), ".a.b.c.d"),
                sample(rule, None, ""),
            ];
            for name in candidates.into_iter().flatten() {
                let wins = mapper
                    .map_uncached(&name, kind, &mut captures)
                    .rule()
                    .is_some_and(|r| r.index() == rule.index());
                if wins && !pool[before..].iter().any(|(n, _)| *n == name) {
                    pool.push((name, kind));
                    break;
                }
            }
        }
        if pool.len() > before {
            covered += 1;
        } else {
            uncovered.push((
                rule.index(),
                match rule.match_type() {
                    MatchType::Glob => "no name made for it maps to it (an earlier rule wins)",
                    _ => "no name made for it maps to it (earlier rule wins, or the regex is beyond the generator)",
                },
            ));
        }
    }
    let mut rng = Rng::new(seed);
    let mut text = Vec::with_capacity(lines * 48);
    for _ in 0..lines {
        if pool.is_empty() || rng.below(20) == 0 {
            let n = rng.below(50);
            text.extend_from_slice(format!("unmatched.generated.n{n}:1|c\n").as_bytes());
            continue;
        }
        let (name, kind) = &pool[rng.below(pool.len())];
        let value = rng.below(1000);
        let line = match kind {
            MetricKind::Counter => format!("{name}:1|c\n"),
            MetricKind::Gauge => format!("{name}:{value}|g\n"),
            _ => format!("{name}:{}.{}|ms\n", value / 10, value % 10),
        };
        text.extend_from_slice(line.as_bytes());
    }
    Generated {
        text,
        covered,
        uncovered,
    }
}

/// A name the rule should match; `variant` makes wildcard parts distinct, `dots` is
/// appended to the first `.` wildcard of a regex (so that `(.+)` also spans several
/// components, which is what regex fallbacks behind glob rules are for).
fn sample(rule: &Rule, variant: Option<usize>, dots: &str) -> Option<String> {
    match rule.match_type() {
        MatchType::Glob => {
            if !dots.is_empty() {
                return None;
            }
            let fill = variant.map_or("x".to_string(), |v| format!("v{v}"));
            Some(rule.match_text().replace('*', &fill))
        }
        _ => regex_sample(rule.match_text(), variant, dots),
    }
}

/// Walks a regex, producing one string it (probably) matches. The caller verifies.
fn regex_sample(pattern: &str, variant: Option<usize>, dots: &str) -> Option<String> {
    let mut dots = Some(dots);
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut variant = variant;
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '^' | '$' => {}
            '(' => {
                depth += 1;
                // Non-capturing or named group prefixes.
                if chars.get(i) == Some(&'?') {
                    while i < chars.len() && chars[i] != ':' && chars[i] != '>' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '|' => {
                // Keep the first alternative: skip to the end of this group (or pattern).
                let mut level = 0usize;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 1,
                        '(' => level += 1,
                        ')' if level == 0 && depth > 0 => break,
                        ')' => level -= 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            '*' | '+' | '?' => {
                // One repetition, already emitted; a lazy `?` suffix too.
                if chars.get(i) == Some(&'?') {
                    i += 1;
                }
            }
            '{' => {
                while i < chars.len() && chars[i] != '}' {
                    i += 1;
                }
                i += 1;
            }
            '.' => {
                out.push_str(&wildcard(&mut variant, 'x'));
                out.push_str(dots.take().unwrap_or(""));
            }
            '[' => {
                let start = i;
                let negated = chars.get(i) == Some(&'^');
                let mut end = i + usize::from(negated);
                if chars.get(end) == Some(&']') {
                    end += 1;
                }
                while end < chars.len() && chars[end] != ']' {
                    if chars[end] == '\\' {
                        end += 1;
                    }
                    end += 1;
                }
                let class: String = chars[start..end.min(chars.len())].iter().collect();
                i = end + 1;
                if negated {
                    let excluded = &class[1..];
                    let pick = ['x', 'a', '0', '_']
                        .into_iter()
                        .find(|c| !excluded.contains(*c))?;
                    out.push_str(&wildcard(&mut variant, pick));
                } else {
                    let first = class.chars().find(|c| *c != '\\')?;
                    out.push(first);
                }
            }
            '\\' => {
                let escaped = *chars.get(i)?;
                i += 1;
                match escaped {
                    'd' => out.push('1'),
                    'w' => out.push_str(&wildcard(&mut variant, 'a')),
                    'b' | 'A' | 'z' => {}
                    's' | 'S' | 'D' | 'W' | 'p' | 'P' => return None,
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// The first wildcard of a variant sample is `vN`, later ones the fallback character.
fn wildcard(variant: &mut Option<usize>, fallback: char) -> String {
    match variant.take() {
        Some(v) => format!("v{v}"),
        None => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statsd_mapper::MapperConfig;

    #[test]
    fn regex_walk() {
        assert_eq!(
            regex_sample(
                r"^Mastodon\.production\.web\.(.+)\.(.+)\.status\.(.+)$",
                None,
                ""
            )
            .unwrap(),
            "Mastodon.production.web.x.x.status.x"
        );
        assert_eq!(
            regex_sample(r"a\.([^.]+)\.(?:get|set)\.\d+", Some(3), "").unwrap(),
            "a.v3.get.1"
        );
        assert_eq!(
            regex_sample(r"^s\.(.+)\.t$", Some(2), "..w").unwrap(),
            "s.v2..w.t"
        );
    }

    #[test]
    fn odd_patterns_do_not_panic() {
        for pattern in [
            "[",
            "\\",
            "(?P<n>x)",
            "a{2,}",
            "[]a]",
            "[^]a]",
            "(",
            ")",
            "|",
            "a|b",
            "(a|(b))c",
            "[^.xa0_]+",
            "\\p{L}",
            "é.ü",
            "[\\]]",
            "x{",
            "^$",
            "(?i)abc",
            "(?:",
        ] {
            for dots in ["", "..w"] {
                let _ = regex_sample(pattern, Some(1), dots);
                let _ = regex_sample(pattern, None, dots);
            }
        }
        assert_eq!(regex_sample("(a|(b))c", None, "").unwrap(), "ac");
        assert_eq!(regex_sample("[^.xa0_]+", None, ""), None);
    }

    #[test]
    fn every_reachable_rule_gets_traffic() {
        let yaml = "mappings:\n- match: a.*.b\n  name: ab\n- match: a.x.b\n  name: never\n- match: 'c\\.(\\w+)\\.d'\n  match_type: regex\n  match_metric_type: gauge\n  name: cd\n";
        let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None).unwrap(), 0);
        let g = generate(&mapper, 400, 7);
        let text = String::from_utf8(g.text).unwrap();
        assert_eq!(text.lines().count(), 400);
        assert!(text.contains("a.v0.b:1|c"));
        assert!(text.contains("c.v1.d:"));
        assert!(text.contains("|g"));
        assert_eq!((g.covered, g.uncovered.len()), (2, 1));
        assert_eq!(g.uncovered[0].0, 1);
        assert_eq!(generate(&mapper, 400, 7).text, text.as_bytes());
    }
}
