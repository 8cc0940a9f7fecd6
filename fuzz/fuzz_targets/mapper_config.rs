//! Arbitrary bytes into the mapping-config loader: it must return a config or a typed
//! error with a position, never panic; a config that loads must map without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match MapperConfig::from_yaml_str(text, None) {
        Ok(config) => {
            for warning in config.warnings() {
                let _ = warning.to_string();
            }
            let mapper = Mapper::new(config, 16);
            let mut captures = Captures::new();
            let mut out = String::new();
            for name in ["a", "a.b", "a.b.c", "", ".", "*.*", "x.y.z.w"] {
                for kind in MetricKind::ALL {
                    let mapping = mapper.map(name, kind, &mut captures);
                    out.clear();
                    mapping.name().write_to(&mut out);
                    for (_, value) in mapping.labels() {
                        value.write_to(&mut out);
                    }
                    let _ = mapper.explain(name, kind).to_string();
                }
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
