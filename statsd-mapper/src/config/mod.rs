//! Loading and validating a mapping config.

mod raw;
mod resolve;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Position, Warning};
use crate::options::ObserverOptions;
use crate::regex::RegexRules;
use crate::rule::{MatchType, Rule};
use crate::trie::Trie;

/// A validated, compiled mapping config: the rules, the defaults, and what it warned about.
///
/// Loading does everything that can fail: YAML, keys, globs, regexes, names, labels,
/// options. A [`Mapper`](crate::Mapper) built from it cannot fail.
///
/// ```
/// use statsd_mapper::{MapperConfig, WarningKind};
///
/// let yaml = r#"
/// defaults:
///   ttl: 1m20s
///   timer_type: histogram   # removed in statsd_exporter 0.30, still accepted
/// mappings:
/// - match: "app.*.requests"
///   name: app_requests
///   labels: { service: "$1" }
/// "#;
/// let config = MapperConfig::from_yaml_str(yaml, None)?;
/// assert_eq!(config.rules().len(), 1);
/// assert_eq!(config.defaults().ttl(), Some(std::time::Duration::from_secs(80)));
/// assert_eq!(config.warnings()[0].kind(), WarningKind::DeprecatedKey);
/// assert_eq!(config.warnings()[0].line(), 4);
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Debug)]
pub struct MapperConfig {
    pub(crate) rules: Vec<Rule>,
    pub(crate) trie: Trie,
    pub(crate) regexes: RegexRules,
    pub(crate) defaults: Defaults,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) file: Option<PathBuf>,
}

/// The resolved `defaults:` block; applies to unmapped metrics and fills rule options.
///
/// ```
/// use std::time::Duration;
/// use statsd_mapper::{MapperConfig, MatchType, ObserverType};
///
/// let config = MapperConfig::from_yaml_str(
///     "defaults:\n  ttl: 5m\n  observer_type: histogram\n  glob_disable_ordering: true\nmappings: []\n",
///     None,
/// )?;
/// let defaults = config.defaults();
/// assert_eq!(defaults.ttl(), Some(Duration::from_secs(300)));
/// assert_eq!(defaults.observer().observer_type, ObserverType::Histogram);
/// assert_eq!(defaults.match_type(), MatchType::Glob);
/// assert!(!defaults.glob_ordering());
/// assert_eq!(MapperConfig::empty().defaults().ttl(), None); // series never expire
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub(crate) match_type: MatchType,
    pub(crate) ordered: bool,
    pub(crate) ttl: Option<Duration>,
    pub(crate) observer: ObserverOptions,
}

impl Defaults {
    /// `defaults.match_type` (glob unless set).
    pub fn match_type(&self) -> MatchType {
        self.match_type
    }

    /// False when `glob_disable_ordering: true`.
    pub fn glob_ordering(&self) -> bool {
        self.ordered
    }

    /// `defaults.ttl`; `None` means series never expire.
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    /// Observer type and options for unmapped observers.
    pub fn observer(&self) -> &ObserverOptions {
        &self.observer
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            match_type: MatchType::Glob,
            ordered: true,
            ttl: None,
            observer: ObserverOptions::default(),
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

impl MapperConfig {
    /// Loads a config from YAML text. `file` is only used in error messages.
    ///
    /// # Errors
    ///
    /// Any problem in the text, with its line, column and offending text: invalid YAML,
    /// unknown or duplicate keys, invalid glob or regex, invalid metric or label name,
    /// unknown `match_type`/`observer_type`/`match_metric_type`/`action`, bad duration,
    /// conflicting observer options. See [`ErrorKind`].
    pub fn from_yaml_str(text: &str, file: Option<&Path>) -> Result<MapperConfig, Error> {
        let mut config = resolve::load(text).map_err(|err| err.with_file(file))?;
        config.file = file.map(Path::to_path_buf);
        Ok(config)
    }

    /// Reads and loads a config file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be read (or is not UTF-8), otherwise as
    /// [`MapperConfig::from_yaml_str`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<MapperConfig, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, &err))?;
        MapperConfig::from_yaml_str(&text, Some(path))
    }

    /// A config without rules: every metric is unmapped, with statsd_exporter's behaviour
    /// when no config file is given.
    pub fn empty() -> MapperConfig {
        MapperConfig {
            rules: Vec::new(),
            trie: Trie::new(true),
            regexes: RegexRules::new(next_id(), Vec::new()).unwrap_or_else(|_| unreachable!()),
            defaults: Defaults::default(),
            warnings: Vec::new(),
            file: None,
        }
    }

    /// The rules in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The resolved defaults.
    pub fn defaults(&self) -> &Defaults {
        &self.defaults
    }

    /// Deprecated keys and unreachable rules, in file order.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The file given at load, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

pub(crate) fn yaml_error(err: &serde_saphyr::Error, text: &str) -> Error {
    let plain = err.without_snippet();
    let position = plain.location().map(Position::of).unwrap_or_default();
    let offending = offending_text(text, position);
    let mut detail = plain.to_string();
    // serde-saphyr appends " at line X column Y"; the position is already in the prefix.
    if let Some(cut) = detail.rfind(" at line ") {
        detail.truncate(cut);
    }
    if let Some(cut) = detail.find(", set DuplicateKeyPolicy") {
        detail.truncate(cut);
    }
    Error::new(ErrorKind::Yaml, position, offending, detail)
}

/// The token at `position`: the rest of the line up to a `:` or end, trimmed.
fn offending_text(text: &str, position: Position) -> String {
    if position.line == 0 {
        return String::new();
    }
    let Some(line) = text.lines().nth(position.line as usize - 1) else {
        return String::new();
    };
    let start: usize = line
        .chars()
        .take(position.column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    let rest = line.get(start..).unwrap_or("").trim_end();
    let end = rest.find(": ").unwrap_or(rest.len());
    rest[..end].trim().to_string()
}
