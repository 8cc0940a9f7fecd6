//! Instruction-count driver for statsd-proto on a realistic stream: builds a 1 MB
//! Mastodon-style corpus, then parses it `n` times through `Parser::packet`.
//!
//! `callgrind_parse_stream <n>`; prints the number of lines per stream on stderr.
//! `benches/scripts/callgrind-parse.sh` runs it with n = 0 and n = 3 and divides the
//! difference by 3 × lines.

use std::hint::black_box;

use statsd_benches::mastodon_stream;
use statsd_proto::{Item, Parser};

fn main() {
    let Some(n) = std::env::args()
        .nth(1)
        .and_then(|n| n.parse::<usize>().ok())
    else {
        eprintln!("usage: callgrind_parse_stream <n>");
        std::process::exit(2);
    };
    let stream = mastodon_stream(1, 1 << 20);
    let parser = Parser::new();
    let mut acc = 0.0f64;
    for _ in 0..n {
        for item in parser.packet(black_box(&stream)) {
            if let Ok(Item::Metric(ref m)) = item {
                for s in m.samples().flatten() {
                    acc += s.value();
                }
            }
        }
    }
    black_box(acc);
    let lines = stream.iter().filter(|&&b| b == b'\n').count();
    eprintln!("lines per stream: {lines}");
}
