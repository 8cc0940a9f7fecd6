//! The hand-tuned parser against the nom reference (`statsd_proto::reference`), strict
//! DogStatsD mode: every line of every data table, and generated lines, must give
//! identical results (regex-crate style: two implementations, one set of inputs).

use proptest::prelude::*;
use statsd_proto::reference::{self, RefMetric, RefSample};
use statsd_proto::{ErrorKind, Parser};

use super::table;

/// The fast parser's answer, in the reference's shape.
fn fast(line: &[u8]) -> Result<RefMetric<'_>, (ErrorKind, usize)> {
    let m = Parser::dogstatsd()
        .parse_metric(line)
        .map_err(|e| (e.kind(), e.offset()))?;
    let (head, tail) = m.name().parts();
    assert!(tail.is_empty(), "name styles are off in DogStatsD mode");
    Ok(RefMetric {
        name: head,
        samples: m
            .samples()
            .map(|s| {
                let s = s.expect("strict samples never fail one by one");
                RefSample {
                    raw: s.raw_value(),
                    value: s.value(),
                    kind: s.kind(),
                    rate: s.sample_rate(),
                    timestamp: s.timestamp(),
                }
            })
            .collect(),
        tags: m.tags().map(|t| (t.key(), t.value())).collect(),
        container_id: m.container_id(),
        external_data: m.external_data(),
        cardinality: m.cardinality(),
    })
}

/// `Debug` with values as bits, so that `NaN == NaN` and `0.0 != -0.0`.
fn canonical(r: &Result<RefMetric<'_>, (ErrorKind, usize)>) -> String {
    match r {
        Err(e) => format!("{e:?}"),
        Ok(m) => {
            let bits: Vec<u64> = m.samples.iter().map(|s| s.value.to_bits()).collect();
            let rates: Vec<u64> = m.samples.iter().map(|s| s.rate.to_bits()).collect();
            format!("{m:?} {bits:?} {rates:?}")
        }
    }
}

fn check(line: &[u8]) {
    assert_eq!(
        canonical(&fast(line)),
        canonical(&reference::parse_metric(line)),
        "line {:?}",
        String::from_utf8_lossy(line)
    );
}

#[test]
fn data_tables_agree() {
    let mut lines = 0;
    for text in [
        include_str!("../data/lines.txt"),
        include_str!("../data/dogstatsd.txt"),
        include_str!("../data/errors.txt"),
        include_str!("../data/packets.txt"),
        include_str!("../data/events.txt"),
    ] {
        for case in table::parse(text) {
            let input = table::unescape(case.get("in"));
            for line in input.split(|&b| b == b'\n') {
                if line.starts_with(b"_e{") || line.starts_with(b"_sc|") {
                    continue; // events and service checks are not metric lines
                }
                check(line);
                lines += 1;
            }
        }
    }
    assert!(lines > 200, "only {lines} lines checked");
}

/// Lines built from the grammar's pieces, good and bad.
fn line() -> impl Strategy<Value = Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"foo.bar",
        b":",
        b"|",
        b"1",
        b"2.5",
        b"-3",
        b"1e3",
        b"NaN",
        b"c",
        b"ms",
        b"s",
        b"g",
        b"h",
        b"d",
        b"@",
        b"@0.1",
        b"@0",
        b"T",
        b"T170",
        b"T0",
        b"#",
        b"#k:v",
        b",",
        b"c:",
        b"e:",
        b"card:",
        b"x",
        b"\r",
        b"\xc3\xa9",
    ];
    let piece = prop::sample::select(PIECES);
    prop::collection::vec(piece, 0..14).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn generated_lines_agree(line in line()) {
        check(&line);
    }

    #[test]
    fn shaped_lines_agree(
        name in "[a-z.]{1,8}",
        values in prop::collection::vec("-?[0-9]{0,3}(\\.[0-9]{1,2})?|", 1..4),
        kind in "c|g|ms|h|d|s|x",
        fields in prop::collection::vec("@[0-9.]{0,4}|T[0-9]{0,3}|#[a-z:,#]{0,8}|c:[a-z]{0,3}|e:x|card:low|z", 0..4),
    ) {
        let mut line = format!("{name}:{}|{kind}", values.join(":"));
        for f in fields {
            line.push('|');
            line.push_str(&f);
        }
        check(line.as_bytes());
    }
}
