//! The glob rules compiled into a component trie, one root per metric class.
//!
//! Lookup cost depends on the name (its components and the branching it meets), not on
//! the number of rules: each level is one hash lookup for the literal edge plus the `*`
//! edge and any partial-component edges.
//!
//! * Ordered mode (the default) must return the matching rule that comes first in the
//!   file. The search is a depth-first walk over every edge that matches, pruned by the
//!   smallest rule index below each node and by the range of remaining component counts,
//!   so it stops as soon as no better rule can be found.
//! * Unordered mode (`glob_disable_ordering`) returns the first complete path in the
//!   order literal edge, partial edges (in file order), `*` edge, backtracking when a path
//!   dead-ends.

use std::collections::HashMap;

use crate::captures::{Captures, Span};
use crate::glob::{Component, GlobPattern};
use crate::hash::{FastBuildHasher, load, tail_word};
use crate::kind::MetricKind;

const NONE: u32 = u32::MAX;

/// The longest glob pattern, in components. Captured positions are tracked in a
/// 64-bit mask during the search, which keeps the search free of copies.
pub(crate) const MAX_COMPONENTS: usize = 64;

/// One literal edge of a short list: the key's first eight bytes (zero-padded) and its
/// length are compared first, as two words, before any byte comparison.
#[derive(Debug)]
struct Edge {
    head: u64,
    len: usize,
    child: u32,
    key: Box<str>,
}

/// Literal edges: a short list compared directly (most nodes have one to a few
/// literal children), a hash map beyond that.
#[derive(Debug)]
enum Literals {
    Few(Vec<Edge>),
    Many(HashMap<Box<str>, u32, FastBuildHasher>),
}

const FEW: usize = 6;

/// The first eight bytes of `bytes[start..start + len]`, zero-padded.
#[inline(always)]
fn head_at(bytes: &[u8], start: usize, len: usize) -> u64 {
    let keep = if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    };
    let word = if start + 8 <= bytes.len() {
        load(&bytes[start..])
    } else if start < bytes.len() {
        tail_word(bytes, start)
    } else {
        0
    };
    word & keep
}

impl Literals {
    /// The child for component `text`, which starts at byte `start` of `name`.
    #[inline(always)]
    fn get_at(&self, name: &str, start: usize, text: &str) -> Option<u32> {
        match self {
            Literals::Few(list) => {
                if list.is_empty() {
                    return None;
                }
                let head = head_at(name.as_bytes(), start, text.len());
                list.iter()
                    .find(|e| {
                        e.head == head
                            && e.len == text.len()
                            && (e.len <= 8 || e.key.as_bytes()[8..] == text.as_bytes()[8..])
                    })
                    .map(|e| e.child)
            }
            Literals::Many(map) => map.get(text).copied(),
        }
    }

    #[inline]
    fn get(&self, text: &str) -> Option<u32> {
        self.get_at(text, 0, text)
    }

    fn insert(&mut self, text: Box<str>, child: u32) {
        match self {
            Literals::Few(list) if list.len() < FEW => list.push(Edge {
                head: head_at(text.as_bytes(), 0, text.len()),
                len: text.len(),
                child,
                key: text,
            }),
            Literals::Few(list) => {
                let mut map: HashMap<Box<str>, u32, FastBuildHasher> =
                    list.drain(..).map(|e| (e.key, e.child)).collect();
                map.insert(text, child);
                *self = Literals::Many(map);
            }
            Literals::Many(map) => {
                map.insert(text, child);
            }
        }
    }
}

#[derive(Debug)]
struct Node {
    literals: Literals,
    star: u32,
    partials: Vec<(Component, u32)>,
    /// First rule (lowest index) whose pattern ends here.
    terminal: u32,
    /// Lowest terminal rule index in this subtree (this node included).
    min_rule: u32,
    /// Bit `r` is set when some pattern through this node has exactly `r` components
    /// after it (exact, unlike a min..max range, so dead ends are cut at once).
    lengths: u128,
}

impl Node {
    fn new() -> Node {
        Node {
            literals: Literals::Few(Vec::new()),
            star: NONE,
            partials: Vec::new(),
            terminal: NONE,
            min_rule: NONE,
            lengths: 0,
        }
    }

