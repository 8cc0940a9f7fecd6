//! Any bytes after `_e{` as a DogStatsD event: no panic; a parsed event re-encodes to
//! a line that parses to the same title and text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statsd_proto::Parser;

fuzz_target!(|data: &[u8]| {
    let mut line = b"_e{".to_vec();
    line.extend_from_slice(data);
    for parser in [Parser::new(), Parser::dogstatsd()] {
        if let Ok(event) = parser.parse_event(&line) {
            let _ = (event.tags().count(), event.text_unescaped());
            let mut out = Vec::new();
            event.encode(&mut out);
            let again = parser.parse_event(&out).expect("re-encoded event parses");
            assert_eq!((again.title(), again.text()), (event.title(), event.text()));
        }
    }
});
