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
//! * A repetition operator right after a flag group repeats what came before the group
//!   in Go (`a(?i)*` is `a*`); Rust has nothing to repeat there. The operator is moved
//!   before the group, lazy or greedy as the group's `U` would have made it.
//! * Go allows group names Rust refuses (`(?P<1st>`) and a name twice (`$name` is the
//!   first such group). Groups are written unnamed, and their names kept aside, one per
//!   capturing `(` as Go counts them (a group that can never match, `(a){0}`, counts).
//! * Go allows a flag twice and a flag group that changes nothing (`(?ii)`, `(?i-i)`,
//!   `(?)`); Rust refuses them. Flags are written each once, as Go means them.
//! * Go's count limit (1000) and its refusal of stacked operators (`a**`) are lexical:
//!   checked as the pattern is read, so `a*\Q\E*` is `(a*)*`, as in Go.
//! * Escapes Go does not have (`\u0041`, `\e`, `[\b]`) and the flags it does not have
//!   (`x`, `u`, `R`) are errors, as they are in Go, so both refuse the same files.
//!
//! What is left, each an error on one side only and never a different match, is listed
//! in the crate docs.

use crate::repeat_limit::MAX_REPEAT_COUNT;

/// Where statsd_exporter's regex engine is named in errors.
const GO: &str = "Go's regular expressions, which statsd_exporter uses,";

/// A pattern in regex-syntax's syntax, and the names of its groups.
pub(crate) struct Translated {
    pub(crate) pattern: String,
    /// The name of each group as Go numbers them, group 0 (the whole match) first. Every
    /// group is written unnamed: Go allows names Rust refuses (`1st`) and a name twice
    /// (`$name` is the first group of that name); the groups are numbered alike.
    pub(crate) names: Vec<Option<String>>,
}

/// `pattern`, read as Go reads it, in regex-syntax's syntax.
///
/// # Errors
///
/// An escape, flag or group name Go does not have, an unknown POSIX class name, or a
/// class without its `]`, explained in one line. Everything else Go refuses is left for
/// regex-syntax to refuse.
pub(crate) fn translate(pattern: &str) -> Result<Translated, String> {
    let mut scanner = Scanner {
        rest: pattern,
        out: String::with_capacity(pattern.len() + 16),
        greed_swapped: vec![false],
        flags_written: None,
        group_names: vec![None],
    };
    // Go's `lastRepeat`: the pattern from the previous token on, when that token was a
    // repetition operator. Go refuses one right after another, lexically: `a**` is an
    // error, but `a*\Q\E*` and `a*(?i)*` are `(a*)*`.
    let mut last_repeat: Option<&str> = None;
    while !scanner.rest.is_empty() {
        let before = scanner.rest;
        if let Some(length) = repetition_operator(before)? {
            if let Some(previous) = last_repeat {
                let operators = &previous[..previous.len() - (before.len() - length)];
                return Err(format!(
                    "invalid nested repetition operator `{operators}`: {GO} refuse one \
                     repetition operator right after another (write `(?:x*)*`)"
                ));
            }
            scanner.repetition(&before[..length]);
            scanner.rest = &before[length..];
            last_repeat = Some(before);
            continue;
        }
        last_repeat = None;
        match scanner.next() {
            Some('\\') => scanner.escape()?,
            Some('[') => scanner.class()?,
            Some('(') if scanner.peek() == Some('?') => scanner.group_flags()?,
            Some('(') => {
                scanner.group_names.push(None);
                scanner.open_group(scanner.greed_is_swapped());
            }
            Some(')') => {
                if scanner.greed_swapped.len() > 1 {
                    scanner.greed_swapped.pop();
                }
                scanner.out.push(')');
            }
            // Not a count (those are repetition operators, above): a literal brace.
            Some('{') => scanner.out.push_str("\\{"),
            // A `]` outside a class is a character in Go.
            Some(']') => scanner.out.push_str("\\]"),
            Some(c) => scanner.out.push(c),
            None => {}
        }
    }
    Ok(Translated {
        pattern: scanner.out,
        names: scanner
            .group_names
            .into_iter()
            .map(|name| name.map(str::to_string))
            .collect(),
    })
}

/// The length of the repetition operator at the start of `text` (`*`, `+`, `?` or a
/// count as Go reads one, with its lazy `?`), if one is there.
///
/// # Errors
///
/// A count above 1000, which Go refuses as soon as it reads it.
fn repetition_operator(text: &str) -> Result<Option<usize>, String> {
    let length = match text.as_bytes().first() {
        Some(b'*' | b'+' | b'?') => 1,
        Some(b'{') if begins_go_repeat(&text[1..]) => {
            let count = &text[1..text.find('}').unwrap_or(text.len())];
            let largest = count
                .split(',')
                .filter(|n| !n.is_empty())
                .map(|n| n.parse::<u64>().unwrap_or(u64::MAX))
                .max()
                .unwrap_or(0);
            if largest > u64::from(MAX_REPEAT_COUNT) {
                let shown = if largest == u64::MAX {
                    count.to_string()
                } else {
                    largest.to_string()
                };
                return Err(format!(
                    "invalid repeat count {shown}: {GO} allow at most {MAX_REPEAT_COUNT}"
                ));
            }
            count.len() + 2
        }
        _ => return Ok(None),
    };
    Ok(Some(length + usize::from(text[length..].starts_with('?'))))
}

