//! Go's regular-expression syntax, rewritten into regex-syntax's so that a rule's pattern
//! means here what it means in statsd_exporter, which compiles it with Go's `regexp`.
//!
//! The two syntaxes agree on everything a mapping usually holds. Where they differ, the
//! pattern is scanned as Go's parser (`regexp/syntax`, Perl mode) reads it and each
//! token is written out in a form Rust reads the same way:
//!
//! * `\d`, `\w`, `\s`, `\b` and their negations are ASCII in Go, Unicode in Rust: written
//!   as explicit ASCII classes (`[0-9]`) and an ASCII boundary (`(?-u:\b)`).
//! * A `{` that does not begin a count as Go reads one (`{2}`, `{2,}`, `{2,5}`: no spaces,
//!   no leading zeros) is a literal brace in Go: escaped.
//! * `\Q…\E` (literal text) and octal escapes (`\012`) exist only in Go: written as
//!   escaped literals and `\x{A}`.
//! * `\<` and `\>` are the characters `<` and `>` in Go, word boundaries in Rust.
//! * Inside a class, Go has no nesting and no set operators: `[a[b]` holds `[`, and `&&`,
//!   `--`, `~~` are characters; every character of a class is written escaped. A `-`
//!   is a range only between two characters, as Go reads it (`[+--]` is `+` to `-`).
//! * Escapes Go does not have (`\u0041`, `\e`, `[\b]`) and the flags it does not have
//!   (`x`, `u`, `R`) are errors, as they are in Go, so both refuse the same files.
//!
//! What is left, each an error on one side only and never a different match, is listed
//! in the crate docs.

/// Where statsd_exporter's regex engine is named in errors.
const GO: &str = "Go's regular expressions, which statsd_exporter uses,";

/// `pattern`, read as Go reads it, in regex-syntax's syntax.
///
/// # Errors
///
/// An escape, flag or group name Go does not have, an unknown POSIX class name, or a
/// class without its `]`, explained in one line. Everything else Go refuses is left for
/// regex-syntax to refuse.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let mut scanner = Scanner {
        rest: pattern,
        out: String::with_capacity(pattern.len() + 16),
    };
    while let Some(c) = scanner.next() {
        match c {
            '\\' => scanner.escape()?,
            '[' => scanner.class()?,
            '(' if scanner.peek() == Some('?') => scanner.group_flags()?,
            '{' if !begins_go_repeat(scanner.rest) => scanner.out.push_str("\\{"),
            // A `]` outside a class is a character in Go.
            ']' => scanner.out.push_str("\\]"),
            c => scanner.out.push(c),
        }
    }
    Ok(scanner.out)
}

/// The pattern still to read, and the translation so far.
struct Scanner<'a> {
    rest: &'a str,
    out: String,
}

