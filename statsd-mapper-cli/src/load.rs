//! Loading the config shared by every command.

use std::io::{self, Write};
use std::path::Path;

use statsd_mapper::{Mapper, MapperConfig};

/// Loads the config for `explain`, `bench` and `test`; on failure prints the error
/// (`file:line:column: …`) to `err` and returns `None`.
pub fn mapper(path: &str, cache_size: usize, err: &mut dyn Write) -> io::Result<Option<Mapper>> {
    let path = Path::new(path);
    match MapperConfig::from_path(path) {
        Ok(config) => Ok(Some(Mapper::new(config, cache_size))),
        Err(e) => {
            writeln!(err, "error: {e}")?;
            writeln!(
                err,
                "(run `statsd-mapper check {}` for every problem with its source line)",
                path.display()
            )?;
            Ok(None)
        }
    }
}
