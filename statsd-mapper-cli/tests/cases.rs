//! `statsd-mapper test`.

use crate::support::{MASTODON, MASTODON_CASES, position_of, run, write_file};

#[test]
fn the_committed_mastodon_cases_pass() {
    let cases = std::fs::read_to_string(MASTODON_CASES).unwrap();
    let count = cases.matches("- line:").count();
    let r = run(&["test", MASTODON, MASTODON_CASES]);
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .ends_with(&format!("{count} cases, {count} passed, 0 failed\n")),
        "{}",
        r.stdout
    );
    let json = run(&["test", MASTODON, MASTODON_CASES, "--format", "json"]).json();
    assert_eq!(json["failed"], 0);
    assert_eq!(json["passed"], count);
}

#[test]
fn failing_cases_show_a_diff_and_fail_the_run() {
    let cases = concat!(
        "- line: \"Mastodon.production.web.HomeController.index.html.status.200:1|c\"\n",
        "  name: mastodon_controller_status\n",
        "  labels: {controller: HomeController, action: index, format: html, status: \"201\", mastodon: web}\n",
        "- line: \"Mastodon.production.sidekiq.FeedInsertWorker.success:1|c\"\n",
        "  name: mastodon_sidekiq_success\n",
        "  type: gauge\n",
        "- line: \"Mastodon.production.cache.read_hit.duration:1|ms\"\n",
        "  dropped: true\n",
        "- line: \"Mastodon.production.cache.read_hit.duration:1|ms\"\n",
        "  type: summary\n",
    );
    let file = write_file("failing-cases.yml", cases);
    let r = run(&["test", MASTODON, &file]);
    assert_eq!(r.status, 1);
    let expected = [
        format!(
            "FAIL {file}:1: Mastodon.production.web.HomeController.index.html.status.200:1|c\n  labels differ (- expected, + actual):\n    - status=\"201\"\n    + status=\"200\"\n  matched rule 0 at {MASTODON}:"
        ),
        format!(
            "FAIL {file}:4: Mastodon.production.sidekiq.FeedInsertWorker.success:1|c\n  name:\n    - mastodon_sidekiq_success\n    + mastodon_sidekiq_worker_success_total\n  type:\n    - gauge\n    + counter\n"
        ),
        format!(
            "FAIL {file}:7: Mastodon.production.cache.read_hit.duration:1|ms\n  outcome:\n    - dropped\n    + mapped\n"
        ),
        format!("{file}: 4 cases, 1 passed, 3 failed\n"),
    ];
    for needle in &expected {
        assert!(
            r.stdout.contains(needle.as_str()),
            "{needle:?} not in\n{}",
            r.stdout
        );
    }
    let json = run(&["test", MASTODON, &file, "--format", "json"]).json();
    assert_eq!(
        (json["passed"].as_u64(), json["failed"].as_u64()),
        (Some(1), Some(3))
    );
    let second = &json["results"][1];
    assert_eq!(second["line"], 4);
    assert_eq!(second["mismatches"][0]["field"], "name");
    assert_eq!(
        second["mismatches"][0]["actual"],
        "mastodon_sidekiq_worker_success_total"
    );
    assert_eq!(json["results"][3]["passed"], true);
}

#[test]
fn an_invalid_cases_file_exits_2_with_its_position() {
    let text = "- line: \"a.b:1|c\"\n  name: ab\n- line: \"c.d:1|c\"\n  nmae: cd\n";
    let file = write_file("invalid-cases.yml", text);
    let r = run(&["test", MASTODON, &file]);
    assert_eq!(r.status, 2);
    let (line, column) = position_of(text, "nmae");
    assert!(
        r.stderr
            .contains(&format!("error: {file}:{line}:{column}: ")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nmae"), "{}", r.stderr);

    let empty_expectation = write_file("asserts-nothing.yml", "- line: \"a.b:1|c\"\n");
    let r = run(&["test", MASTODON, &empty_expectation]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("expects nothing"), "{}", r.stderr);
}

#[test]
fn an_unparsable_case_line_fails() {
    let file = write_file(
        "unparsable-case.yml",
        "- line: \"a.b:x|c\"\n  unmapped: true\n",
    );
    let r = run(&["test", MASTODON, &file]);
    assert_eq!(r.status, 1);
    assert!(r.stdout.contains("  error: cannot parse"), "{}", r.stdout);
}
