//! Keeping the memory a rule's captures take within a budget.
//!
//! A rule's own regex extracts its groups with regex-automata's PikeVM (or its
//! backtracker), whose per-thread cache holds two slot tables of
//! `NFA states × 2 × (groups + 1)` offsets, allocated in full when the cache is made. That is nothing for the
//! patterns mappings hold (a few hundred states, a few groups), but a 5.7 KB pattern with
//! 137 groups found by the mapper_config fuzz target compiles to about 250,000 states,
//! and its first lookup allocated 1.1 GB (Go's regexp, for the same pattern: 50 MB).
//!
//! Only the groups a rule's templates use matter to the mapping. So when the estimated
//! tables exceed [`CAPTURE_TABLE_BUDGET`], the rule's regex is compiled with only those
//! groups capturing; the others become plain groups, which match the same text (a
//! group's capturing never changes which match is found).

use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};

/// The largest estimated slot tables (bytes, per thread) for which a rule keeps all of
/// its groups.
pub(crate) const CAPTURE_TABLE_BUDGET: u64 = 64 << 20;

/// The estimated bytes of the PikeVM's slot tables for `hir` with `groups` explicit
/// groups: two tables of one 8-byte offset per slot and state.
pub(crate) fn estimated_table_bytes(hir: &Hir, groups: usize) -> u64 {
    let slots = 2 * (groups as u64 + 1);
    estimated_states(hir)
        .saturating_mul(slots)
        .saturating_mul(2 * 8)
}

/// A rough count of the NFA states `hir` compiles to: a state per literal byte, per UTF-8
/// length of a class's ranges, per alternative, copies for counted repetitions.
fn estimated_states(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|range| range.end().len_utf8() as u64)
            .sum::<u64>()
            .max(1),
        HirKind::Class(Class::Bytes(_)) => 1,
        HirKind::Repetition(repetition) => {
            let copies = repetition
                .max
                .map_or(u64::from(repetition.min) + 1, |max| u64::from(max.max(1)));
            estimated_states(&repetition.sub).saturating_mul(copies)
        }
        HirKind::Capture(capture) => estimated_states(&capture.sub).saturating_add(2),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs
            .iter()
            .map(estimated_states)
            .fold(subs.len() as u64, u64::saturating_add),
    }
}

/// `hir` with only the groups in `keep` (original indices, ascending) capturing,
/// renumbered 1, 2, … in that order; every other group becomes a plain group.
pub(crate) fn keep_only(hir: &Hir, keep: &[u32]) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            sub: Box::new(keep_only(&repetition.sub, keep)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => {
            let sub = keep_only(&capture.sub, keep);
            match keep.binary_search(&capture.index) {
                Ok(position) => Hir::capture(Capture {
                    index: position as u32 + 1,
                    name: capture.name.clone(),
                    sub: Box::new(sub),
                }),
                Err(_) => sub,
            }
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(|sub| keep_only(sub, keep)).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|sub| keep_only(sub, keep)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::meta;

    use super::*;

    fn hir(pattern: &str) -> Hir {
        regex_syntax::parse(pattern).expect(pattern)
    }

    #[test]
    fn mapping_patterns_stay_far_below_the_budget() {
        for pattern in [
            r"^Mastodon\.production\.web\.(.+)\.(.+)\.(.+)\.status\.(\d+)$",
            r"^([a-z]+)\.(?P<verb>get|post)\.(.*)$",
            r".*",
        ] {
            let groups = hir(pattern).properties().explicit_captures_len();
            assert!(
                estimated_table_bytes(&hir(pattern), groups) < 1 << 20,
                "{pattern}"
            );
        }
        // 137 groups and 100 copies of a large Unicode class: well over (regex-automata
        // compiles `\pL{100}` to about 30,000 states).
        let big = format!("{}(\\pL{{100}})", "(a)".repeat(136));
        assert!(estimated_table_bytes(&hir(&big), 137) > CAPTURE_TABLE_BUDGET);
    }

    #[test]
    fn kept_groups_capture_what_they_captured_and_the_others_match_alike() {
        let pattern = r"(a)(b+)?(?P<c>c|(d))(e*)\.(.)";
        let full = meta::Regex::new(pattern).unwrap();
        let kept = [2, 4, 6];
        let reduced = meta::Builder::new()
            .build_from_hir(&keep_only(&hir(pattern), &kept))
            .unwrap();
        assert_eq!(reduced.captures_len(), kept.len() + 1);
        for name in ["abbce.x", "ad.y", "ace", "xabde.z"] {
            let (mut a, mut b) = (full.create_captures(), reduced.create_captures());
            full.captures(name, &mut a);
            reduced.captures(name, &mut b);
            assert_eq!(a.get_group(0), b.get_group(0), "{name}");
            for (position, &group) in kept.iter().enumerate() {
                assert_eq!(
                    a.get_group(group as usize),
                    b.get_group(position + 1),
                    "{name} group {group}"
                );
            }
        }
    }
}
