//! Differential test of regex rules against Go's `regexp` itself, which statsd_exporter
//! compiles mapping rules with: for each pattern, Go (`tests/go-oracle/main.go`, run with
//! `go run`) and this crate must agree on whether it loads, and, for each name, on
//! whether it matches, what each group captures, and what a template expands to (Go's
//! `Regexp.ExpandString`, as statsd_exporter expands a regex rule's name and labels).
//!
//! The patterns are a table of the syntax where Go and Rust's regex syntax differ, and
//! random patterns built from the characters Go's syntax gives a meaning. A disagreement
//! fails the test unless it is one of the few documented in the crate docs, which are
//! counted by class and printed.
//!
//! Needs `go` on the PATH (Debian's golang-go, installed by `scripts/install-deps.sh`):
//! without it the test fails, it never skips. `STATSD_GO_ORACLE_CASES` sets the number of
//! random patterns (default 1500) and `STATSD_GO_ORACLE_SEED` their seed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use statsd_mapper::{ErrorKind, Mapper, MapperConfig, MetricKind};

/// What one side makes of a pattern: refused, or per name no match (`None`) or the
/// groups (group 0 first; `None` for a group that did not take part) and the template
/// expanded.
type Verdict = Option<Vec<Option<(Vec<Option<String>>, String)>>>;

/// One pattern, the template to expand with it, and the names to match.
struct Case {
    pattern: String,
    template: String,
    names: Vec<String>,
}

/// Patterns where the two syntaxes differ, with names that tell their meanings apart.
const TABLE: &[(&str, &[&str])] = &[
    (r"^\d+\w*\s?$", &["12ab", "١٢", "1 ", "é"]),
    (r"\bx\B", &["x", "éx", "xa", "a x"]),
    (r"a{2}b{2,}c{2,3}", &["aabbcc", "aabbbccc", "abc"]),
    (
        r"a{env}b{ 2 }c{02}d{,5}e{}",
        &["a{env}b{ 2 }c{02}d{,5}e{}", "abbccd"],
    ),
    (r"\p{Greek}+\PL\pN", &["αβ.1", "ab.1"]),
    (r"\p{^Greek}\P{^L}", &["aa", "αa", "a1"]),
    (r"\x41\x{1F600}\x{4A}", &["A😀J", "A"]),
    (r"\Qa.b*\E+", &["a.b*", "a.b**", "axb"]),
    (r"x\Q(y", &["x(y", "xy"]),
    (r"\Q\\E", &["\\", "E"]),
    (r"\0\012\12\1234", &["\0\n\nS4", "S4"]),
    (r"\<a\>\.\_\ \#", &["<a>._ #", "a"]),
    (r"a]b}", &["a]b}", "ab"]),
    (r"[a[bc]]", &["[]", "a]", "b"]),
    ("[a&&b~~c]+", &["&~", "abc", "d"]),
    ("[+--]", &[",", "+", "a"]),
    ("[a-c-e]+", &["b-e", "d"]),
    ("[a-][-a][]a][^]a]", &["-a]b", "aaab"]),
    (r"[\d-z][\x41-\x5A\<]", &["-<", "1A", "zZ"]),
    ("[[:alpha:][:^digit:]]+", &["ab-", "12"]),
    ("[{]", &["{", "}"]),
    ("(?i)a(?s-m:b.)(?P<x>c)", &["AB\nc", "ab\nC", "Ab"]),
    ("(?U)(a+)(a*)", &["aaa"]),
    ("(?m)^b$", &["a\nb\nc", "ab"]),
    ("(a)|(b)", &["b", "c"]),
    (r"(\w+)\.(\d*)", &["web.200", "web.", ".1"]),
    ("x**", &["x"]),
    ("x{2}{3}", &["xxxxxx"]),
    ("(x{100}){11}", &["x"]),
    ("x{1001}", &["x"]),
    (r"\u0041", &["A"]),
    (r"\e", &["e"]),
    (r"\Z", &["Z"]),
    (r"[\b]", &["b"]),
    ("[[:foo:]]", &["f"]),
    ("(?x)a b", &["ab"]),
    ("(?P<a.b>x)", &["x"]),
    ("(?P<1st>a)(?P<n>b)?(?P<n>c)", &["abc", "ac"]),
    ("(a){0}(b)(?:(c)(?P<n>d)){0,0}(e)(f){0}", &["be", "abcdef"]),
    ("(?ii)a(?)(?i-i)b", &["Ab", "AB"]),
    ("(?=a)", &["a"]),
    ("a(?#note)", &["a"]),
    (r"\1", &["1"]),
    (r"\8", &["8"]),
    ("[a", &["a"]),
    ("a)", &["a)"]),
    ("*a", &["a"]),
];

