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
use crate::hash::FastBuildHasher;
use crate::kind::MetricKind;

const NONE: u32 = u32::MAX;

/// The longest glob pattern, in components. Captured positions are tracked in a
/// 64-bit mask during the search, which keeps the search free of copies.
pub(crate) const MAX_COMPONENTS: usize = 64;

/// Literal edges: a short list compared directly (most nodes have one to a few
/// literal children), a hash map beyond that.
#[derive(Debug)]
enum Literals {
    Few(Vec<(Box<str>, u32)>),
    Many(HashMap<Box<str>, u32, FastBuildHasher>),
}

const FEW: usize = 6;

impl Literals {
    #[inline]
    fn get(&self, text: &str) -> Option<u32> {
        match self {
            Literals::Few(list) => list
                .iter()
                .find(|(k, _)| k.len() == text.len() && **k == *text)
                .map(|(_, c)| *c),
            Literals::Many(map) => map.get(text).copied(),
        }
    }

    fn insert(&mut self, text: Box<str>, child: u32) {
        match self {
            Literals::Few(list) if list.len() < FEW => list.push((text, child)),
            Literals::Few(list) => {
                let mut map: HashMap<Box<str>, u32, FastBuildHasher> = list.drain(..).collect();
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
    /// Range of component counts still to come below this node.
    min_remaining: u32,
    max_remaining: u32,
}

impl Node {
    fn new() -> Node {
        Node {
            literals: Literals::Few(Vec::new()),
            star: NONE,
            partials: Vec::new(),
            terminal: NONE,
            min_rule: NONE,
            min_remaining: u32::MAX,
            max_remaining: 0,
        }
    }

    #[inline]
    fn fits(&self, remaining: u32) -> bool {
        self.min_remaining <= remaining && remaining <= self.max_remaining
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
        n.min_remaining = n.min_remaining.min(remaining);
        n.max_remaining = n.max_remaining.max(remaining);
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
        let count = name.bytes().filter(|&b| b == b'.').count() + 1;
        if !root_node.fits(count as u32) {
            return None;
        }
        let mut search = Search {
            trie: self,
            name,
            count,
            mask: 0,
            best_mask: 0,
            best_rule: NONE,
        };
        if self.ordered {
            search.ordered(root, 0, 0);
        } else {
            search.unordered(root, 0, 0);
        }
        if search.best_rule == NONE {
            return None;
        }
        let result = &mut scratch.result;
        result.clear();
        result.push(Span::new(0, name.len()));
        let mut mask = search.best_mask;
        let mut start = 0;
        let mut depth = 0;
        while mask != 0 {
            let end = next_dot(name.as_bytes(), start);
            if mask & 1 != 0 {
                result.push(Span::new(start, end));
            }
            mask >>= 1;
            depth += 1;
            start = end + 1;
        }
        debug_assert!(depth <= count);
        Some(search.best_rule)
    }
}

/// The index of the next `.` at or after `start`, or the length. Components are short
/// (a few bytes), where a plain loop beats a vectorised search's setup.
#[inline]
fn next_dot(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'.')
        .map_or(bytes.len(), |i| start + i)
}

/// One search: the name is split lazily, captures are a bitmask of component depths.
struct Search<'a> {
    trie: &'a Trie,
    name: &'a str,
    count: usize,
    mask: u64,
    best_mask: u64,
    best_rule: u32,
}

impl Search<'_> {
    #[inline]
    fn node(&self, id: u32) -> &Node {
        &self.trie.nodes[id as usize]
    }

    /// The component starting at byte `start` and the start of the next one.
    #[inline]
    fn component(name: &str, start: usize) -> (&str, usize) {
        let bytes = name.as_bytes();
        let end = next_dot(bytes, start);
        (&name[start..end], end + 1)
    }

    /// Exhaustive search for the lowest rule index, pruned.
    fn ordered(&mut self, node_id: u32, depth: usize, start: usize) {
        let trie = self.trie;
        let node = &trie.nodes[node_id as usize];
        if depth == self.count {
            if node.terminal < self.best_rule {
                self.best_rule = node.terminal;
                self.best_mask = self.mask;
            }
            return;
        }
        let (text, next) = Self::component(self.name, start);
        let remaining = (self.count - depth - 1) as u32;
        let better = |this: &Self, child: u32| {
            let c = this.node(child);
            c.min_rule < this.best_rule && c.fits(remaining)
        };
        if let Some(child) = node.literals.get(text)
            && better(self, child)
        {
            self.ordered(child, depth + 1, next);
        }
        let bit = 1u64 << depth;
        if node.star != NONE && better(self, node.star) {
            if text == "*" {
                // statsd_exporter finds the `*` edge as a literal key and does not capture.
                self.ordered(node.star, depth + 1, next);
            } else {
                self.mask |= bit;
                self.ordered(node.star, depth + 1, next);
                self.mask &= !bit;
            }
        }
        for (component, child) in &node.partials {
            if better(self, *child) && component.matches(text) {
                self.mask |= bit;
                self.ordered(*child, depth + 1, next);
                self.mask &= !bit;
            }
        }
    }

    /// First complete path in literal, partial, `*` order. Returns true when found.
    fn unordered(&mut self, node_id: u32, depth: usize, start: usize) -> bool {
        let trie = self.trie;
        let node = &trie.nodes[node_id as usize];
        if depth == self.count {
            if node.terminal != NONE {
                self.best_rule = node.terminal;
                self.best_mask = self.mask;
                return true;
            }
            return false;
        }
        let (text, next) = Self::component(self.name, start);
        let remaining = (self.count - depth - 1) as u32;
        if let Some(child) = node.literals.get(text)
            && self.node(child).fits(remaining)
            && self.unordered(child, depth + 1, next)
        {
            return true;
        }
        let bit = 1u64 << depth;
        for (component, child) in &node.partials {
            if self.node(*child).fits(remaining) && component.matches(text) {
                self.mask |= bit;
                let found = self.unordered(*child, depth + 1, next);
                self.mask &= !bit;
                if found {
                    return true;
                }
            }
        }
        if node.star != NONE && self.node(node.star).fits(remaining) {
            let capture = text != "*";
            if capture {
                self.mask |= bit;
            }
            let found = self.unordered(node.star, depth + 1, next);
            self.mask &= !bit;
            return found;
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
