//! Running the binary and making config variants.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The project's Mastodon mapping.
pub const MASTODON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/mastodon/statsd-mapping.yml"
);

/// The committed cases file for the Mastodon mapping.
pub const MASTODON_CASES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mastodon-cases.yml");

/// What a run printed and its exit status.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON (panics with the output when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `statsd-mapper ARGS` with `stdin` as standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_statsd-mapper"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin is written");
    let output = child.wait_with_output().expect("the binary finishes");
    Run {
        status: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `statsd-mapper ARGS` with an empty standard input.
pub fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

/// The Mastodon mapping's text.
pub fn mastodon_text() -> String {
    std::fs::read_to_string(MASTODON).expect("examples/mastodon/statsd-mapping.yml exists")
}

/// Writes `text` to a file of the test's own (under cargo's per-target temporary dir).
pub fn write_file(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("statsd-mapper-cli");
    std::fs::create_dir_all(&dir).expect("temporary dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temporary file written");
    path.to_str().expect("UTF-8 path").to_string()
}

/// 1-based (line, column) of the first occurrence of `needle` in `text`.
pub fn position_of(text: &str, needle: &str) -> (usize, usize) {
    for (index, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (index + 1, line[..byte].chars().count() + 1);
        }
    }
    panic!("{needle:?} is not in the text");
}

/// The Mastodon mapping with `extra` rules appended to `mappings:` (it is the last key).
pub fn mastodon_with(extra: &str) -> String {
    let mut text = mastodon_text();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(extra);
    text
}
