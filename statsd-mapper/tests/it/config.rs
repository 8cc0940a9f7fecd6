//! Loading: strictness, locations, deprecated keys, option resolution.

use statsd_mapper::*;

fn load_err(yaml: &str) -> Error {
    MapperConfig::from_yaml_str(yaml, Some("conf.yml".as_ref()))
        .expect_err("config must be rejected")
}

#[test]
fn yaml_shape_errors_name_line_column_and_text() {
    let err = load_err("mappings:\n- match: a.*\n  name: x\n  bogus: 1\n");
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::Yaml, 4, 3, "bogus")
    );
    assert!(
        err.to_string()
            .starts_with("conf.yml:4:3: invalid YAML \"bogus\": unknown field `bogus`"),
        "{err}"
    );

    let err = load_err("mappings:\n- match: a.*\n  name: x\n  name: y\n");
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::Yaml, 4, 3, "name")
    );
    assert!(err.detail().contains("duplicate"), "{err}");

    // Unquoted `*` starts a YAML alias.
    let err = load_err("mappings:\n- match: *.test.*\n  name: x\n");
    assert_eq!(
        (err.kind(), err.line(), err.column()),
        (ErrorKind::Yaml, 2, 10)
    );
}

#[test]
fn every_wrong_block_contributes_its_error_in_file_order() {
    let yaml = "\
defaults:
  ttl: 5 parsecs
mappings:
- match: good.*
  name: good
- match: \"a.b*c.d!\"
  name: x
- match: \"(unclosed\"
  match_type: regex
  name: y
- match: c.*
  name: z
  labels:
    9lives: cat
- match: d.*
  name: d
  action: jump
";
    let err = load_err(yaml);
    // The first error is the one Display and the accessors describe.
    assert_eq!(
        (err.kind(), err.line(), err.column()),
        (ErrorKind::InvalidDuration, 2, 8)
    );
    let all: Vec<(ErrorKind, u64, u64, &str)> = err
        .all()
        .map(|e| (e.kind(), e.line(), e.column(), e.text()))
        .collect();
    assert_eq!(
        all,
        [
            (ErrorKind::InvalidDuration, 2, 8, "5 parsecs"),
            (ErrorKind::InvalidGlob, 6, 10, "a.b*c.d!"),
            (ErrorKind::InvalidRegex, 8, 10, "(unclosed"),
            (ErrorKind::InvalidLabelName, 14, 5, "9lives"),
            (ErrorKind::InvalidAction, 17, 11, "jump"),
        ]
    );
    for e in err.all() {
        assert!(
            e.to_string()
                .starts_with(&format!("conf.yml:{}:{}: ", e.line(), e.column())),
            "{e}"
        );
        assert!(e.to_string().contains(&format!("{:?}", e.text())), "{e}");
    }

    // A single error stands alone; YAML shape errors stop the load.
    assert_eq!(
        load_err("mappings:\n- match: \"a.b*c.d!\"\n  name: x\n")
            .all()
            .len(),
        1
    );
    let err = load_err("mappings:\n- match: \"a.b*c.d!\"\n  name: x\n  bogus: 1\n");
    assert_eq!(err.all().len(), 1);
    assert_eq!(err.kind(), ErrorKind::Yaml);
}

#[test]
fn a_regex_too_large_to_compile_is_named_with_its_position() {
    // Go would load it (no count above 1000, nothing nested), but its compiled form
    // exceeds the regex engine's size limit (a Unicode class is a large UTF-8 automaton,
    // copied 1000 times): the load fails
    // (the rule's own regex is compiled only on first use, so the set's failure is traced
    // back to the rule at fault).
    let yaml = "\
mappings:
- match: ^ok\\.(.*)$
  match_type: regex
  name: ok
- match: \"^\\\\pL{1000}\\\\pN{1000}$\"
  match_type: regex
  name: huge
";
    let err = load_err(yaml);
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::InvalidRegex, 5, 10, "^\\pL{1000}\\pN{1000}$")
    );
    assert!(
        err.to_string()
            .contains("the regex is too large: the compiled regex exceeds the size limit of"),
        "{err}"
    );
}

