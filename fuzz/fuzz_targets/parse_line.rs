//! Any bytes as one line, in both modes: no panic, and the line parses the same way
//! alone as inside a packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statsd_proto::{Item, Parser};

fuzz_target!(|line: &[u8]| {
    if line.contains(&b'\n') || line.is_empty() {
        return;
    }
    for parser in [Parser::new(), Parser::dogstatsd()] {
        let alone = parser.parse_line(line);
        let mut packet = parser.packet(line);
        let inside = packet.next();
        assert_eq!(alone.is_ok(), matches!(inside, Some(Ok(_))));
        if let Ok(Item::Metric(m)) = &alone {
            let _ = (m.tags().count(), m.tag_errors(), m.has_tags(), m.name().to_vec());
        }
    }
});
