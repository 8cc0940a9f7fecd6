//! `statsd-mapper check`.

use crate::support::{MASTODON, mastodon_text, mastodon_with, position_of, run, write_file};

#[test]
fn the_mastodon_mapping_is_clean() {
    let rules = mastodon_text().matches("- match:").count();
    let r = run(&["check", MASTODON]);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .ends_with(&format!("{rules} rules, 0 errors, 0 warnings\n")),
        "{}",
        r.stdout
    );
    let json = run(&["check", MASTODON, "--format", "json"]).json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["rules"], rules);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn an_invalid_glob_is_reported_at_its_line_and_column() {
    let text = mastodon_text().replace(
        "\"Mastodon.production.cache.*.duration\"",
        "\"Mastodon.production.cache.*.dur!ation\"",
    );
    let (line, column) = position_of(&text, "\"Mastodon.production.cache.*.dur!ation\"");
    let file = write_file("broken-glob.yml", &text);
    let r = run(&["check", &file]);
    assert_eq!(r.status, 1);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{file}:{line}:{column}: error: invalid match \"Mastodon.production.cache.*.dur!ation\""
        )),
        "{}",
        r.stdout
    );
    // The source line, then a caret under the column.
    let mut lines = r.stdout.lines().skip(1);
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("- match: \"Mastodon.production.cache.*.dur!ation\"")
    );
    let caret = lines.next().unwrap();
    let bar = caret.find('|').unwrap();
    assert_eq!(caret.len() - bar - 2, column, "{caret:?}");
    assert!(r.stdout.contains("1 error, not loaded"));
}

#[test]
fn every_broken_rule_is_reported_in_file_order() {
    let text = mastodon_text()
        .replace("labels: {table: \"$1\"", "labels: {ta-ble: \"$1\"")
        .replace(
            "\"Mastodon.production.cache.*.duration\"",
            "\"Mastodon.production.cache.*.dur!ation\"",
        );
    let label = position_of(&text, "ta-ble");
    let glob = position_of(&text, "\"Mastodon.production.cache.*.dur!ation\"");
    let file = write_file("two-broken-rules.yml", &text);
    let json = run(&["check", &file, "--format", "json"]).json();
    assert_eq!(json["errors"], 2, "{json:#}");
    let at = |i: usize| {
        let f = &json["findings"][i];
        (
            f["kind"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap() as usize,
            f["column"].as_u64().unwrap() as usize,
            f["text"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        at(0),
        (
            "invalid_label_name".into(),
            label.0,
            label.1,
            "ta-ble".into()
        )
    );
    assert_eq!(
        at(1),
        (
            "invalid_glob".into(),
            glob.0,
            glob.1,
            "Mastodon.production.cache.*.dur!ation".into()
        )
    );
}

#[test]
fn a_yaml_error_is_reported_with_the_offending_key() {
    let text = mastodon_text().replace(
        "    name: mastodon_cache_duration",
        "    nmae: mastodon_cache_duration",
    );
    let (line, column) = position_of(&text, "nmae:");
    let file = write_file("unknown-key.yml", &text);
    let json = run(&["check", &file, "--format", "json"]).json();
    assert_eq!(json["ok"], false);
    assert_eq!(json["errors"], 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["kind"], "yaml");
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(line as u64), Some(column as u64))
    );
    assert_eq!(finding["text"], "nmae");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `nmae`")
    );
}

#[test]
fn warnings_name_deprecated_keys_and_shadowed_rules() {
    let extra = concat!(
        "  - match: \"Mastodon.production.cache.*.duration\"\n",
        "    name: duplicate_of_the_cache_rule\n",
        "  - match: \"Mastodon.production.sidekiq.queues.*.enqueued\"\n",
        "    match_metric_type: gauge\n",
        "    name: shadowed_for_gauges\n",
        "  - match: \"Mastodon.production.extra.*\"\n",
        "    timer_type: histogram\n",
        "    name: extra\n",
        "  - match: \"Mastodon.production.counted.*\"\n",
        "    match_metric_type: counter\n",
        "    observer_type: histogram\n",
        "    name: counted\n",
    );
    let text = mastodon_with(extra);
    let file = write_file("warnings.yml", &text);
    let r = run(&["check", &file]);
    assert_eq!(r.status, 0, "warnings alone do not fail: {}", r.stdout);
    let duplicate = text
        .lines()
        .position(|l| l.contains("duplicate_of_the_cache_rule"))
        .unwrap();
    let shadowed = text
        .lines()
        .position(|l| l.contains("shadowed_for_gauges"))
        .unwrap();
    let deprecated = position_of(&text, "timer_type: histogram");
    // Each warning points at the rule's `match` value (the line before its name).
    assert!(
        r.stdout
            .contains(&format!("{file}:{duplicate}:12: warning: rule")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("{file}:{}:12: warning: rule", shadowed - 1)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "{file}:{}:{}: warning: `timer_type`",
            deprecated.0,
            deprecated.1 + 12
        )),
        "{}",
        r.stdout
    );
    // The `observer_type` value of the appended counter rule, the line before its name.
    let name_line = text
        .lines()
        .position(|l| l.contains("name: counted"))
        .unwrap();
    let useless = (name_line, 5);
    assert!(
        r.stdout.contains(&format!(
            "{file}:{}:{}: warning: rule {}: `observer_type` never applies",
            useless.0,
            useless.1 + "observer_type: ".len(),
            mastodon_text().matches("- match:").count() + 3
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 errors, 4 warnings"));

    let strict = run(&["check", &file, "--deny-warnings", "--format", "json"]);
    assert_eq!(strict.status, 1);
    let json = strict.json();
    let kinds: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "unreachable_rule",
            "unreachable_rule",
            "deprecated_key",
            "option_never_applies"
        ]
    );
    assert_eq!(json["findings"][2]["text"], "histogram");
}

#[test]
fn a_type_restricted_rule_is_not_shadowed_by_a_rule_for_another_type() {
    let extra = concat!(
        "  - match: \"Mastodon.production.extra.*\"\n",
        "    match_metric_type: gauge\n",
        "    name: extra_gauge\n",
        "  - match: \"Mastodon.production.extra.*\"\n",
        "    match_metric_type: counter\n",
        "    name: extra_counter\n",
    );
    let file = write_file("typed.yml", &mastodon_with(extra));
    let r = run(&["check", &file, "--deny-warnings"]);
    assert_eq!(r.status, 0, "{}", r.stdout);
}

#[test]
fn a_missing_file_is_an_error() {
    let r = run(&["check", "/nonexistent/mapping.yml"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stdout.contains("/nonexistent/mapping.yml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("error: cannot read mapping config"),
        "{}",
        r.stdout
    );
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    let r = run(&["check"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("check expects CONFIG"), "{}", r.stderr);
    assert!(r.stderr.contains("statsd-mapper help check"));
    let help = run(&["help", "check"]);
    assert_eq!(help.status, 0);
    assert!(help.stdout.contains("Examples:"));
    assert!(
        run(&["--help"])
            .stdout
            .contains("statsd-mapper bench CONFIG")
    );
}
