//! Go's bounds on counted repetitions, which Rust's regex parser does not have.
//!
//! Go's `regexp/syntax` (Perl mode, as `regexp.Compile`) refuses three kinds of pattern
//! that Rust's accepts:
//!
//! * a count above 1000 (`x{1001}`, `x{2,1001}`, `x{1001,}`): "invalid repeat count";
//! * one repetition operator right after another (`x**`, `x{2}{3}`): "invalid nested
//!   repetition operator" (`(?:x*)*` is fine);
//! * nested counted repetitions that together repeat an expression more than 1000 times
//!   (`(x{100}){100}`): "invalid repeat count", by its `repeatIsValid`. Walking down from
//!   a repetition, each nested count divides what is left of the 1000, a count whose
//!   maximum is 0 (`x{0}`) ends the walk, and `*`, `+` and `?` do not count.
//!
//! Besides matching statsd_exporter, these bounds keep loading cheap: Rust compiled
//! `(.+){3886}` for 0.4 s, and stacked or nested counts multiply.
//!
//! The check walks regex-syntax's AST, not the HIR: the HIR folds repetitions away
//! (`(\b){500}` becomes `\b`), and Go judges the pattern as written.

use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};

/// The largest count, and the most copies nested counts may make of one expression.
pub(crate) const MAX_REPEAT_COUNT: u32 = 1000;

/// Why a pattern breaks Go's repetition bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RepeatViolation {
    /// One count above [`MAX_REPEAT_COUNT`]: the largest such count.
    Count(u32),
    /// A repetition operator right after another: the operators as written (`**`).
    Stacked(String),
    /// Nested counts whose product exceeds [`MAX_REPEAT_COUNT`]: the first such product
    /// found (saturating).
    Nested(u64),
}

/// The violation of Go's repetition bounds in `ast`, parsed from `pattern`, if any. A
/// count above 1000 is reported first, then stacked operators, then a nested product.
pub(crate) fn check(pattern: &str, ast: &Ast) -> Option<RepeatViolation> {
    let mut largest = 0;
    let mut stacked = None;
    let mut nested = None;
    walk(ast, |ast| {
        if let (None, Ast::Repetition(outer)) = (&stacked, ast)
            && let Ast::Repetition(inner) = &*outer.ast
        {
            let operators = inner.op.span.start.offset..outer.op.span.end.offset;
            stacked = Some(pattern.get(operators).unwrap_or_default().to_string());
        }
        if let Some((min, max)) = counted(ast) {
            largest = largest.max(min).max(max.unwrap_or(0));
            // As Go, only a count of at least 2 starts a walk: it bounds the rewalks.
            if nested.is_none() && (min >= 2 || max.is_some_and(|max| max >= 2)) {
                nested = nested_product_over_limit(ast);
            }
        }
    });
    if largest > MAX_REPEAT_COUNT {
        Some(RepeatViolation::Count(largest))
    } else if let Some(operators) = stacked {
        Some(RepeatViolation::Stacked(operators))
    } else {
        nested.map(RepeatViolation::Nested)
    }
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

/// Calls `visit` on every node of `ast`.
fn walk<'a>(ast: &'a Ast, mut visit: impl FnMut(&'a Ast)) {
    let mut stack = vec![ast];
    while let Some(ast) = stack.pop() {
        visit(ast);
        stack.extend(children(ast));
    }
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

    fn verdict(pattern: &str) -> Option<RepeatViolation> {
        let ast = regex_syntax::ast::parse::Parser::new()
            .parse(pattern)
            .expect(pattern);
        check(pattern, &ast)
    }

    #[test]
    fn go_s_repeat_bounds() {
        use RepeatViolation::{Count, Nested, Stacked};
        // Cases checked against Go's regexp/syntax rules (parse.go: the `{` bounds and
        // repeatIsValid).
        for (pattern, expected) in [
            ("a{1000}", None),
            ("a{1001}", Some(Count(1001))),
            ("a{2,1001}", Some(Count(1001))),
            ("a{1001,}", Some(Count(1001))),
            ("(a{10}){5000}", Some(Count(5000))),
            ("(a{10}){100}", None),
            ("(a{10}){101}", Some(Nested(1010))),
            ("(?:a{100}){11}", Some(Nested(1100))),
            ("((a{2}){2}){250}", None),
            ("((a{2}){2}){251}", Some(Nested(1004))),
            ("(a{3}){333}", None),
            ("(a{4}){333}", Some(Nested(1332))),
            // `{n,}` counts its minimum; `{0}` ends the walk; `*`, `+`, `?` do not count.
            ("(a{100,}){10}", None),
            ("(a{101,}){10}", Some(Nested(1010))),
            ("((a{500}){0}){3}", None),
            ("(a{500}){0,2}", None),
            ("(a{501}){0,2}", Some(Nested(1002))),
            ("((a{500})*){2}", None),
            ("((a{500})+){3}", Some(Nested(1500))),
            ("(a{0,}){1000}", None),
            // Go judges the pattern as written: the HIR would fold these repetitions away.
            (r"((\b){500}){3}", Some(Nested(1500))),
            ("(x|(y{50})){30}", Some(Nested(1500))),
            ("(x|(y{50}))z{30}", None),
            // One operator right after another, as written.
            ("a**", Some(Stacked("**".into()))),
            ("a{2}{3}", Some(Stacked("{2}{3}".into()))),
            ("a*?+", Some(Stacked("*?+".into()))),
            ("a{1}{1}", Some(Stacked("{1}{1}".into()))),
            ("a{1001}*", Some(Count(1001))),
            ("(?:a*)*", None),
            ("a*?", None),
            ("a*b*", None),
        ] {
            assert_eq!(verdict(pattern), expected, "{pattern}");
        }
    }
}
