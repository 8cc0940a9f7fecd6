//! Go's bound on nested counted repetitions, which Rust's regex parser does not have.
//!
//! Go's `regexp/syntax` refuses nested counted repetitions that together repeat an
//! expression more than 1000 times (`(x{100}){100}`): "invalid repeat count", by its
//! `repeatIsValid`. Walking down from a repetition, each nested count divides what is
//! left of the 1000, a count whose maximum is 0 (`x{0}`) ends the walk, and `*`, `+` and
//! `?` do not count. Go's other bounds, a single count above 1000 and one operator right
//! after another, are lexical, and checked as the pattern is read ([`crate::go_syntax`]).
//!
//! Besides matching statsd_exporter, the bound keeps loading cheap: nested counts
//! multiply, and `(?:[a-z]{1000}){1000}` compiled until the engine's size limit.
//!
//! The check walks regex-syntax's AST, not the HIR: the HIR folds repetitions away
//! (`(\b){500}` becomes `\b`), and Go judges the pattern as written.

use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};

/// The largest count, and the most copies nested counts may make of one expression.
pub(crate) const MAX_REPEAT_COUNT: u32 = 1000;

/// The product of nested counts in `ast` that exceeds [`MAX_REPEAT_COUNT`], the first
/// found (saturating), if any.
pub(crate) fn nested_product(ast: &Ast) -> Option<u64> {
    let mut stack = vec![ast];
    while let Some(ast) = stack.pop() {
        // As Go, only a count of at least 2 starts a walk: it bounds the rewalks.
        if let Some((min, max)) = counted(ast)
            && (min >= 2 || max.is_some_and(|max| max >= 2))
            && let Some(product) = nested_product_over_limit(ast)
        {
            return Some(product);
        }
        stack.extend(children(ast));
    }
    None
}

/// `(min, max)` of a counted repetition (`max` `None` for `{n,}`); `None` for anything
/// else, `*`, `+` and `?` included.
fn counted(ast: &Ast) -> Option<(u32, Option<u32>)> {
    let Ast::Repetition(repetition) = ast else {
        return None;
    };
    match &repetition.op.kind {
        RepetitionKind::Range(RepetitionRange::Exactly(n)) => Some((*n, Some(*n))),
        RepetitionKind::Range(RepetitionRange::AtLeast(n)) => Some((*n, None)),
        RepetitionKind::Range(RepetitionRange::Bounded(min, max)) => Some((*min, Some(*max))),
        RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore | RepetitionKind::OneOrMore => None,
    }
}

/// Go's `repeatIsValid(re, 1000)` from the repetition `top`: the product of the counts on
/// the first path down that exceeds the limit, or `None` when none does.
fn nested_product_over_limit(top: &Ast) -> Option<u64> {
    // (node, copies still allowed, product of the counts above it)
    let mut stack = vec![(top, MAX_REPEAT_COUNT, 1u64)];
    while let Some((ast, mut left, mut product)) = stack.pop() {
        if let Some((min, max)) = counted(ast) {
            // Go's `m`: the maximum, or the minimum when there is none.
            let count = match max {
                Some(0) => continue,
                Some(max) => max,
                None => min,
            };
            product = product.saturating_mul(u64::from(count.max(1)));
            if count > left {
                return Some(product);
            }
            // A count of 0 (`x{0,}`) leaves the allowance as it is.
            left = left.checked_div(count).unwrap_or(left);
        }
        for child in children(ast) {
            stack.push((child, left, product));
        }
    }
    None
}

/// The direct subexpressions of `ast`.
fn children(ast: &Ast) -> &[Ast] {
    match ast {
        Ast::Repetition(repetition) => std::slice::from_ref(&repetition.ast),
        Ast::Group(group) => std::slice::from_ref(&group.ast),
        Ast::Alternation(alternation) => &alternation.asts,
        Ast::Concat(concat) => &concat.asts,
        Ast::Empty(_)
        | Ast::Flags(_)
        | Ast::Literal(_)
        | Ast::Dot(_)
        | Ast::Assertion(_)
        | Ast::ClassUnicode(_)
        | Ast::ClassPerl(_)
        | Ast::ClassBracketed(_) => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(pattern: &str) -> Option<u64> {
        let ast = regex_syntax::ast::parse::Parser::new()
            .parse(pattern)
            .expect(pattern);
        nested_product(&ast)
    }

    #[test]
    fn go_s_bound_on_nested_counts() {
        // Cases checked against Go's regexp/syntax (parse.go: repeatIsValid).
        for (pattern, expected) in [
            ("a{1000}", None),
            ("(a{10}){100}", None),
            ("(a{10}){101}", Some(1010)),
            ("(?:a{100}){11}", Some(1100)),
            ("((a{2}){2}){250}", None),
            ("((a{2}){2}){251}", Some(1004)),
            ("(a{3}){333}", None),
            ("(a{4}){333}", Some(1332)),
            // `{n,}` counts its minimum; `{0}` ends the walk; `*`, `+`, `?` do not count.
            ("(a{100,}){10}", None),
            ("(a{101,}){10}", Some(1010)),
            ("((a{500}){0}){3}", None),
            ("(a{500}){0,2}", None),
            ("(a{501}){0,2}", Some(1002)),
            ("((a{500})*){2}", None),
            ("((a{500})+){3}", Some(1500)),
            ("(a{0,}){1000}", None),
            // Go judges the pattern as written: the HIR would fold these repetitions away.
            (r"((\b){500}){3}", Some(1500)),
            ("(x|(y{50})){30}", Some(1500)),
            ("(x|(y{50}))z{30}", None),
            // `a*\Q\E*` reaches here as `a**`: nested, and not counted.
            ("a**", None),
            ("(a{2}){3}*", None),
        ] {
            assert_eq!(verdict(pattern), expected, "{pattern}");
        }
    }
}
