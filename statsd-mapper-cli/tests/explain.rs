//! `statsd-mapper explain`.

use crate::support::{
    MASTODON, mastodon_text, mastodon_with, position_of, run, run_with_stdin, write_file,
};

/// `file:line:column` of the rule whose `match` is `pattern` in `text`.
fn rule_at(file: &str, text: &str, pattern: &str) -> String {
    let (line, column) = position_of(text, &format!("- match: {pattern}"));
    format!("{file}:{line}:{}", column + "- match: ".len())
}

#[test]
fn a_glob_match_shows_rule_name_labels_and_type() {
    let line = "Mastodon.production.web.HomeController.index.html.status.200:1|c";
    let r = run(&["explain", MASTODON, line]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let at = rule_at(
        MASTODON,
        &mastodon_text(),
        "\"Mastodon.production.web.*.*.*.status.*\"",
    );
    assert!(
        r.stdout
            .contains(&format!("result:  mapped by rule 0 at {at} (glob ")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "metric:  mastodon_controller_status{action=\"index\",controller=\"HomeController\",format=\"html\",mastodon=\"web\",status=\"200\"} counter"
        ),
        "{}",
        r.stdout
    );
    // The first rule wins: nothing was tried before it.
    assert!(!r.stdout.contains("not matched:"), "{}", r.stdout);
}

/// A Sidekiq worker nested deeper than any glob rule reaches: only a regex rule maps it.
const DEEP_WORKER: &str = "Mastodon.production.sidekiq.A..B..C..D..E..Worker.processing_time";

#[test]
fn a_regex_fallback_lists_why_every_earlier_rule_failed() {
    let line = format!("{DEEP_WORKER}:120|ms");
    let json = run(&["explain", MASTODON, &line, "--format", "json"]).json();
    let doc = &json[0];
    assert_eq!(doc["outcome"], "mapped");
    assert_eq!(doc["name"], "mastodon_sidekiq_worker_processing_time");
    assert_eq!(doc["type"], "summary");
    assert_eq!(doc["labels"]["worker"], "A..B..C..D..E..Worker");
    assert_eq!(doc["rule"]["match_type"], "regex");
    let text = mastodon_text();
    let (line_no, _) = position_of(
        &text,
        "'^Mastodon\\.production\\.sidekiq\\.(.+)\\.processing_time$'",
    );
    assert_eq!(doc["rule"]["line"], line_no);
    let steps = doc["steps"].as_array().unwrap();
    let globs = text
        .lines()
        .filter(|l| l.trim_start().starts_with("- match: \""))
        .count();
    // Every glob rule, then the winner (the first regex rule).
    assert_eq!(steps.len(), globs + 1);
    assert_eq!(steps.last().unwrap()["verdict"], "matched");
    for step in &steps[..globs] {
        assert_eq!(step["match_type"], "glob");
        assert!(
            matches!(
                step["verdict"].as_str(),
                Some("component" | "component_count")
            ),
            "{step}"
        );
    }
    // The plain worker glob fails on its component count.
    let worker = steps
        .iter()
        .find(|s| s["match"] == "Mastodon.production.sidekiq.*.processing_time")
        .unwrap();
    let components = DEEP_WORKER.split('.').count();
    assert_eq!(
        worker["reason"],
        format!("has 5 components, the name has {components}")
    );
}

#[test]
fn an_unmatched_name_is_exported_escaped_with_its_tags() {
    let r = run(&[
        "explain",
        MASTODON,
        "Other.service-name.requests:1|c|#env:prod",
    ]);
    assert_eq!(r.status, 0);
    assert!(
        r.stdout.contains("result:  unmapped: no rule matches"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("metric:  Other_service_name_requests{env=\"prod\"} counter"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("does not match"), "{}", r.stdout);
}

#[test]
fn a_dropped_name_names_the_drop_rule() {
    let extra = "  - match: \"Mastodon.production.noise.*\"\n    action: drop\n    name: dropped\n";
    let text = mastodon_with(extra);
    let file = write_file("with-drop.yml", &text);
    let r = run(&["explain", &file, "Mastodon.production.noise.gc_runs:1|c"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let at = rule_at(&file, &text, "\"Mastodon.production.noise.*\"");
    // The appended rule comes after every rule of the Mastodon mapping.
    let index = mastodon_text().matches("- match:").count();
    assert!(
        r.stdout
            .contains(&format!("result:  dropped by rule {index} at {at}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(" at {at} (glob")),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("metric:"), "{}", r.stdout);
    let json = run(&[
        "explain",
        &file,
        "Mastodon.production.noise.gc_runs|c",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(json[0]["outcome"], "dropped");
    assert_eq!(json[0]["name"], serde_json::Value::Null);
}

#[test]
fn bare_names_take_their_type_from_the_option_or_the_suffix() {
    let by_option = run(&[
        "explain",
        MASTODON,
        "--type",
        "gauge",
        "Mastodon.production.sidekiq.queues.push.latency",
        "--format",
        "json",
    ])
    .json();
    let by_suffix = run(&[
        "explain",
        MASTODON,
        "Mastodon.production.sidekiq.queues.push.latency|g",
        "--format",
        "json",
    ])
    .json();
    for doc in [&by_option[0], &by_suffix[0]] {
        assert_eq!(doc["statsd_type"], "g");
        assert_eq!(doc["type"], "gauge");
        assert_eq!(doc["name"], "mastodon_sidekiq_queue_latency");
    }
}

#[test]
fn lines_from_stdin_and_errors() {
    let input = "Mastodon.production.cache.read_hit.duration:0.2|ms\nnot a line:x|c\n";
    let r = run_with_stdin(&["explain", MASTODON, "-", "--format", "json"], input);
    assert_eq!(r.status, 1, "an unparsable line fails the run");
    let json = r.json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["name"], "mastodon_cache_duration");
    assert!(
        json[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot parse"),
        "{}",
        json[1]
    );
}

#[test]
fn sets_are_rejected_before_any_rule() {
    let json = run(&["explain", MASTODON, "users.unique:42|s", "--format", "json"]).json();
    assert_eq!(json[0]["outcome"], "rejected");
    assert_eq!(json[0]["steps"].as_array().unwrap().len(), 0);
    let r = run(&["explain", MASTODON, "users.unique:42|s"]);
    assert!(
        r.stdout
            .contains("result:  rejected: sets cannot be exported"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("not matched"), "{}", r.stdout);
}

#[test]
fn a_broken_config_stops_explain() {
    let file = write_file("broken-for-explain.yml", "mappings:\n- match: a.b\n");
    let r = run(&["explain", &file, "a.b:1|c"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr
            .contains(&format!("error: {file}:2:3: missing metric name")),
        "{}",
        r.stderr
    );
}
