//! Name and label templates: literal text with capture references.
//!
//! Two dialects, as in statsd_exporter:
//! * glob rules use statsd_exporter's own formatter: a reference is the longest match of
//!   `\$\{?([a-zA-Z0-9_$]+)\}?`; it names capture `n` when the inner text is a decimal
//!   number from 1 to the rule's capture count, otherwise it expands to nothing (so
//!   `$1_foo` is empty: write `${1}_foo`). `$0` is the whole name (statsd_exporter #735).
//! * regex rules use Go's `Regexp.ExpandString`: `$1`, `${1}`, `$name`, `${name}`, `$$`.
//!
//! Compiled once at load into pieces, expanded by appending to a caller's `String`.
//! Unlike statsd_exporter's glob formatter (which builds a `Sprintf` format), `%` is
//! always literal.

use std::fmt;

use crate::captures::Span;

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    /// Byte range into `Template::source`.
    Literal(u32, u32),
    /// Capture group; 0 is the whole match.
    Capture(u16),
}

/// A compiled template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Template {
    source: Box<str>,
    pieces: Box<[Piece]>,
    /// Set when the template contains no reference at all.
    constant: bool,
}

impl Template {
    /// Compiles a glob-rule template for a rule with `capture_count` wildcards.
    pub(crate) fn glob(text: &str, capture_count: usize) -> Template {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut literal_start = 0;
        let mut i = 0;
        let mut any_reference = false;
        while i < bytes.len() {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            let Some((inner, end)) = glob_reference(bytes, i) else {
                i += 1;
                continue;
            };
            any_reference = true;
            push_literal(&mut pieces, literal_start, i);
            // strconv.Atoi: decimal digits only here (the class has no sign); leading zeros ok.
            if inner.iter().all(u8::is_ascii_digit) {
                let significant = &inner[inner.iter().take_while(|&&d| d == b'0').count()..];
                if significant.len() <= 9 {
                    let index: usize = significant
                        .iter()
                        .fold(0, |n, d| n * 10 + usize::from(d - b'0'));
                    if index <= capture_count && index <= usize::from(u16::MAX) {
                        pieces.push(Piece::Capture(index as u16));
                    }
                }
            }
            literal_start = end;
            i = end;
        }
        push_literal(&mut pieces, literal_start, bytes.len());
        Template {
            source: text.into(),
            pieces: pieces.into(),
            constant: !any_reference,
        }
    }

    /// Compiles a regex-rule template (Go `ExpandString`) for a regex with
    /// `group_count` groups (not counting group 0) and the given group names.
    pub(crate) fn regex(
        text: &str,
        group_count: usize,
        group_index: impl Fn(&str) -> Option<usize>,
    ) -> Template {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut literal_start = 0;
        let mut i = 0;
        let mut any_reference = false;
        while i < bytes.len() {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            if bytes.get(i + 1) == Some(&b'$') {
                // `$$` is a literal `$`: keep the first, skip the second.
                any_reference = true;
                push_literal(&mut pieces, literal_start, i + 1);
                literal_start = i + 2;
                i += 2;
                continue;
            }
            let Some((name, end)) = go_reference(text, i + 1) else {
                // Malformed: the `$` stays literal.
                i += 1;
                continue;
            };
            any_reference = true;
            push_literal(&mut pieces, literal_start, i);
            let index = go_number(name).or_else(|| group_index(name));
            if let Some(index) = index.filter(|&n| n <= group_count && n <= usize::from(u16::MAX)) {
                pieces.push(Piece::Capture(index as u16));
            }
            literal_start = end;
            i = end;
        }
        push_literal(&mut pieces, literal_start, bytes.len());
        Template {
            source: text.into(),
            pieces: pieces.into(),
            constant: !any_reference,
        }
    }