impl Scanner<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.rest.chars().next()?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    /// After a `(` followed by `?` (Go's `parsePerlFlags`): a named group, whose name Go
    /// allows only ASCII letters, digits and `_`, or flags, of which Go has only `i`, `m`,
    /// `s` and `U`. Copied.
    fn group_flags(&mut self) -> Result<(), String> {
        self.out.push('(');
        if let Some(look) = ["?<=", "?<!", "?=", "?!"]
            .iter()
            .find(|look| self.rest.starts_with(**look))
        {
            return Err(format!(
                "invalid or unsupported Perl syntax `({look}`: {GO} have no look-around"
            ));
        }
        let name = ["?P<", "?<"]
            .iter()
            .find_map(|open| self.rest.strip_prefix(open).map(|name| (open.len(), name)));
        let end = match name {
            Some((open, after)) => {
                let name = after.split_once('>').map(|(name, _)| name).unwrap_or(after);
                let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
                if name.is_empty() || !name.chars().all(valid) {
                    return Err(format!(
                        "invalid capture group name `{name}`: {GO} allow only ASCII letters, \
                         digits and `_`"
                    ));
                }
                open + name.len()
            }
            None => {
                let flags = self.rest[1..]
                    .find(|c| !matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
                    .map_or(self.rest.len(), |end| end + 1);
                match self.rest[flags..].chars().next() {
                    Some(':' | ')') => flags,
                    Some(c) if c.is_alphabetic() => {
                        return Err(format!(
                            "invalid flag `{c}`: {GO} have only the flags i, m, s and U"
                        ));
                    }
                    Some(c) => {
                        let syntax = &self.rest[..flags + c.len_utf8()];
                        return Err(format!(
                            "invalid or unsupported Perl syntax `({syntax}`: {GO} have only \
                             the flags i, m, s and U after `(?`"
                        ));
                    }
                    None => flags,
                }
            }
        };
        self.out.push_str(&self.rest[..end]);
        self.rest = &self.rest[end..];
        Ok(())
    }

    /// After a `\` outside a class.
    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.next() else {
            // Both refuse a trailing backslash.
            self.out.push('\\');
            return Ok(());
        };
        match c {
            'Q' => {
                let (literal, rest) = self.rest.split_once("\\E").unwrap_or((self.rest, ""));
                regex_syntax::escape_into(literal, &mut self.out);
                self.rest = rest;
            }
            'b' => self.out.push_str("(?-u:\\b)"),
            'B' => self.out.push_str("(?-u:\\B)"),
            'A' | 'z' => {
                self.out.push('\\');
                self.out.push(c);
            }
            'd' => self.out.push_str("[0-9]"),
            'D' => self.out.push_str("[^0-9]"),
            'w' => self.out.push_str("[0-9A-Za-z_]"),
            'W' => self.out.push_str("[^0-9A-Za-z_]"),
            's' => self.out.push_str("[\\t\\n\\f\\r ]"),
            'S' => self.out.push_str("[^\\t\\n\\f\\r ]"),
            'p' | 'P' => self.unicode_class(c),
            c => self.character_escape(c)?,
        }
        Ok(())
    }

    /// After a `\` that Go reads as one character (its `parseEscape`), in or out of a
    /// class: the character, written for Rust.
    fn character_escape(&mut self, c: char) -> Result<(), String> {
        let character = match c {
            // Any ASCII character but a letter or digit is itself, as in Go. Written
            // unescaped unless it is special to Rust, since `\<` and `\>` are word
            // boundaries there.
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => {
                if regex_syntax::is_meta_character(c) {
                    self.out.push('\\');
                }
                self.out.push(c);
                return Ok(());
            }
            'a' | 'f' | 'n' | 'r' | 't' | 'v' => {
                self.out.push('\\');
                self.out.push(c);
                return Ok(());
            }
            '0'..='7' => self.octal(c),
            'x' => self.hex(),
            _ => None,
        };
        match character {
            Some(character) => {
                self.out
                    .push_str(&format!("\\x{{{:X}}}", u32::from(character)));
                Ok(())
            }
            None => Err(format!(
                "invalid escape sequence `\\{c}`: {GO} do not have it"
            )),
        }
    }

    /// Go's octal escape: `\0` and up to two more octal digits, or a digit 1–7 followed by
    /// one or two more (a lone `\1` would be a backreference, which Go refuses).
    fn octal(&mut self, first: char) -> Option<char> {
        let is_octal = |c: Option<char>| c.is_some_and(|c| ('0'..='7').contains(&c));
        if first != '0' && !is_octal(self.peek()) {
            return None;
        }
        let mut value = first.to_digit(8)?;
        for _ in 0..2 {
            if !is_octal(self.peek()) {
                break;
            }
            value = value * 8 + self.next()?.to_digit(8)?;
        }
        char::from_u32(value)
    }

    /// Go's hex escape after `\x`: two hex digits, or any number of them in braces.
    fn hex(&mut self) -> Option<char> {
        if self.peek() == Some('{') {
            let (digits, rest) = self.rest[1..].split_once('}')?;
            let valid = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit());
            let value = u32::from_str_radix(digits, 16).ok().filter(|_| valid)?;
            self.rest = rest;
            return char::from_u32(value);
        }
        let digits = self.rest.get(..2)?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.rest = &self.rest[2..];
        char::from_u32(u32::from_str_radix(digits, 16).ok()?)
    }

    /// `\p` or `\P` and its name, one letter or in braces: copied, for regex-syntax to
    /// look up, but for Go's negation inside the braces (`\p{^Greek}` is `\P{Greek}`).
    fn unicode_class(&mut self, p: char) {
        self.out.push('\\');
        if let Some(name) = self.rest.strip_prefix("{^") {
            self.out.push(if p == 'p' { 'P' } else { 'p' });
            self.out.push('{');
            self.rest = name;
        } else {
            self.out.push(p);
        }
        let end = match self.peek() {
            Some('{') => self.rest.find('}').map_or(self.rest.len(), |end| end + 1),
            Some(c) => c.len_utf8(),
            None => 0,
        };
        self.out.push_str(&self.rest[..end]);
        self.rest = &self.rest[end..];
    }

    /// After a `[`: Go's `parseClass`, item by item.
    fn class(&mut self) -> Result<(), String> {
        self.out.push('[');
        if self.peek() == Some('^') {
            self.next();
            self.out.push('^');
        }
        let mut first = true;
        loop {
            match self.peek() {
                None => return Err(format!("missing closing ]: {GO} need one")),
                Some(']') if !first => {
                    self.next();
                    self.out.push(']');
                    return Ok(());
                }
                _ => {}
            }
            first = false;
            if self.rest.starts_with("[:")
                && let Some(end) = self.rest[2..].find(":]")
            {
                let name = &self.rest[..end + 4];
                if !is_posix_class(name) {
                    return Err(format!(
                        "invalid character class `{name}`: {GO} have no such POSIX class"
                    ));
                }
                self.out.push_str(name);
                self.rest = &self.rest[name.len()..];
                continue;
            }
            if self.rest.starts_with('\\') {
                let perl = match self.rest[1..].chars().next() {
                    Some('d') => Some("0-9"),
                    Some('w') => Some("0-9A-Za-z_"),
                    Some('s') => Some("\\t\\n\\f\\r "),
                    Some('D') => Some("[^0-9]"),
                    Some('W') => Some("[^0-9A-Za-z_]"),
                    Some('S') => Some("[^\\t\\n\\f\\r ]"),
                    _ => None,
                };
                if let Some(perl) = perl {
                    self.out.push_str(perl);
                    self.rest = &self.rest[2..];
                    continue;
                }
                if let Some(p @ ('p' | 'P')) = self.rest[1..].chars().next() {
                    self.rest = &self.rest[2..];
                    self.unicode_class(p);
                    continue;
                }
            }
            self.class_character()?;
            // `[a-]` is `a` and `-`; `-` between two characters is a range.
            let mut after = self.rest.chars();
            if after.next() == Some('-') && after.next().is_some_and(|c| c != ']') {
                self.next();
                self.out.push('-');
                self.class_character()?;
            }
        }
    }

    /// One character of a class (Go's `parseClassChar`), escaped.
    fn class_character(&mut self) -> Result<(), String> {
        match self.next() {
            Some('\\') => match self.next() {
                Some(c) => self.character_escape(c),
                None => Err(format!("missing closing ]: {GO} need one")),
            },
            Some(c) => {
                if regex_syntax::is_meta_character(c) {
                    self.out.push('\\');
                }
                self.out.push(c);
                Ok(())
            }
            None => Err(format!("missing closing ]: {GO} need one")),
        }
    }
}

