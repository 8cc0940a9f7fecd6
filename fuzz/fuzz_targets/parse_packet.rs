//! Any bytes as a packet, through every parser configuration: no panic, and every
//! item can be walked and re-encoded; a re-encoded metric parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statsd_proto::{Compat, Item, Parser};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, packet)) = data.split_first() else {
        return;
    };
    let mut parser = Parser::new()
        .dogstatsd_tags(flags & 1 != 0)
        .influxdb_tags(flags & 2 != 0)
        .librato_tags(flags & 4 != 0)
        .signalfx_tags(flags & 8 != 0)
        .events(flags & 16 != 0);
    if flags & 32 != 0 {
        parser = parser.with_compat(Compat::DogStatsd);
    }
    let mut out = Vec::new();
    for item in parser.packet(packet).flatten() {
        out.clear();
        item.encode(&mut out);
        if let Item::Metric(m) = &item {
            let _ = (m.tags().count(), m.counts(), m.sample_errors().count());
            for s in m.samples().flatten() {
                let _ = s.observation_count();
            }
            // The encoder's output is a valid line for the same parser, when nothing in
            // the name or tags collides with the separators (see the encoder's limits).
            let plain = |b: &[u8]| !b.iter().any(|c| b",#[]|:=@\r".contains(c));
            let name = m.name().to_vec();
            let clean = !name.is_empty()
                && plain(&name)
                && m.tags()
                    .all(|t| plain(t.key()) && plain(t.value_or_empty()))
                && m.container_id().is_none_or(plain);
            if clean && !out.is_empty() {
                assert!(
                    parser.parse_line(&out).is_ok(),
                    "{:?}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
});
