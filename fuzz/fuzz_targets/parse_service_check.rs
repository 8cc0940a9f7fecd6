//! Any bytes after `_sc|` as a DogStatsD service check: no panic; a parsed check
//! re-encodes to a line that parses to the same name, status and message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statsd_proto::Parser;

fuzz_target!(|data: &[u8]| {
    let mut line = b"_sc|".to_vec();
    line.extend_from_slice(data);
    for parser in [Parser::new(), Parser::dogstatsd()] {
        if let Ok(check) = parser.parse_service_check(&line) {
            let _ = (check.tags().count(), check.message_unescaped());
            let mut out = Vec::new();
            check.encode(&mut out);
            let again = parser.parse_service_check(&out).expect("re-encoded check parses");
            assert_eq!(
                (again.name(), again.status(), again.message()),
                (check.name(), check.status(), check.message())
            );
        }
    }
});