/// The pattern still to read, and the translation so far.
struct Scanner<'a> {
    rest: &'a str,
    out: String,
    /// Whether `U` (swap greed) is on, per open group: the innermost last.
    greed_swapped: Vec<bool>,
    /// Where in `out` the flag groups (`(?i)`) written last start and end, and whether
    /// greed was swapped before them.
    flags_written: Option<(usize, usize, bool)>,
    /// The names of the groups so far, group 0 first.
    group_names: Vec<Option<&'a str>>,
}

impl<'a> Scanner<'a> {
    fn next(&mut self) -> Option<char> {
        let c = self.rest.chars().next()?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn greed_is_swapped(&self) -> bool {
        self.greed_swapped.last().copied().unwrap_or(false)
    }

    /// Writes a repetition operator. Right after a flag group, Go applies it to what
    /// came before the group (`a(?i)*` is `a*`), but Rust has nothing to repeat there, so
    /// the operator goes before the group, made lazy or greedy as the group's `U` flag
    /// would have made it.
    fn repetition(&mut self, operator: &str) {
        let Some((start, swapped_before)) = self
            .flags_written
            .take()
            .filter(|(_, end, _)| *end == self.out.len())
            .map(|(start, _, before)| (start, before))
        else {
            self.out.push_str(operator);
            return;
        };
        let flags = self.out.split_off(start);
        match (
            swapped_before != self.greed_is_swapped(),
            operator.strip_suffix('?'),
        ) {
            (false, _) => self.out.push_str(operator),
            (true, Some(greedy)) if !greedy.is_empty() => self.out.push_str(greedy),
            (true, _) => {
                self.out.push_str(operator);
                self.out.push('?');
            }
        }
        // The groups stay movable: in `a(?i)?(?s)+`, Go repeats `a?` again.
        let start = self.out.len();
        self.out.push_str(&flags);
        self.flags_written = Some((start, self.out.len(), swapped_before));
    }

    /// Writes `(` and enters a group, with greed swapped or not.
    fn open_group(&mut self, swapped: bool) {
        self.flags_written = None;
        self.out.push('(');
        self.greed_swapped.push(swapped);
    }

    /// After a `(` followed by `?` (Go's `parsePerlFlags`): a named group, whose name Go
    /// allows only ASCII letters, digits and `_`, or flags, of which Go has only `i`, `m`,
    /// `s` and `U`, for the rest of the group (`(?i)`) or a new one (`(?i:`). Copied.
    fn group_flags(&mut self) -> Result<(), String> {
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
        if let Some((open, after)) = name {
            let name = after.split_once('>').map(|(name, _)| name).unwrap_or(after);
            let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
            if name.is_empty() || !name.chars().all(valid) {
                return Err(format!(
                    "invalid capture group name `{name}`: {GO} allow only ASCII letters, \
                     digits and `_`"
                ));
            }
            self.open_group(self.greed_is_swapped());
            let end = open + name.len();
            match self.rest[end..].strip_prefix('>') {
                Some(rest) => {
                    self.group_names.push(Some(name));
                    self.rest = rest;
                }
                // Unclosed: copied, for regex-syntax to refuse.
                None => {
                    self.out.push_str(&self.rest[..end]);
                    self.rest = &self.rest[end..];
                }
            }
            return Ok(());
        }
        let length = self.rest[1..]
            .find(|c| !matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
            .map_or(self.rest.len(), |end| end + 1);
        let flags = &self.rest[1..length];
        let close = self.rest[length..].chars().next();
        if let (Some(close @ (':' | ')')), Some((on, off))) = (close, go_flags(flags)) {
            // Written as Go means it: each flag once (Rust refuses `(?ii)`), and nothing
            // for a group that changes nothing (Rust refuses `(?)`).
            let swapped = match (on.contains('U'), off.contains('U')) {
                (true, _) => true,
                (_, true) => false,
                _ => self.greed_is_swapped(),
            };
            let mut written = String::from("(?");
            written.push_str(&on);
            if !off.is_empty() {
                written.push('-');
                written.push_str(&off);
            }
            self.rest = &self.rest[length + 1..];
            if close == ':' {
                self.open_group(swapped);
                self.out.push_str(&written[1..]);
                self.out.push(':');
                return Ok(());
            }
            if on.is_empty() && off.is_empty() {
                return Ok(());
            }
            // Flag groups in a row (`(?i)(?U)`) move together.
            let (start, before) = match self.flags_written {
                Some((start, end, before)) if end == self.out.len() => (start, before),
                _ => (self.out.len(), self.greed_is_swapped()),
            };
            self.out.push_str(&written);
            self.out.push(')');
            if let Some(top) = self.greed_swapped.last_mut() {
                *top = swapped;
            }
            self.flags_written = Some((start, self.out.len(), before));
            return Ok(());
        }
        match close {
            // A negation without flags after it (`(?i-)`, `(?-)`) or twice (`(?--i)`):
            // copied, for regex-syntax to refuse, as Go does.
            Some(':' | ')') => {
                self.out.push('(');
                self.out.push_str(&self.rest[..=length]);
                self.rest = &self.rest[length + 1..];
            }
            Some(c) if c.is_alphabetic() => {
                return Err(format!(
                    "invalid flag `{c}`: {GO} have only the flags i, m, s and U"
                ));
            }
            Some(c) => {
                let syntax = &self.rest[..length + c.len_utf8()];
                return Err(format!(
                    "invalid or unsupported Perl syntax `({syntax}`: {GO} have only the \
                     flags i, m, s and U after `(?`"
                ));
            }
            // Unclosed: copied, for regex-syntax to refuse.
            None => {
                self.out.push('(');
                self.out.push_str(self.rest);
                self.rest = "";
            }
        }
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

/// The flags Go sets and clears for `flags` (the text between `(?` and `:` or `)`, of
/// `i`, `m`, `s`, `U` and `-`), each once, in a fixed order; a flag set and then cleared
/// (`i-i`) is cleared. `None` where Go refuses them: a `-` with no flag after it, or two.
fn go_flags(flags: &str) -> Option<(String, String)> {
    let (on, off) = match flags.split_once('-') {
        None => (flags, ""),
        Some((_, off)) if off.is_empty() || off.contains('-') => return None,
        Some((on, off)) => (on, off),
    };
    let set = "imsU"
        .chars()
        .filter(|&c| on.contains(c) && !off.contains(c));
    let cleared = "imsU".chars().filter(|&c| off.contains(c));
    Some((set.collect(), cleared.collect()))
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
            // Flags are copied; groups are written unnamed (their names kept aside).
            ("(?i)a(?s-m:b)(?P<x>c)(?<y_1>d)", "(?i)a(?s-m:b)(c)(d)"),
            // An operator right after flag groups repeats what came before them, and is
            // lazy or greedy as the groups' `U` makes it.
            ("a(?i)*", "a*(?i)"),
            ("a(?i)(?s){2}?b", "a{2}?(?i)(?s)b"),
            ("a(?U)*", "a*?(?U)"),
            ("a(?U)*?", "a*(?U)"),
            ("(?U)a(?-U)+", "(?U)a+?(?-U)"),
            ("(?U)(a(?i)?)", "(?U)(a?(?i))"),
            ("(?U)(a(?-U)?)b*", "(?U)(a??(?-U))b*"),
            (r"a(?i)\Q\E*", "a*(?i)"),
            ("a(?i)b*", "a(?i)b*"),
            // Operators separated by any token are not stacked.
            (r"a*\Q\E*", "a**"),
            ("a*(?i)*", "a**(?i)"),
            ("a(?U)?(?U)+", "a??+?(?U)(?U)"),
            ("a(?U)?(?-U)+", "a??+(?U)(?-U)"),
            // Flags as Go means them: each once, none for a group that changes nothing.
            ("(?ii)a(?sUs:b)", "(?i)a(?sU:b)"),
            ("a(?)b(?)*", "ab*"),
            ("(?i-i)a(?is-si:x)", "(?-i)a(?-is:x)"),
            ("(?i-)a", "(?i-)a"),
            ("(?P<n>a)(?P<n>b)(?<n>c)", "(a)(b)(c)"),
            ("(?P<n>a)(?P<n", "(a)(?P<n"),
        ] {
            assert_eq!(
                translate(go).map(|t| t.pattern).as_deref(),
                Ok(rust),
                "{go}"
            );
        }
    }

    #[test]
    fn group_names_are_kept_as_go_numbers_the_groups() {
        // Go allows a name to start with a digit, and a name twice.
        let translated = translate(r"(a)(?P<1st>b)(?:(?<n>c)|\(x\))(?P<n>d)[(]\Q(\E").unwrap();
        let names: Vec<Option<&str>> = translated.names.iter().map(Option::as_deref).collect();
        assert_eq!(names, [None, None, Some("1st"), Some("n"), Some("n")]);
        // Groups that can never match count too (`(a){0}`), as in Go.
        assert_eq!(translate("(a){0}(b)").unwrap().names.len(), 3);
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
            ("a**", "invalid nested repetition operator `**`"),
            ("a{2}{3}", "invalid nested repetition operator `{2}{3}`"),
            ("a*?+", "invalid nested repetition operator `*?+`"),
            ("a*??", "invalid nested repetition operator `*??`"),
            ("a{1001}", "invalid repeat count 1001"),
            ("a{2,1001}", "invalid repeat count 1001"),
            ("a{1001}*", "invalid repeat count 1001"),
            (
                "a{99999999999999999999999}",
                "invalid repeat count 99999999999999999999999",
            ),
        ] {
            let Err(err) = translate(go) else {
                panic!("{go} translated");
            };
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