/// A config of one regex rule, `pattern`, in the file `conf.yml`.
fn one_regex_rule(pattern: &str) -> Result<MapperConfig, Error> {
    let yaml = format!("mappings:\n- match: '{pattern}'\n  match_type: regex\n  name: x\n");
    MapperConfig::from_yaml_str(&yaml, Some(std::path::Path::new("conf.yml")))
}

/// `pattern` is refused as an invalid regex at its position, for `reason`.
fn assert_regex_refused(pattern: &str, reason: &str) {
    let err = one_regex_rule(pattern).expect_err(pattern);
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::InvalidRegex, 2, 10, pattern)
    );
    assert!(err.to_string().contains(reason), "{err}");
}

#[test]
fn repetitions_go_refuses_are_refused_as_statsd_exporter_does() {
    // Go refuses a count above 1000, one repetition operator right after another, and
    // nested counts that together repeat an expression more than 1000 times; the pattern
    // as written counts. statsd_exporter fails to load such a file.
    for (pattern, refused) in [
        ("^a{1000}$", None),
        ("^(x|y){2,1000}$", None),
        ("^a{1001}$", Some("invalid repeat count 1001")),
        ("^(.+){3886}$", Some("invalid repeat count 3886")),
        ("^a{2,1001}$", Some("invalid repeat count 1001")),
        ("^a{1001,}$", Some("invalid repeat count 1001")),
        ("^(a{10}){5000}b$", Some("invalid repeat count 5000")),
        ("^(a{10}){100}$", None),
        ("^(?:a*)*$", None),
        (
            "^(a{10}){101}$",
            Some("nested counted repetitions repeat an expression 1010 times"),
        ),
        (
            "^(?:[a-z]{1000}){1000}$",
            Some("repeat an expression 1000000 times"),
        ),
        ("^((\\b){500}){3}$", Some("repeat an expression 1500 times")),
        ("^a**$", Some("invalid nested repetition operator `**`")),
        (
            "^a{2}{3}$",
            Some("invalid nested repetition operator `{2}{3}`"),
        ),
    ] {
        match refused {
            None => {
                let loaded = one_regex_rule(pattern);
                assert!(loaded.is_ok(), "{pattern}: {:?}", loaded.err());
            }
            Some(reason) => assert_regex_refused(pattern, reason),
        }
    }
}

#[test]
fn a_brace_that_is_no_count_in_go_matches_itself() {
    // Go reads `{env}` and `{ 2 }` as literal text (only `{n}`, `{n,}`, `{n,m}` count);
    // Rust's syntax would refuse the first and read the second as a count.
    let yaml = "\
mappings:
- match: ^deploy\\.{env}\\.(\\w+)$
  match_type: regex
  name: deploy_unrendered
  labels:
    step: $1
- match: ^x{ 2 }$
  match_type: regex
  name: spaced_brace
";
    let mapper = statsd_mapper::Mapper::new(
        statsd_mapper::MapperConfig::from_yaml_str(yaml, None).expect("loads as in Go"),
        0,
    );
    let mut captures = statsd_mapper::Captures::new();
    for (metric, expected) in [
        ("deploy.{env}.build", "deploy_unrendered"),
        ("x{ 2 }", "spaced_brace"),
        ("xx", "xx"),
    ] {
        let mapping = mapper.map(metric, statsd_mapper::MetricKind::Counter, &mut captures);
        let mut name = String::new();
        mapping.name().write_to(&mut name);
        assert_eq!(name, expected, "{metric}");
    }
}

#[test]
fn go_syntax_means_what_it_means_in_statsd_exporter() {
    // Each pattern is Go syntax that Rust's regex syntax lacks or reads otherwise; it maps
    // the first name and not the second, as statsd_exporter does.
    for (pattern, mapped, unmapped) in [
        (r"^cache\Q.hit+\E$", "cache.hit+", "cachexhit"),
        (r"^a\056b$", "a.b", "axb"),
        (r"^\<tag\>$", "<tag>", "tag"),
        (r"^[a[]+$", "a[a", "a]"),
        (r"^[x&&y]+$", "x&y", "z"),
        (r"^[+--]$", ",", "a"),
        (r"^\p{^L}+$", "404", "abc"),
        (r"^deploy\.\p{Greek}+$", "deploy.αβ", "deploy.ab"),
    ] {
        let config = one_regex_rule(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}"));
        let mapper = statsd_mapper::Mapper::new(config, 0);
        let mut captures = statsd_mapper::Captures::new();
        let mut maps = |name| {
            let kind = statsd_mapper::MetricKind::Counter;
            mapper.map(name, kind, &mut captures).rule().is_some()
        };
        assert!(maps(mapped), "{pattern} should map {mapped:?}");
        assert!(!maps(unmapped), "{pattern} should not map {unmapped:?}");
    }
}