    /// The groups the template references (0 is the whole match).
    pub(crate) fn references(&self) -> impl Iterator<Item = usize> + '_ {
        self.pieces.iter().filter_map(|piece| match *piece {
            Piece::Capture(index) => Some(usize::from(index)),
            Piece::Literal(..) => None,
        })
    }

    /// The template as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The expansion when it does not depend on captures (the common case for labels
    /// like `mastodon: web`).
    #[inline]
    pub(crate) fn as_constant(&self) -> Option<&str> {
        self.constant.then_some(&*self.source)
    }

    /// Appends the expansion to `out`. `captures[0]` is the whole match.
    #[inline]
    pub(crate) fn expand(&self, name: &str, captures: &[Span], out: &mut String) {
        if self.constant {
            out.push_str(&self.source);
            return;
        }
        for piece in self.pieces.iter() {
            match *piece {
                Piece::Literal(start, end) => {
                    out.push_str(&self.source[start as usize..end as usize])
                }
                Piece::Capture(index) => {
                    if let Some(text) = captures.get(usize::from(index)).and_then(|s| s.get(name)) {
                        out.push_str(text);
                    }
                }
            }
        }
    }

    /// Writes the expansion to a formatter.
    pub(crate) fn fmt_expanded(
        &self,
        name: &str,
        captures: &[Span],
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        if self.constant {
            return f.write_str(&self.source);
        }
        for piece in self.pieces.iter() {
            match *piece {
                Piece::Literal(start, end) => {
                    f.write_str(&self.source[start as usize..end as usize])?
                }
                Piece::Capture(index) => {
                    if let Some(text) = captures.get(usize::from(index)).and_then(|s| s.get(name)) {
                        f.write_str(text)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn push_literal(pieces: &mut Vec<Piece>, start: usize, end: usize) {
    if end > start {
        pieces.push(Piece::Literal(start as u32, end as u32));
    }
}

/// Matches `\$\{?([a-zA-Z0-9_$]+)\}?` at `dollar`; returns the inner text and the end.
fn glob_reference(bytes: &[u8], dollar: usize) -> Option<(&[u8], usize)> {
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$';
    let mut start = dollar + 1;
    if bytes.get(start) == Some(&b'{') {
        let run = bytes[start + 1..].iter().take_while(|b| is_name(b)).count();
        if run > 0 {
            start += 1;
        }
    }
    let run = bytes[start..].iter().take_while(|b| is_name(b)).count();
    if run == 0 {
        return None;
    }
    let mut end = start + run;
    if bytes.get(end) == Some(&b'}') {
        end += 1;
    }
    Some((
        &bytes[start..end - usize::from(bytes.get(end - 1) == Some(&b'}'))],
        end,
    ))
}

/// Go's `extract`: a name of letters, digits and `_` (Unicode), optionally in braces.
fn go_reference(text: &str, start: usize) -> Option<(&str, usize)> {
    let rest = &text[start..];
    let (brace, body) = match rest.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, rest),
    };
    let len: usize = body
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut end = start + usize::from(brace) + len;
    if brace {
        if body.as_bytes().get(len) != Some(&b'}') {
            return None;
        }
        end += 1;
    }
    Some((name, end))
}

/// Go's group-number rule: ASCII digits, no leading zero, below 1e8.
fn go_number(name: &str) -> Option<usize> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if name.len() > 1 && name.starts_with('0') {
        return None;
    }
    if name.len() > 8 {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(name: &str, parts: &[&str]) -> Vec<Span> {
        let mut out = vec![Span::new(0, name.len())];
        let mut from = 0;
        for part in parts {
            let at = name[from..].find(part).unwrap() + from;
            out.push(Span::new(at, at + part.len()));
            from = at + part.len();
        }
        out
    }

    fn glob(template: &str, name: &str, parts: &[&str]) -> String {
        let mut out = String::new();
        Template::glob(template, parts.len()).expand(name, &spans(name, parts), &mut out);
        out
    }

    #[test]
    fn glob_dialect() {
        let name = "a.b.c";
        let parts = ["a", "b", "c"];
        assert_eq!(glob("$1", name, &parts), "a");
        assert_eq!(glob("${1}_foo", name, &parts), "a_foo");
        assert_eq!(glob("$1_foo", name, &parts), "");
        assert_eq!(glob("x$1_foo.y", name, &parts), "x.y");
        assert_eq!(glob("$1-$2-$3", name, &parts), "a-b-c");
        assert_eq!(glob("$1-$4", name, &parts), "a-");
        assert_eq!(glob("$0", name, &parts), "a.b.c");
        assert_eq!(glob("$01", name, &parts), "a");
        assert_eq!(glob("$00000000002", name, &parts), "b");
        assert_eq!(glob("$99999999999", name, &parts), "");
        assert_eq!(glob("${2", name, &parts), "b");
        assert_eq!(glob("$2}", name, &parts), "b");
        assert_eq!(glob("$1$2", name, &parts), "");
        assert_eq!(glob("$$1", name, &parts), "");
        assert_eq!(glob("$1%", name, &parts), "a%");
        assert_eq!(glob("100%", name, &parts), "100%");
        assert_eq!(glob("$", name, &parts), "$");
        assert_eq!(glob("${}", name, &parts), "${}");
        assert_eq!(glob("$name", name, &parts), "");
        assert!(Template::glob("plain", 3).as_constant().is_some());
        assert!(Template::glob("$9", 3).as_constant().is_none());
    }

    fn regex(template: &str, name: &str, parts: &[&str]) -> String {
        let mut out = String::new();
        let names = |n: &str| (n == "word").then_some(1);
        Template::regex(template, parts.len(), names).expand(name, &spans(name, parts), &mut out);
        out
    }

    #[test]
    fn go_expand_dialect() {
        let name = "a.b.c";
        let parts = ["a", "b", "c"];
        assert_eq!(regex("$1", name, &parts), "a");
        assert_eq!(regex("${1}_foo", name, &parts), "a_foo");
        assert_eq!(regex("$1_foo", name, &parts), "");
        assert_eq!(regex("$0", name, &parts), "a.b.c");
        assert_eq!(regex("$$1", name, &parts), "$1");
        assert_eq!(regex("$01", name, &parts), "");
        assert_eq!(regex("$word/${word}", name, &parts), "a/a");
        assert_eq!(regex("${2", name, &parts), "${2");
        assert_eq!(regex("$-", name, &parts), "$-");
        assert_eq!(regex("$1%", name, &parts), "a%");
        assert_eq!(regex("${3}${2}", name, &parts), "cb");
        assert_eq!(regex("$9", name, &parts), "");
    }
}