    #[inline(always)]
    fn fits(&self, remaining: u32) -> bool {
        remaining < 128 && (self.lengths >> remaining) & 1 != 0
    }
}

/// The compiled glob rules.
#[derive(Debug)]
pub(crate) struct Trie {
    nodes: Vec<Node>,
    roots: [u32; 3],
    ordered: bool,
}

impl Trie {
    pub(crate) fn new(ordered: bool) -> Trie {
        let mut nodes = Vec::new();
        let mut roots = [0; 3];
        for root in &mut roots {
            *root = nodes.len() as u32;
            nodes.push(Node::new());
        }
        Trie {
            nodes,
            roots,
            ordered,
        }
    }

    /// Adds rule `rule` (its file index) under the roots of `kinds`.
    pub(crate) fn insert(&mut self, rule: u32, pattern: &GlobPattern, kind: Option<MetricKind>) {
        for class in MetricKind::ALL {
            if kind.is_none_or(|k| k == class) {
                self.insert_at(self.roots[class.index()], rule, pattern);
            }
        }
    }

    fn insert_at(&mut self, root: u32, rule: u32, pattern: &GlobPattern) {
        let count = pattern.components.len() as u32;
        let mut node = root;
        self.touch(node, rule, count);
        for (depth, component) in pattern.components.iter().enumerate() {
            let next = match component {
                Component::Literal(text) => match self.nodes[node as usize].literals.get(text) {
                    Some(child) => child,
                    None => {
                        let child = self.push_node();
                        self.nodes[node as usize]
                            .literals
                            .insert(text.clone(), child);
                        child
                    }
                },
                Component::Star => match self.nodes[node as usize].star {
                    NONE => {
                        let child = self.push_node();
                        self.nodes[node as usize].star = child;
                        child
                    }
                    child => child,
                },
                Component::Partial(text, _) => {
                    let found = self.nodes[node as usize]
                        .partials
                        .iter()
                        .find(|(c, _)| c.text() == &**text);
                    match found {
                        Some(&(_, child)) => child,
                        None => {
                            let child = self.push_node();
                            self.nodes[node as usize]
                                .partials
                                .push((component.clone(), child));
                            child
                        }
                    }
                }
            };
            node = next;
            self.touch(node, rule, count - depth as u32 - 1);
        }
        let end = &mut self.nodes[node as usize];
        // The first rule keeps the state (fixes statsd_exporter's "shorter rule after a
        // longer one" and duplicate-priority bugs: the terminal is set even when the node
        // already existed).
        end.terminal = end.terminal.min(rule);
    }

    fn push_node(&mut self) -> u32 {
        self.nodes.push(Node::new());
        (self.nodes.len() - 1) as u32
    }

    fn touch(&mut self, node: u32, rule: u32, remaining: u32) {
        let n = &mut self.nodes[node as usize];
        n.min_rule = n.min_rule.min(rule);
        n.lengths |= 1 << remaining;
    }

    /// Finds the winning glob rule for `name`. On success `scratch.result` holds the
    /// whole-name span followed by one span per capturing component.
    #[inline]
    pub(crate) fn lookup(
        &self,
        kind: MetricKind,
        name: &str,
        scratch: &mut Captures,
    ) -> Option<u32> {
        let root = self.roots[kind.index()];
        let root_node = &self.nodes[root as usize];
        if root_node.min_rule == NONE {
            return None;
        }
        // Reused across lookups: no 256-byte clear per lookup.
        let ends = &mut scratch.ends;
        let count = split(name.as_bytes(), ends)?;
        let ends = &scratch.ends;
        if !root_node.fits(count as u32) {
            return None;
        }
        let mut search = Search {
            trie: self,
            name,
            ends,
            count,
            best_mask: 0,
            best_rule: NONE,
        };
        if self.ordered {
            search.ordered(root, 0, 0, 0);
        } else {
            search.unordered(root, 0, 0, 0);
        }
        if search.best_rule == NONE {
            return None;
        }
        let result = &mut scratch.result;
        result.clear();
        result.push(Span::new(0, name.len()));
        let mut mask = search.best_mask;
        while mask != 0 {
            let depth = mask.trailing_zeros() as usize;
            let start = if depth == 0 {
                0
            } else {
                ends[depth - 1] as usize + 1
            };
            result.push(Span::new(start, ends[depth] as usize));
            mask &= mask - 1;
        }
        Some(search.best_rule)
    }
}

