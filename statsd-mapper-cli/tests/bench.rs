//! `statsd-mapper bench`.

use crate::support::{MASTODON, mastodon_text, run, run_with_stdin, write_file};

/// 300 lines: 150 web status counters (3 names), 90 queue gauges (1 name), 40 lines of
/// one unmatched name, 15 of another, 4 sets, 1 malformed line.
fn small_corpus() -> String {
    let mut text = String::new();
    for i in 0..150 {
        let code = ["200", "404", "500"][i % 3];
        text.push_str(&format!(
            "Mastodon.production.web.HomeController.index.html.status.{code}:1|c\n"
        ));
    }
    for i in 0..90 {
        text.push_str(&format!(
            "Mastodon.production.sidekiq.queues.default.enqueued:{i}|g\n"
        ));
    }
    for _ in 0..40 {
        text.push_str("Other.frequent:1|c\n");
    }
    for _ in 0..15 {
        text.push_str("Other.rare:2|ms\n");
    }
    for _ in 0..4 {
        text.push_str("users.unique:42|s\n");
    }
    text.push_str("broken line\n");
    text
}

#[test]
fn a_small_corpus_gives_sane_json_figures() {
    let corpus = write_file("small-corpus.txt", &small_corpus());
    let r = run(&[
        "bench",
        MASTODON,
        &corpus,
        "--format",
        "json",
        "--min-time",
        "5",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let json = r.json();
    let c = &json["corpus"];
    assert_eq!(c["lines"], 300);
    assert_eq!(c["samples"], 295);
    assert_eq!(c["distinct_names"], 6);
    assert_eq!(c["sets"], 4);
    assert_eq!(c["parse_errors"]["malformed_line"], 1);
    for figure in [
        &json["parse"]["ns_per_line"],
        &json["map"]["ns_per_sample"],
        &json["map"]["uncached_ns_per_sample"],
        &json["total"]["ns_per_line"],
    ] {
        let ns = figure.as_f64().unwrap();
        // Sane: more than a few instructions, far less than a millisecond.
        assert!(ns > 1.0 && ns < 1e6, "{ns} ns in {json:#}");
    }
    let lines_per_second = json["parse"]["lines_per_second"].as_f64().unwrap();
    let ns = json["parse"]["ns_per_line"].as_f64().unwrap();
    assert!((lines_per_second * ns / 1e9 - 1.0).abs() < 1e-6);
    // Six distinct names, a cache of 1000: six misses, the rest hits, exactly.
    let cache = &json["cache"];
    assert_eq!(
        (cache["lookups"].as_u64(), cache["misses"].as_u64()),
        (Some(295), Some(6))
    );
    assert_eq!(cache["exact"], true);
    let rate = cache["hit_rate"].as_f64().unwrap();
    assert!((rate - 100.0 * 289.0 / 295.0).abs() < 1e-9, "{rate}");
    // Traffic per rule: the status rule and the queue rule, in samples.
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), mastodon_text().matches("- match:").count());
    assert_eq!(rules[0]["samples"], 150);
    let queue = rules
        .iter()
        .find(|r| r["match"] == "Mastodon.production.sidekiq.queues.*.enqueued")
        .unwrap();
    assert_eq!(queue["samples"], 90);
    let total: u64 = rules.iter().map(|r| r["samples"].as_u64().unwrap()).sum();
    assert_eq!(total, 240);
    // Unmatched names, most frequent first.
    let unmapped = &json["unmapped"];
    assert_eq!(unmapped["samples"], 55);
    assert_eq!(unmapped["top"][0]["name"], "Other.frequent");
    assert_eq!(unmapped["top"][0]["samples"], 40);
    assert_eq!(unmapped["top"][1]["name"], "Other.rare");
    assert_eq!(unmapped["top"][1]["class"], "observer");
}

#[test]
fn human_output_from_stdin() {
    let r = run_with_stdin(
        &["bench", MASTODON, "-", "--min-time", "1", "--top", "1"],
        &small_corpus(),
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("corpus:  stdin\n"), "{}", r.stdout);
    for needle in [
        "300 lines, 295 samples, 6 distinct names",
        "1 parse errors (malformed_line 1), 4 sets",
        "ns/line",
        "cache    97.97% hits (295 lookups, 6 misses)",
        "50.85%         150  rule 0 (line ",
        "unmatched names by frequency (top 1):\n          40  Other.frequent (counter)\n",
    ] {
        assert!(r.stdout.contains(needle), "{needle:?} not in\n{}", r.stdout);
    }
    // No terminal: no progress bar.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn without_a_corpus_one_is_generated_from_the_rules() {
    let r = run(&[
        "bench",
        MASTODON,
        "--lines",
        "3000",
        "--min-time",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["corpus"]["lines"], 3000);
    let generated = &json["corpus"]["generated"];
    let rules = mastodon_text().matches("- match:").count() as u64;
    let covered = generated["rules_covered"].as_u64().unwrap();
    let uncovered = generated["rules_without_traffic"].as_array().unwrap().len() as u64;
    assert_eq!(covered + uncovered, rules);
    // Every glob rule of the Mastodon mapping is reachable, so every one gets traffic.
    let globs = mastodon_text()
        .lines()
        .filter(|l| l.trim_start().starts_with("- match: \""))
        .count();
    let with_traffic = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["samples"].as_u64() > Some(0))
        .count();
    assert_eq!(with_traffic as u64, covered);
    assert!(covered >= globs as u64, "{generated}");
    // About one line in twenty is unmatched.
    let unmatched = json["unmapped"]["share"].as_f64().unwrap();
    assert!((2.0..10.0).contains(&unmatched), "{unmatched}");
    // The same seed gives the same corpus.
    let again = run(&[
        "bench",
        MASTODON,
        "--lines",
        "3000",
        "--min-time",
        "1",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(again["rules"], json["rules"]);
}

#[test]
fn an_unreadable_corpus_is_an_error() {
    let r = run(&["bench", MASTODON, "/nonexistent/corpus.txt"]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("cannot read corpus"), "{}", r.stderr);
}
