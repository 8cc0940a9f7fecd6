//! Replays every committed fuzz input as an ordinary test: the seed corpora
//! (`fuzz/seeds/<target>/`) and the regression inputs (`fuzz/regressions/<target>/`) go
//! through the same entry point and invariants as the cargo-fuzz target of that name
//! (`fuzz/fuzz_targets/<target>.rs`): both call the body in `statsd_benches::fuzz`. Inputs of open bugs live in `fuzz/regressions/open/<target>/`; their test is
//! `#[ignore]`d with the bug named, and passes once the bug is fixed (then move the file up).
//!
//! ```text
//! cargo test -p statsd-benches --test fuzz_replay              # must pass
//! cargo test -p statsd-benches --test fuzz_replay -- --ignored # the open bugs
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use statsd_benches::fuzz;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Runs `entry` on every file under each of `dirs` (missing directories are empty);
/// fails naming every input that panicked. Returns how many inputs ran.
fn replay(dirs: &[PathBuf], entry: fn(&[u8])) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
    count
}

fn committed(target: &str) -> usize {
    let fuzz = fuzz_dir();
    replay(
        &[
            fuzz.join("seeds").join(target),
            fuzz.join("regressions").join(target),
        ],
        entry(target),
    )
}

/// Replays the inputs of open bugs (`fuzz/regressions/open/<target>/`): add an
/// `#[ignore = "bug: …"]` test calling this while a bug is open, and remove it with the fix.
#[allow(dead_code)]
fn open_bugs(target: &str) -> usize {
    replay(
        &[fuzz_dir().join("regressions/open").join(target)],
        entry(target),
    )
}

fn entry(target: &str) -> fn(&[u8]) {
    match target {
        "parse_packet" => fuzz::parse_packet,
        "parse_line" => fuzz::parse_line,
        "parse_event" => fuzz::parse_event,
        "parse_service_check" => fuzz::parse_service_check,
        "mapper_config" => fuzz::mapper_config,
        "mapper_match" => fuzz::mapper_match,
        "pipeline" => fuzz::pipeline,
        _ => panic!("no fuzz target {target}"),
    }
}

#[test]
fn every_target_has_a_replay_entry() {
    let targets = std::fs::read_dir(fuzz_dir().join("fuzz_targets")).unwrap();
    for file in targets {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let _ = entry(&name);
        assert!(
            fuzz_dir().join("seeds").join(&name).is_dir(),
            "no seed corpus for {name}: run fuzz/seeds/generate.py"
        );
    }
}

#[test]
fn parse_packet_inputs() {
    assert!(committed("parse_packet") > 0);
}

#[test]
fn parse_line_inputs() {
    assert!(committed("parse_line") > 0);
}

#[test]
fn parse_event_inputs() {
    assert!(committed("parse_event") > 0);
}

#[test]
fn parse_service_check_inputs() {
    assert!(committed("parse_service_check") > 0);
}

#[test]
fn mapper_config_inputs() {
    assert!(committed("mapper_config") > 0);
}

#[test]
fn mapper_match_inputs() {
    assert!(committed("mapper_match") > 0);
}

#[test]
fn pipeline_inputs() {
    assert!(committed("pipeline") > 0);
}