/// The bytes of `word` that are `.`: the high bit of each such byte set, all else 0.
#[inline(always)]
fn dots(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ 0x2e2e_2e2e_2e2e_2e2e;
    // Exact zero-byte test (no borrow between bytes): high bit set iff the byte is 0.
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// Splits `bytes` on `.`, eight bytes at a time: `ends[i]` is the end of component `i`.
/// Returns the number of components, or `None` beyond [`MAX_COMPONENTS`] (no pattern
/// is that long).
#[inline]
fn split(bytes: &[u8], ends: &mut [u32; MAX_COMPONENTS]) -> Option<usize> {
    let mut count = 0;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    let mut record = |mut found: u64, base: usize| {
        while found != 0 {
            *ends.get_mut(count)? = (base + found.trailing_zeros() as usize / 8) as u32;
            count += 1;
            found &= found - 1;
        }
        Some(())
    };
    for chunk in &mut chunks {
        record(dots(load(chunk)), base)?;
        base += 8;
    }
    if !chunks.remainder().is_empty() {
        // Zero padding is never a dot.
        record(dots(tail_word(bytes, base)), base)?;
    }
    *ends.get_mut(count)? = bytes.len() as u32;
    Some(count + 1)
}

/// One search: the name split once, captures are a bitmask of component depths.
struct Search<'a> {
    trie: &'a Trie,
    name: &'a str,
    ends: &'a [u32; MAX_COMPONENTS],
    count: usize,
    best_mask: u64,
    best_rule: u32,
}

impl<'a> Search<'a> {
    #[inline]
    fn node(&self, id: u32) -> &Node {
        &self.trie.nodes[id as usize]
    }

    /// Component `depth`, which starts at byte `start`, and the start of the next one.
    #[inline(always)]
    fn component(&self, depth: usize, start: usize) -> (&'a str, usize) {
        let end = self.ends[depth] as usize;
        (self.name.get(start..end).unwrap_or_default(), end + 1)
    }

    /// Exhaustive search for the lowest rule index, pruned. `mask` has bit `d` set
    /// when component `d` is captured on the current path. A node with a single way
    /// on is followed in the loop; only real branches recurse.
    fn ordered(&mut self, mut node_id: u32, mut depth: usize, mut start: usize, mut mask: u64) {
        let trie = self.trie;
        loop {
            let node = &trie.nodes[node_id as usize];
            if depth == self.count {
                if node.terminal < self.best_rule {
                    self.best_rule = node.terminal;
                    self.best_mask = mask;
                }
                return;
            }
            let (text, next) = self.component(depth, start);
            let remaining = (self.count - depth - 1) as u32;
            let better = |this: &Self, child: u32| {
                let c = this.node(child);
                c.min_rule < this.best_rule && c.fits(remaining)
            };
            let bit = 1u64 << depth;
            // statsd_exporter finds a literal `*` component as the `*` edge's key and
            // does not capture it.
            let star_mask = if text == "*" { mask } else { mask | bit };
            let literal = node
                .literals
                .get_at(self.name, start, text)
                .filter(|&child| better(self, child));
            if node.partials.is_empty() {
                let star = node.star != NONE && better(self, node.star);
                match (literal, star) {
                    (None, false) => return,
                    (Some(child), false) => node_id = child,
                    (None, true) => {
                        node_id = node.star;
                        mask = star_mask;
                    }
                    (Some(child), true) => {
                        self.ordered(child, depth + 1, next, mask);
                        if !better(self, node.star) {
                            return;
                        }
                        node_id = node.star;
                        mask = star_mask;
                    }
                }
                depth += 1;
                start = next;
                continue;
            }
            if let Some(child) = literal {
                self.ordered(child, depth + 1, next, mask);
            }
            if node.star != NONE && better(self, node.star) {
                self.ordered(node.star, depth + 1, next, star_mask);
            }
            for (component, child) in &node.partials {
                if better(self, *child) && component.matches(text) {
                    self.ordered(*child, depth + 1, next, mask | bit);
                }
            }
            return;
        }
    }