#[test]
fn syntax_go_lacks_is_refused_as_statsd_exporter_refuses_it() {
    for (pattern, reason) in [
        (r"^(?x)a b$", "invalid flag `x`"),
        (r"^\u0041$", r"invalid escape sequence `\u`"),
        (r"^\1$", r"invalid escape sequence `\1`"),
        ("^(?P<a.b>x)$", "invalid capture group name `a.b`"),
        ("^[[:letters:]]$", "invalid character class `[:letters:]`"),
    ] {
        assert_regex_refused(pattern, reason);
    }
}

#[test]
fn a_huge_regex_captures_only_the_groups_its_templates_use() {
    // 120 groups around 100 letters: extracting every group would take about 100 MB of
    // slot tables per thread; the templates use two of them, so only those capture.
    let groups: String = (0..119).map(|i| format!("(x{i})?")).collect();
    let pattern = format!("^{groups}(?P<word>\\pL{{100}})$");
    let yaml = format!(
        "mappings:\n- match: '{pattern}'\n  match_type: regex\n  name: huge_$1\n  \
         labels:\n    word: '${{word}}'\n"
    );
    let mapper = statsd_mapper::Mapper::new(MapperConfig::from_yaml_str(&yaml, None).unwrap(), 0);
    let word = "é".repeat(100);
    let name = format!("x0x1{word}");
    let mut captures = statsd_mapper::Captures::new();
    let mapping = mapper.map(&name, statsd_mapper::MetricKind::Counter, &mut captures);
    assert_eq!(mapping.name().to_string(), "huge_x0");
    let labels: Vec<(String, String)> = mapping
        .labels()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    assert_eq!(labels, [("word".to_string(), word.clone())]);
    assert_eq!(mapping.capture_count(), 121);
    assert_eq!(mapping.capture(0), Some(name.as_str()));
    assert_eq!(mapping.capture(1), Some("x0"));
    assert_eq!(mapping.capture(120), Some(word.as_str()));
    // A group no template uses does not capture in such a rule, though it took part.
    assert_eq!(mapping.capture(2), None);
    assert!(
        regex::Regex::new(&pattern)
            .unwrap()
            .captures(&name)
            .unwrap()
            .get(2)
            .is_some()
    );
}

#[test]
fn regex_rules_compile_on_first_use_and_then_capture() {
    let yaml = "\
mappings:
- match: ^web\\.(?P<verb>[a-z]+)\\.(\\d+)$
  match_type: regex
  name: web_${1}
  labels:
    verb: ${verb}
    code: $2
- match: ^(.*)$
  match_type: regex
  name: other
";
    let mapper = statsd_mapper::Mapper::new(
        statsd_mapper::MapperConfig::from_yaml_str(yaml, None).expect("loads"),
        0,
    );
    let mut captures = statsd_mapper::Captures::new();
    for _ in 0..2 {
        let mapping = mapper.map(
            "web.get.200",
            statsd_mapper::MetricKind::Counter,
            &mut captures,
        );
        let mut name = String::new();
        mapping.name().write_to(&mut name);
        assert_eq!(name, "web_get");
        let labels: Vec<(String, String)> = mapping
            .labels()
            .map(|(k, v)| {
                let mut value = String::new();
                v.write_to(&mut value);
                (k.to_string(), value)
            })
            .collect();
        assert_eq!(
            labels,
            [
                ("verb".to_string(), "get".to_string()),
                ("code".to_string(), "200".to_string())
            ]
        );
    }
    let mapping = mapper.map("x.y", statsd_mapper::MetricKind::Gauge, &mut captures);
    let mut name = String::new();
    mapping.name().write_to(&mut name);
    assert_eq!(name, "other");
}