/// The pieces random patterns and names are made of.
#[rustfmt::skip]
const PATTERN_PIECES: &[&str] = &[
    "\\", "[", "]", "{", "}", "(", ")", "?", "P<", ":", "^", "$", "-", ",", "Q", "E", "x", "p",
    "0", "7", "2", "a", "b", "<", "é", "&&", "~", "#", " ", ".", "*", "+", "|", "i", "d", "w",
    // Whole tokens, so that longer constructs come up often.
    r"\d", r"\b", r"\s", r"\W", r"\x4", r"\p{", "Greek}", "[:alpha:]", "[:", "(?i", "(?s",
    "(?U)", "(?-U", "(?P<n>", ".*", "{2}", "{1,3}", "{0}", r"\Q", r"\E", r"\0", r"\1", r"\<", "\\",
];
#[rustfmt::skip]
const TEMPLATE_PIECES: &[&str] = &[
    "$", "$$", "1", "0", "2", "{", "}", "n", "x", "_", "a", "é", ".", "-", "${1}", "$n", "${n}",
    "$1a", "${", " ", "$3", "${4}",
];
const NAME_PIECES: &[&str] = &[
    "a", "b", "ab", "é", "0", "7", "2", "x", "<", ">", "[", "]", "{", "}", "-", "&", "~", "#", " ",
    ".", ":", "Q", "E", "\\", "\n", "_",
];

/// Why a disagreement is one of those the crate docs list, if it is one.
fn documented_divergence(
    pattern: &str,
    go_loads: bool,
    ours: &Result<(), String>,
) -> Option<&'static str> {
    match (go_loads, ours) {
        (true, Err(reason)) if reason.contains("size limit") => {
            Some("compiles past this crate's size limit")
        }
        (false, Ok(())) if pattern.contains("(?<") && !pattern.contains("(?<=") => {
            Some("(?<name>…), which Go learned in 1.22 (the oracle is Debian's Go 1.19)")
        }
        (false, Ok(())) if pattern.contains("\\p") || pattern.contains("\\P") => {
            Some("a Unicode class name Go does not know (loads here only)")
        }
        _ => None,
    }
}

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn text(&mut self, pieces: &[&str], max: usize) -> String {
        let count = self.below(max + 1);
        (0..count)
            .map(|_| pieces[self.below(pieces.len())])
            .collect()
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(field: &str) -> String {
    let bytes: Vec<u8> = (0..field.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&field[i..i + 2], 16).expect("oracle hex"))
        .collect();
    String::from_utf8(bytes).expect("oracle output is UTF-8")
}