/// Whether `name` (`[:alpha:]`, `[:^alpha:]`) is one of Go's POSIX classes.
fn is_posix_class(name: &str) -> bool {
    const NAMES: [&str; 14] = [
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    let inner = &name[2..name.len() - 2];
    NAMES.contains(&inner.strip_prefix('^').unwrap_or(inner))
}

/// Whether the text after a `{` makes it a counted repetition in Go (its `parseRepeat`):
/// `n}`, `n,}` or `n,m}`, where a number has no sign, no spaces and no leading zero.
/// Otherwise Go reads the `{` as a literal brace.
fn begins_go_repeat(rest: &str) -> bool {
    /// The text after a number at the start of `text`, if one starts there.
    fn number(text: &str) -> Option<&str> {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0 && !(digits > 1 && text.starts_with('0'))).then(|| &text[digits..])
    }
    let Some(rest) = number(rest) else {
        return false;
    };
    match rest.strip_prefix(',') {
        None => rest.starts_with('}'),
        Some(rest) => rest.starts_with('}') || number(rest).is_some_and(|r| r.starts_with('}')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_tokens_are_written_as_rust_reads_them() {
        // (Go pattern, its translation); each row's Go reading is that of `regexp/syntax`
        // (parse.go: parseEscape, parseClass, parsePerlFlags, parseRepeat, `\Q`).
        for (go, rust) in [
            (r"^a\.b$", r"^a\.b$"),
            (
                r"\d\D\w\W\s\S",
                r"[0-9][^0-9][0-9A-Za-z_][^0-9A-Za-z_][\t\n\f\r ][^\t\n\f\r ]",
            ),
            (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
            (r"[\d\w\s]", r"[0-90-9A-Za-z_\t\n\f\r ]"),
            (r"[^\D]", r"[^[^0-9]]"),
            // Braces: a count only as `{n}`, `{n,}`, `{n,m}` without spaces or leading zeros.
            ("a{2}b{2,}c{2,5}", "a{2}b{2,}c{2,5}"),
            (
                "a{env}b{ 2 }c{02}d{,5}e{}",
                r"a\{env}b\{ 2 }c\{02}d\{,5}e\{}",
            ),
            (r"\p{Greek}\PL\pN", r"\p{Greek}\PL\pN"),
            (r"\p{^Greek}\P{^L}", r"\P{Greek}\p{L}"),
            (r"\x41\x{1F600}", r"\x{41}\x{1F600}"),
            // `\Q…\E` is literal text, to the end when there is no `\E`.
            (r"\Qa.b*\E+", r"a\.b\*+"),
            (r"x\Q(y", r"x\(y"),
            // Octal: `\0`, or a digit 1–7 and more digits; three digits at most.
            (r"\0\012\12\1234", r"\x{0}\x{A}\x{A}\x{53}4"),
            // Escaped punctuation is itself; `\<` and `\>` are not boundaries.
            (r"\<a\>\.\_\ ", r"<a>\._ "),
            (r"a]b}", r"a\]b}"),
            // Classes: no nesting, no set operators; `-` is a range only between characters.
            (r"[a[bc]]", r"[a\[bc]\]"),
            ("[a&&b~~c]", r"[a\&\&b\~\~c]"),
            ("[+--]", r"[\+-\-]"),
            ("[a-c-e]", r"[a-c\-e]"),
            ("[a-]", r"[a\-]"),
            ("[-a]", r"[\-a]"),
            ("[]a]", r"[\]a]"),
            ("[^]a]", r"[^\]a]"),
            (r"[\d-z]", r"[0-9\-z]"),
            (r"[\x41-\x5A\<]", r"[\x{41}-\x{5A}<]"),
            ("[[:alpha:][:^digit:]]", "[[:alpha:][:^digit:]]"),
            ("[{]", r"[\{]"),
            // Flags and named groups are copied.
            (
                "(?i)a(?s-m:b)(?P<x>c)(?<y_1>d)",
                "(?i)a(?s-m:b)(?P<x>c)(?<y_1>d)",
            ),
        ] {
            assert_eq!(translate(go).as_deref(), Ok(rust), "{go}");
        }
    }

    #[test]
    fn what_go_does_not_have_is_refused() {
        for (go, error) in [
            (r"\u0041", r"invalid escape sequence `\u`"),
            (r"\e", r"invalid escape sequence `\e`"),
            (r"\C", r"invalid escape sequence `\C`"),
            (r"\Z", r"invalid escape sequence `\Z`"),
            (r"\1", r"invalid escape sequence `\1`"),
            (r"\8", r"invalid escape sequence `\8`"),
            (r"\x4", r"invalid escape sequence `\x`"),
            (r"\x{}", r"invalid escape sequence `\x`"),
            (r"\x{110000}", r"invalid escape sequence `\x`"),
            (r"\é", r"invalid escape sequence `\é`"),
            (r"[\b]", r"invalid escape sequence `\b`"),
            (r"[\Qa\E]", r"invalid escape sequence `\Q`"),
            (r"[a-\d]", r"invalid escape sequence `\d`"),
            ("[[:foo:]]", "invalid character class `[:foo:]`"),
            ("[a", "missing closing ]"),
            ("[]", "missing closing ]"),
            ("(?x)a b", "invalid flag `x`"),
            ("(?u:a)", "invalid flag `u`"),
            ("(?R)a", "invalid flag `R`"),
            ("(?P<a.b>x)", "invalid capture group name `a.b`"),
            ("(?<é>x)", "invalid capture group name `é`"),
            ("(?P<>x)", "invalid capture group name ``"),
            ("(?<=a)b", "invalid or unsupported Perl syntax `(?<=`"),
            ("a(?!b)", "invalid or unsupported Perl syntax `(?!`"),
            ("(?#note)a", "invalid or unsupported Perl syntax `(?#`"),
            ("(?i=a)", "invalid or unsupported Perl syntax `(?i=`"),
            ("(?i→)", "invalid or unsupported Perl syntax `(?i→`"),
        ] {
            let err = translate(go).expect_err(go);
            assert!(err.starts_with(error), "{go}: {err}");
            assert!(err.contains(GO), "{go}: {err}");
        }
    }

    #[test]
    fn braces_count_only_where_go_counts_them() {
        for (rest, counts) in [
            ("2}", true),
            ("2,}", true),
            ("2,5}", true),
            ("0}", true),
            ("10,100}", true),
            ("02}", false),
            (",5}", false),
            (" 2}", false),
            ("2 }", false),
            ("2,x}", false),
            ("2,05}", false),
            ("}", false),
            ("", false),
            ("2", false),
            ("-1}", false),
        ] {
            assert_eq!(begins_go_repeat(rest), counts, "{{{rest}");
        }
    }
}
