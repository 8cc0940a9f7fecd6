//! A metric name that begins `_e{` (SignalFX brackets removed from `_e[]{…`) is encoded as
//! `_e[]{…`, so that the line reads back as the same metric and not as an event.
//! Pins the fix for fuzz/regressions/parse_packet/crash-f18b2360….

use statsd_proto::{Item, Parser};

#[test]
fn a_name_that_starts_like_an_event_reads_back_as_the_same_metric() {
    let parser = Parser::new().events(true);
    // (line, name after parsing, the encoder's spelling)
    for (line, name, encoded) in [
        (
            &b"_e[]{estst:1|h"[..],
            &b"_e{estst"[..],
            &b"_e[]{estst:1|h"[..],
        ),
        (b"_e[k=v]{x:2|c", b"_e{x", b"_e[]{x:2|c|#k:v"),
        (b"_[k=v]e{x:2|c", b"_e{x", b"_e[]{x:2|c|#k:v"),
        (b"[k=v]_e{x:2|c", b"_e{x", b"_e[]{x:2|c|#k:v"),
        // Not event-like: written as they are.
        (b"_e:1|c", b"_e", b"_e:1|c"),
        (b"_e[]x:1|c", b"_ex", b"_ex:1|c"),
    ] {
        let Ok(Item::Metric(metric)) = parser.parse_line(line) else {
            panic!("{:?} is a metric", String::from_utf8_lossy(line));
        };
        assert_eq!(metric.name().to_vec(), name, "{line:?}");
        let mut out = Vec::new();
        Item::Metric(metric).encode(&mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(encoded),
            "{line:?}"
        );
        let Ok(Item::Metric(again)) = parser.parse_line(&out) else {
            panic!("{:?} reads back as a metric", String::from_utf8_lossy(&out));
        };
        assert_eq!(again.name().to_vec(), name, "{line:?}");
    }
}
