//! Instruction-count driver for a fuzz target's body: runs `statsd_benches::fuzz::<target>`
//! once on every file of a directory (a corpus, or the committed seeds), in name order.
//!
//! ```text
//! cargo build --profile callgrind -p statsd-benches --bin callgrind_fuzz_body
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/callgrind/callgrind_fuzz_body mapper_config fuzz/seeds/mapper_config
//! ```
//!
//! What one fuzz execution costs, on average, decides how many a campaign gets through;
//! for mapper_config that is mostly compiling regexes.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: callgrind_fuzz_body <parse_packet|parse_line|parse_event|parse_service_check|mapper_config|mapper_match|pipeline> <directory>";
    let (Some(target), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let body: fn(&[u8]) = match target.as_str() {
        "parse_packet" => statsd_benches::fuzz::parse_packet,
        "parse_line" => statsd_benches::fuzz::parse_line,
        "parse_event" => statsd_benches::fuzz::parse_event,
        "parse_service_check" => statsd_benches::fuzz::parse_service_check,
        "mapper_config" => statsd_benches::fuzz::mapper_config,
        "mapper_match" => statsd_benches::fuzz::mapper_match,
        "pipeline" => statsd_benches::fuzz::pipeline,
        other => {
            eprintln!("unknown target {other}\n{usage}");
            std::process::exit(2);
        }
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| Some(e.ok()?.path())).collect(),
        Err(err) => {
            eprintln!("callgrind_fuzz_body: {dir}: {err}");
            std::process::exit(1);
        }
    };
    files.sort();
    for file in &files {
        match std::fs::read(file) {
            Ok(data) => body(&data),
            Err(err) => {
                eprintln!("callgrind_fuzz_body: {}: {err}", file.display());
                std::process::exit(1);
            }
        }
    }
    eprintln!("{} inputs", files.len());
}
