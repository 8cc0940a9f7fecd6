//! Instruction-count driver for statsd-proto: parses one benchmark shape N times.
//!
//! `callgrind_parse <shape> <n> [exporter|dogstatsd|reference] [no-tags]`, where shape is one of
//! `plain`, `timer_rate`, `tags5`, `packed4`, `full` (the Mastodon stream has its own
//! driver, `callgrind_parse_stream`, so that each binary has one parse call site and
//! the inlining is the same as in a real consumer). Run it under
//! `valgrind --tool=callgrind` with n = 0 and n = 20000; the difference divided by
//! n is the cost of one line (see `benches/scripts/callgrind-parse.sh`).

use std::hint::black_box;

use statsd_benches::PARSE_SHAPES;
use statsd_proto::{Item, Parser};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: callgrind_parse <plain|timer_rate|tags5|packed4|full> <n> [exporter|dogstatsd|reference] [no-tags]";
    let (Some(shape), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    // `reference`: the nom reference parser of statsd_proto (strict DogStatsD grammar),
    // to measure what the combinator structure costs against the hand-tuned path.
    let reference = args.get(3).map(String::as_str) == Some("reference");
    let parser = match args.get(3).map(String::as_str) {
        None | Some("exporter") => Parser::new(),
        Some("dogstatsd" | "reference") => Parser::dogstatsd(),
        Some(other) => {
            eprintln!("unknown mode {other}\n{usage}");
            std::process::exit(2);
        }
    };
    let Some((_, line)) = PARSE_SHAPES.iter().find(|(label, _)| label == shape) else {
        eprintln!("unknown shape {shape}\n{usage}");
        std::process::exit(2);
    };
    // A fourth argument `no-tags` skips the tag walk (to see what the walk costs).
    let walk_tags = args.get(4).map(String::as_str) != Some("no-tags");
    let mut acc = 0.0f64;
    let mut tag_bytes = 0usize;
    if reference {
        for _ in 0..n {
            if let Ok(m) = statsd_proto::reference::parse_metric(black_box(line)) {
                if walk_tags {
                    for (_, value) in &m.tags {
                        tag_bytes += value.unwrap_or(b"").len();
                    }
                }
                for s in &m.samples {
                    acc += s.value * s.rate;
                }
            }
        }
        black_box((acc, tag_bytes));
        return;
    }
    let mut counted = 0u64;
    for _ in 0..n {
        // Parse, then do what statsd-exporter-core's pipeline does with a metric line:
        // take statsd_exporter's counters (`counts`, `sample_errors`), walk every tag
        // and read every sample.
        if let Ok(Item::Metric(ref m)) = parser.parse_line(black_box(line)) {
            let c = m.counts();
            counted += u64::from(c.samples + c.samples_with_tags + c.tag_errors);
            counted += m.sample_errors().count() as u64;
            if walk_tags {
                // Every tag's value is read; the lengths are summed as integers (an
                // `as f64` per tag, as before, cost the driver 9 instructions a tag).
                for tag in m.tags() {
                    tag_bytes += tag.value_or_empty().len();
                }
            }
            for s in m.samples().flatten() {
                acc += s.value() * s.sample_rate();
            }
        }
    }
    black_box((acc, counted, tag_bytes));
}
