//! The set pass over every regex rule: which rules match a name.
//!
//! Built from regex-automata's parts instead of a `meta::Regex`. The set answers only
//! *which* patterns match, and that takes one forward pass: the forward lazy DFA, or the
//! PikeVM where the lazy DFA cannot be built or gives up, exactly as `meta::Regex`'s
//! `which_overlapping_matches` does. A `meta::Regex` also compiles every pattern a second
//! time, backwards, for the reverse lazy DFA that finds where a match starts, which a set
//! search never asks. Leaving it out cut building the set by a third (300 configs of the
//! mapper_config fuzz corpus: 3.30 → 2.27 G instructions in building their sets).

use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, NFA, WhichCaptures, pikevm};
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::Hir;

use crate::regex::explain_build_error;

/// The NFA size limit, `meta::Regex`'s default, as for a rule's own regex.
const NFA_SIZE_LIMIT: usize = 10 << 20;
/// The lazy DFA's cache, `meta::Regex`'s default. A set too large for a few states in
/// it gets no lazy DFA and always uses the PikeVM.
const LAZY_DFA_CACHE: usize = 2 << 20;

/// Every regex rule's pattern, compiled together; pattern `i` is regex rule `i`.
#[derive(Debug)]
pub(crate) struct MatchSet {
    lazy_dfa: Option<hybrid::dfa::DFA>,
    pikevm: pikevm::PikeVM,
    /// Search state, one per thread searching at once, kept with the set (as in a
    /// `meta::Regex`) so that it outlives any one caller's scratch: `explain` makes a
    /// fresh scratch per call, and a PikeVM cache for a large set costs millions of
    /// instructions to make.
    caches: Pool<SearchCache>,
}

/// One thread's search state; each engine's part is made on its first search.
#[derive(Debug, Default)]
struct SearchCache {
    lazy_dfa: Option<hybrid::dfa::Cache>,
    pikevm: Option<pikevm::Cache>,
}

impl MatchSet {
    /// Compiles `patterns`, which must already match only at the end of a name (the set
    /// reports every position where a match ends).
    ///
    /// # Errors
    ///
    /// The reason, when the NFA exceeds [`NFA_SIZE_LIMIT`].
    pub(crate) fn new(patterns: &[Hir]) -> Result<MatchSet, String> {
        let nfa: NFA = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(NFA_SIZE_LIMIT))
                    .shrink(false)
                    .which_captures(WhichCaptures::None),
            )
            .build_many_from_hir(patterns)
            .map_err(|err| explain_build_error(err.size_limit(), &err))?;
        // The same settings as `meta::Regex` gives its lazy DFA, but for a forward search
        // only; it refuses to build when the cache cannot hold a few states.
        // No literal prefilter: every pattern ends in `(?s:.*)\z`, so the lazy DFA reads
        // each name to its end anyway, and names are short. Building one (an Aho-Corasick
        // automaton over the rules' literal prefixes) was a third of the cost of loading a
        // config with many alternations (the mapper_config fuzz target: 3.57 -> 2.56 G
        // instructions over 300 corpus configs), and lookups cost the same without it
        // (regex100worst 3,471 -> 3,449 instructions).
        let lazy_dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(MatchKind::All)
                    .unicode_word_boundary(true)
                    .cache_capacity(LAZY_DFA_CACHE)
                    .skip_cache_capacity_check(false)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .build_from_nfa(nfa.clone())
            .ok();
        let pikevm = pikevm::Builder::new()
            .configure(pikevm::Config::new().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            // Only Unicode word boundaries without Unicode data fail here; ours has it.
            .map_err(|err| explain_build_error(None, &err))?;
        Ok(MatchSet {
            lazy_dfa,
            pikevm,
            caches: Pool::new(SearchCache::default),
        })
    }

    /// Adds to `matched` every pattern that matches `name`.
    pub(crate) fn which_match(&self, name: &str, matched: &mut PatternSet) {
        let mut cache = self.caches.get();
        self.search(&mut cache, name, matched);
        PoolGuard::put(cache);
    }

    fn search(&self, cache: &mut SearchCache, name: &str, matched: &mut PatternSet) {
        let input = Input::new(name);
        if let Some(dfa) = &self.lazy_dfa {
            let dfa_cache = cache.lazy_dfa.get_or_insert_with(|| dfa.create_cache());
            if dfa
                .try_which_overlapping_matches(dfa_cache, &input, matched)
                .is_ok()
            {
                return;
            }
            // The lazy DFA gave up (its cache kept filling up); what it found stands.
        }
        let pikevm_cache = cache
            .pikevm
            .get_or_insert_with(|| self.pikevm.create_cache());
        self.pikevm
            .which_overlapping_matches(pikevm_cache, &input, matched);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> MatchSet {
        let hirs: Vec<Hir> = patterns
            .iter()
            .map(|p| regex_syntax::parse(p).unwrap())
            .collect();
        MatchSet::new(&hirs).unwrap()
    }

    fn which(set: &MatchSet, name: &str) -> Vec<usize> {
        let mut matched = PatternSet::new(set.pikevm.get_nfa().pattern_len());
        set.which_match(name, &mut matched);
        matched.iter().map(|pattern| pattern.as_usize()).collect()
    }

    #[test]
    fn every_matching_pattern_is_found() {
        let set = set(&["a", "^b", "c$", "x"]);
        assert_eq!(which(&set, "bac"), [0, 1, 2]);
        assert_eq!(which(&set, "cab"), [0]);
        assert!(which(&set, "").is_empty());
    }

    #[test]
    fn a_set_too_large_for_the_lazy_dfa_is_searched_by_the_pikevm() {
        let set = set(&[r"\pL{300}", "z"]);
        assert!(set.lazy_dfa.is_none(), "the lazy DFA was built");
        assert_eq!(which(&set, &"é".repeat(300)), [0]);
        assert_eq!(which(&set, &"é".repeat(299)), [] as [usize; 0]);
        assert_eq!(which(&set, "zz"), [1]);
    }

    #[test]
    fn a_lazy_dfa_that_gives_up_hands_the_name_to_the_pikevm() {
        // `a[ab]{16}` needs a DFA state for each of the last 16 letters seen: the cache
        // fills with states used once, and the lazy DFA gives up.
        let set = set(&["a[ab]{16}c", "b{40}", "z"]);
        let mut letters = 0x2545_F491_u32;
        let mut name: String = (0..200_000)
            .map(|_| {
                letters ^= letters << 13;
                letters ^= letters >> 17;
                letters ^= letters << 5;
                if letters & 1 == 0 { 'a' } else { 'b' }
            })
            .collect();
        name.push_str(&format!("a{}c", "b".repeat(16)));
        let dfa = set.lazy_dfa.as_ref().expect("the lazy DFA builds");
        let mut cache = dfa.create_cache();
        let mut matched = PatternSet::new(3);
        assert!(
            dfa.try_which_overlapping_matches(&mut cache, &Input::new(&name), &mut matched)
                .is_err(),
            "the lazy DFA did not give up, so this test does not reach the PikeVM"
        );
        assert_eq!(which(&set, &name), [0]);
    }
}