    /// First complete path in literal, partial, `*` order. Returns true when found.
    fn unordered(&mut self, node_id: u32, depth: usize, start: usize, mask: u64) -> bool {
        let trie = self.trie;
        let node = &trie.nodes[node_id as usize];
        if depth == self.count {
            if node.terminal != NONE {
                self.best_rule = node.terminal;
                self.best_mask = mask;
                return true;
            }
            return false;
        }
        let (text, next) = self.component(depth, start);
        let remaining = (self.count - depth - 1) as u32;
        if let Some(child) = node.literals.get_at(self.name, start, text)
            && self.node(child).fits(remaining)
            && self.unordered(child, depth + 1, next, mask)
        {
            return true;
        }
        let bit = 1u64 << depth;
        for (component, child) in &node.partials {
            if self.node(*child).fits(remaining)
                && component.matches(text)
                && self.unordered(*child, depth + 1, next, mask | bit)
            {
                return true;
            }
        }
        if node.star != NONE && self.node(node.star).fits(remaining) {
            let captured = if text == "*" { mask } else { mask | bit };
            return self.unordered(node.star, depth + 1, next, captured);
        }
        false
    }
}

impl Trie {
    /// The earliest rule before `rule` that matches every name `components` matches and
    /// therefore always wins over it (ordered mode), or that has the identical pattern
    /// (unordered mode, where a more specific rule wins regardless of order).
    pub(crate) fn covering_rule(
        &self,
        kind: MetricKind,
        components: &[Component],
        rule: u32,
        ordered: bool,
    ) -> Option<u32> {
        let mut best = NONE;
        self.cover(
            self.roots[kind.index()],
            components,
            rule,
            ordered,
            &mut best,
        );
        (best != NONE).then_some(best)
    }

    fn cover(
        &self,
        node_id: u32,
        components: &[Component],
        rule: u32,
        ordered: bool,
        best: &mut u32,
    ) {
        let node = &self.nodes[node_id as usize];
        if node.min_rule >= rule.min(*best) {
            return;
        }
        let Some((first, rest)) = components.split_first() else {
            if node.terminal < rule {
                *best = (*best).min(node.terminal);
            }
            return;
        };
        let remaining = rest.len() as u32;
        let mut visit = |child: u32| {
            if self.nodes[child as usize].fits(remaining) {
                self.cover(child, rest, rule, ordered, best);
            }
        };
        if let Component::Literal(text) = first
            && let Some(child) = node.literals.get(text)
        {
            visit(child);
        }
        if node.star != NONE && (ordered || matches!(first, Component::Star)) {
            visit(node.star);
        }
        for (edge, child) in &node.partials {
            let covers = if ordered {
                first.covered_by(edge)
            } else {
                edge.text() == first.text() && first.captures()
            };
            if covers {
                visit(*child);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str) -> Option<Vec<u32>> {
        let mut ends = Vec::new();
        for (i, b) in name.bytes().enumerate() {
            if b == b'.' {
                ends.push(i as u32);
            }
        }
        ends.push(name.len() as u32);
        (ends.len() <= MAX_COMPONENTS).then_some(ends)
    }

    #[test]
    fn split_matches_a_byte_loop() {
        let mut names: Vec<String> = [
            "",
            ".",
            "a",
            "a.b",
            "..",
            "metric1.a",
            "a.b.c.d.e.f.g.h.i",
            "Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.status.200",
            "é.ü.😱.x",
            "12345678.",
            ".12345678",
            "1234567.9",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.push(vec!["a"; 64].join("."));
        names.push(vec!["a"; 65].join("."));
        names.push(".".repeat(63));
        names.push(".".repeat(64));
        for name in &names {
            let mut ends = [0; MAX_COMPONENTS];
            let got = split(name.as_bytes(), &mut ends).map(|n| ends[..n].to_vec());
            assert_eq!(got, reference(name), "{name:?}");
        }
    }
}
