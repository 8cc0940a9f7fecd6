//! Glob patterns: `.`-separated components, each a literal, `*`, or (beyond
//! statsd_exporter) a pattern inside one component such as `prefix_*` or `{get,post}`.

use globset::{GlobBuilder, GlobMatcher};

/// One component of a glob pattern.
#[derive(Clone, Debug)]
pub(crate) enum Component {
    /// Matches exactly this text.
    Literal(Box<str>),
    /// `*`: any one component, empty included. Captured.
    Star,
    /// A wildcard inside a component (`prefix_*`, `*_count`, `{get,post}`, `ab?`),
    /// matched with globset against the whole component. Captured as a whole.
    Partial(Box<str>, GlobMatcher),
}

impl Component {
    /// Whether this component matches the input component `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Component::Literal(literal) => **literal == *text,
            Component::Star => true,
            Component::Partial(_, matcher) => matcher.is_match(text),
        }
    }

    /// True for `*` and partial components: they produce a capture.
    pub(crate) fn captures(&self) -> bool {
        !matches!(self, Component::Literal(_))
    }

    /// The text as written.
    pub(crate) fn text(&self) -> &str {
        match self {
            Component::Literal(text) | Component::Partial(text, _) => text,
            Component::Star => "*",
        }
    }
}

/// A parsed glob `match`.
#[derive(Clone, Debug)]
pub(crate) struct GlobPattern {
    pub(crate) components: Vec<Component>,
    /// Number of capturing components.
    pub(crate) capture_count: usize,
}

fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_pattern_char(c: char) -> bool {
    is_literal_char(c) || matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '!' | '^')
}

/// Parses a glob `match`. Patterns statsd_exporter accepts keep their meaning exactly;
/// only patterns it rejects at load may contain wildcards inside a component.
///
/// Errors return a sentence explaining what is wrong.
pub(crate) fn parse(text: &str) -> Result<GlobPattern, String> {
    if text.is_empty() {
        return Err("a glob needs at least one component".into());
    }
    let count = text.split('.').count();
    if count > crate::trie::MAX_COMPONENTS {
        return Err(format!(
            "{count} components; at most {} are supported",
            crate::trie::MAX_COMPONENTS
        ));
    }
    let mut components = Vec::new();
    let mut capture_count = 0;
    for (index, part) in text.split('.').enumerate() {
        let component = parse_component(index, part)?;
        capture_count += usize::from(component.captures());
        components.push(component);
    }
    Ok(GlobPattern {
        components,
        capture_count,
    })
}

fn parse_component(index: usize, part: &str) -> Result<Component, String> {
    let ordinal = index + 1;
    if part.is_empty() {
        return Err(format!(
            "component {ordinal} is empty (use `*` to match an empty component)"
        ));
    }
    if part == "*" {
        return Ok(Component::Star);
    }
    let first = part.chars().next().unwrap_or('_');
    let literal_start_ok = if index == 0 {
        first.is_ascii_alphabetic() || first == '_'
    } else {
        first != '-'
    };
    if part.chars().all(is_literal_char) {
        if literal_start_ok {
            return Ok(Component::Literal(part.into()));
        }
        return Err(if index == 0 {
            format!("the first component {part:?} must start with a letter or `_`")
        } else {
            format!("component {ordinal} {part:?} must not start with `-`")
        });
    }
    // Only a component with a wildcard may contain pattern syntax.
    let allowed: fn(char) -> bool = if part.contains(['*', '?', '[', '{']) {
        is_pattern_char
    } else {
        is_literal_char
    };
    if let Some(bad) = part.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "component {ordinal} {part:?} contains {bad:?}, which no metric name component may contain"
        ));
    }
    let glob = GlobBuilder::new(part)
        .literal_separator(false)
        .backslash_escape(false)
        .empty_alternates(true)
        .build()
        .map_err(|err| format!("component {ordinal} {part:?}: {}", err.kind()))?;
    Ok(Component::Partial(part.into(), glob.compile_matcher()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statsd_exporter_patterns_keep_their_meaning() {
        let p = parse("test.99.myapp.*").unwrap();
        assert_eq!(p.capture_count, 1);
        assert!(matches!(p.components[1], Component::Literal(_)));
        assert!(parse("foo--bar.*").is_ok());
        assert!(parse("test.99test.myapp.*").is_ok());
        assert!(parse("*").is_ok());
        assert!(parse("*.*").is_ok());
    }

    #[test]
    fn rejected_patterns() {
        assert!(parse("bad!!metric-line.*.*").is_err());
        assert!(parse("0foo.bar").is_err());
        assert!(parse("a..b").is_err());
        assert!(parse("a.").is_err());
        assert!(parse("").is_err());
        assert!(parse("a.-b").is_err());
        assert!(parse("a.b c").is_err());
        assert!(parse("a.{b").is_err());
        let long = vec!["a"; 65].join(".");
        assert!(parse(&long).unwrap_err().contains("at most 64"));
        assert!(parse(&vec!["a"; 64].join(".")).is_ok());
    }

    #[test]
    fn partial_components() {
        let p = parse("http.{get,post}.*_count").unwrap();
        assert_eq!(p.capture_count, 2);
        assert!(p.components[1].matches("get"));
        assert!(!p.components[1].matches("put"));
        assert!(p.components[2].matches("req_count"));
        assert!(p.components[2].matches("_count"));
        assert!(!p.components[2].matches("req_sum"));
        assert!(parse("prefix_*").unwrap().components[0].matches("prefix_x"));
        assert!(parse("a.ab?").unwrap().components[1].matches("abc"));
    }
}
