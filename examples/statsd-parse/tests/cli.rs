//! Runs the `statsd-parse` binary on stdin and on files.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> (String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_statsd-parse"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn statsd-parse");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.success())
}

#[test]
fn prints_samples_errors_and_a_summary() {
    let input = b"foo.bar:1|c\nlat:320|ms|@0.1|#env:prod\nbroken\nx:1o|c\ng:-3|g\n_sc|db|2\n";
    let (out, ok) = run(&[], input);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "<stdin>:1: c foo.bar 1",
            "<stdin>:2: ms lat 320 @0.1 tags=env=prod",
            "<stdin>:3: error malformed_line at byte 44",
            "<stdin>:4: error malformed_value at byte 47",
            "<stdin>:5: g g -3 (delta)",
            "<stdin>:6: service_check db status=2",
            "summary: lines=6 metrics=4 samples=3 events=0 service_checks=1 errors=2 tag_errors=0 \
             (malformed_line=1 malformed_value=1)",
        ]
    );
}

#[test]
fn reads_files_and_honours_flags() {
    let dir = std::env::temp_dir().join(format!("statsd-parse-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in.txt");
    std::fs::write(&file, b"a,env=prod:1|c|@x\r\nb:+5|g\n").unwrap();
    let path = file.to_str().unwrap();

    let (out, ok) = run(&[path], b"");
    assert!(ok);
    assert!(out.contains(":1: c a 1 tags=env=prod\n"), "{out}");
    assert!(out.contains(":1: warning invalid_sample_factor"), "{out}");
    assert!(out.contains(":2: g b 5 (delta)\n"), "{out}");
    assert!(
        out.ends_with("errors=1 tag_errors=0 (invalid_sample_factor=1)\n"),
        "{out}"
    );

    // Influx tags off: the comma stays in the name. DogStatsD mode: `+5` is absolute
    // and a bad rate drops the line.
    let (out, _) = run(&["--no-influxdb-tags", path], b"");
    assert!(out.contains(":1: c a,env=prod 1\n"), "{out}");
    let (out, _) = run(&["--dogstatsd", path], b"");
    assert!(
        out.contains(":1: error invalid_sample_factor at byte 15"),
        "{out}"
    );
    assert!(out.contains(":2: g b 5\n"), "{out}");

    let (_, ok) = run(&[dir.join("missing").to_str().unwrap()], b"");
    assert!(!ok, "an unreadable input is a failure");
    std::fs::remove_dir_all(&dir).unwrap();
}
