//! Flags, `--version`, `--help`, `--check-config` and `--statsd.mapping-explain`.

use std::process::Command;

use crate::support::{TempDir, mastodon_mapping};

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_statsd-exporter"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn version_and_help_go_to_stdout() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("statsd-exporter, version "), "{out}");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("--[no-]statsd.parse-dogstatsd-tags") && out.contains("--version"),
        "{out}"
    );
    for flag in [
        "statsd.listen-udp",
        "statsd.listen-tcp",
        "statsd.listen-unixgram",
        "statsd.unixsocket-mode",
        "web.listen-address",
        "web.telemetry-path",
        "web.enable-lifecycle",
        "statsd.mapping-config",
        "statsd.read-buffer",
        "statsd.cache-size",
        "statsd.cache-type",
        "statsd.event-queue-size",
        "statsd.event-flush-threshold",
        "statsd.event-flush-interval",
        "statsd.parse-dogstatsd-tags",
        "statsd.parse-influxdb-tags",
        "statsd.parse-librato-tags",
        "statsd.parse-signalfx-tags",
        "statsd.relay.address",
        "statsd.relay.packet-length",
        "statsd.udp-packet-queue-size",
        "check-config",
        "log.level",
        "log.format",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn bad_flags_exit_non_zero_with_the_reason() {
    for (args, reason) in [
        (
            &["--statsd.nope=1"][..],
            "unknown long flag '--statsd.nope'",
        ),
        (
            &["--statsd.cache-type=fifo"][..],
            "enum value must be one of lru,random",
        ),
        (&["--log.level=chatty"][..], "unrecognized log level chatty"),
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, Some(1), "{args:?}");
        assert!(err.contains(reason), "{args:?}: {err}");
    }
}

#[test]
fn check_config_accepts_the_shipped_mastodon_mapping() {
    let mapping = mastodon_mapping();
    let (code, _, err) = run(&[
        "--check-config",
        &format!("--statsd.mapping-config={}", mapping.display()),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Configuration check successful"), "{err}");
}

#[test]
fn check_config_reports_file_line_column_and_text() {
    let dir = TempDir::new("check");
    let file = dir.join("bad.yml");
    std::fs::write(&file, "mappings:\n  - match: \"a.b.*\"\n    name: \"ok\"\n  - match: \"x.*.y\"\n    name: \"bad name!\"\n").unwrap();
    let (code, out, err) = run(&[
        "--check-config",
        &format!("--statsd.mapping-config={}", file.display()),
    ]);
    assert_eq!(code, Some(1));
    let text = format!("{out}{err}");
    assert!(text.contains(&format!("{}:5:", file.display())), "{text}");
    assert!(text.contains("bad name!"), "{text}");
}

#[test]
fn check_config_prints_every_error() {
    let dir = TempDir::new("check-all");
    let file = dir.join("bad.yml");
    let yaml = "\
mappings:
  - match: \"a.b*c.d!\"
    name: \"glob\"
  - match: \"ok.*\"
    name: \"ok\"
  - match: \"x.*.y\"
    name: \"bad name!\"
  - match: \"(unclosed\"
    match_type: regex
    name: \"re\"
";
    std::fs::write(&file, yaml).unwrap();
    let (code, out, err) = run(&[
        "--check-config",
        &format!("--statsd.mapping-config={}", file.display()),
    ]);
    assert_eq!(code, Some(1));
    let text = format!("{out}{err}");
    let path = file.display();
    for expected in [
        format!("{path}:2:12: invalid match \"a.b*c.d!\""),
        format!("{path}:7:11: invalid metric name \"bad name!\""),
        format!("{path}:8:12: invalid regex \"(unclosed\""),
    ] {
        let lines = text.lines().filter(|l| l.starts_with(&expected)).count();
        assert_eq!(lines, 1, "{expected} once in:\n{text}");
    }
}

#[test]
fn a_missing_mapping_file_fails_the_check() {
    let (code, _, err) = run(&[
        "--check-config",
        "--statsd.mapping-config=/nonexistent/mapping.yml",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/mapping.yml"), "{err}");
}

#[test]
fn explain_names_the_rule_and_the_result() {
    let mapping = mastodon_mapping();
    let (code, out, err) = run(&[
        &format!("--statsd.mapping-config={}", mapping.display()),
        "--statsd.mapping-explain=Mastodon.production.web.ActivityPub.InboxesController.create.json.status.202:1|c",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("statsd-mapping.yml:"),
        "explain names the rule's file and line: {out}"
    );
    assert!(out.contains("ActivityPub.InboxesController"), "{out}");
    assert!(out.contains("202"), "{out}");
    let (code, _, err) = run(&["--statsd.mapping-explain=no.type.here"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("expected name:value|type"), "{err}");
    let (code, out, _) = run(&["--statsd.mapping-explain=some.unmapped.name:1|g"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("some_unmapped_name"),
        "default naming without a mapping: {out}"
    );
}