/// Go's verdicts, one per case.
fn go_verdicts(cases: &[Case]) -> Vec<Verdict> {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go-oracle/main.go");
    let mut child = Command::new("go")
        .arg("run")
        .arg(&oracle)
        .env("GOFLAGS", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run `go` ({err}): this test needs Go's regexp as its reference; \
                 scripts/install-deps.sh installs Debian's golang-go"
            )
        });
    let mut input = String::new();
    for case in cases {
        input.push_str(&hex(&case.pattern));
        for text in std::iter::once(&case.template).chain(&case.names) {
            input.push('\t');
            input.push_str(&hex(text));
        }
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("go run");
    writer.join().expect("writer").expect("write to go");
    assert!(
        output.status.success(),
        "go-oracle failed: {}",
        output.status
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let parse_match = |field: &str| {
        let (groups, expanded) = field.split_once(';').expect("groups;expansion");
        let groups = groups
            .split(',')
            .map(|group| (group != "~").then(|| unhex(group)))
            .collect();
        (groups, unhex(expanded))
    };
    let verdicts: Vec<Verdict> = text
        .lines()
        .map(|line| {
            let mut fields = line.split('\t');
            match fields.next() {
                Some("ERR") => None,
                Some("OK") => Some(
                    fields
                        .map(|field| (field != "-").then(|| parse_match(field)))
                        .collect(),
                ),
                other => panic!("go-oracle printed {other:?}"),
            }
        })
        .collect();
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    verdicts
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

/// This crate's verdict: the pattern as the only rule of a config, with the template as
/// a label's value, each name mapped.
fn our_verdict(case: &Case) -> (Verdict, Result<(), String>) {
    let yaml = format!(
        "mappings:\n- match: {}\n  match_type: regex\n  name: m\n  labels:\n    l: {}\n",
        quoted(&case.pattern),
        quoted(&case.template)
    );
    let config = match MapperConfig::from_yaml_str(&yaml, None) {
        Ok(config) => config,
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::InvalidRegex, "{yaml}: {err}");
            return (None, Err(err.to_string()));
        }
    };
    let mapper = Mapper::new(config, 0);
    let mut captures = statsd_mapper::Captures::new();
    let results = case
        .names
        .iter()
        .map(|name| {
            let mapping = mapper.map_uncached(name, MetricKind::Counter, &mut captures);
            mapping.rule()?;
            let groups = (0..mapping.capture_count())
                .map(|i| mapping.capture(i).map(str::to_string))
                .collect();
            let (_, value) = mapping.labels().next().expect("the label l");
            Some((groups, value.to_string()))
        })
        .collect();
    (Some(results), Ok(()))
}

#[test]
fn regex_rules_load_and_match_as_go_regexp_does() {
    let count =
        std::env::var("STATSD_GO_ORACLE_CASES").map_or(1500, |n| n.parse().expect("number"));
    let seed =
        std::env::var("STATSD_GO_ORACLE_SEED").map_or(0x5eed_cafe, |n| n.parse().expect("number"));
    let mut random = Random(seed | 1);
    let mut cases: Vec<Case> = TABLE
        .iter()
        .map(|(pattern, names)| Case {
            pattern: pattern.to_string(),
            template: "$1-${2}.$0$$".to_string(),
            names: names.iter().map(|n| n.to_string()).collect(),
        })
        .collect();
    for _ in 0..count {
        cases.push(Case {
            pattern: random.text(PATTERN_PIECES, 12),
            template: random.text(TEMPLATE_PIECES, 5),
            names: (0..6).map(|_| random.text(NAME_PIECES, 8)).collect(),
        });
    }
    let go = go_verdicts(&cases);
    let mut divergences: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let (mut both_load, mut both_refuse) = (0, 0);
    for (case, go) in cases.iter().zip(&go) {
        let (ours, loaded) = our_verdict(case);
        let Case {
            pattern,
            template,
            names,
        } = case;
        match (&go, &ours) {
            (Some(_), Some(_)) if go == &ours => both_load += 1,
            (None, None) => both_refuse += 1,
            (Some(_), Some(_)) => unexplained.push(format!(
                "{pattern:?} (template {template:?}) matches otherwise: names {names:?}\n  \
                 Go:   {go:?}\n  ours: {ours:?}"
            )),
            _ => match documented_divergence(pattern, go.is_some(), &loaded) {
                Some(class) => divergences.entry(class).or_default().push(pattern.clone()),
                None => unexplained.push(format!(
                    "{pattern:?}: Go {}, ours {}",
                    if go.is_some() {
                        "loads it"
                    } else {
                        "refuses it"
                    },
                    match &loaded {
                        Ok(()) => "loads it".to_string(),
                        Err(err) => format!("refuses it: {err}"),
                    }
                )),
            },
        }
    }
    println!(
        "{} patterns (seed {seed:#x}): {both_load} load in both and match alike, \
         {both_refuse} refused by both",
        cases.len()
    );
    for (class, patterns) in &divergences {
        println!(
            "documented divergence, {class}: {} ({:?})",
            patterns.len(),
            &patterns[..patterns.len().min(3)]
        );
    }
    assert!(
        unexplained.is_empty(),
        "{} disagreements with Go:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    // The random patterns must exercise both outcomes, or the comparison means little.
    assert!(
        both_load > cases.len() / 10 && both_refuse > cases.len() / 10,
        "{both_load} / {both_refuse}"
    );
}
