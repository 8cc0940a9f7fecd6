//! statsd_exporter-compatible mapping: YAML rules compiled into a glob trie and a regex set.
#![forbid(unsafe_code)]

mod cache;
mod captures;
mod config;
mod duration;
mod error;
mod escape;
mod explain;
mod glob;
mod hash;
mod kind;
mod mapper;
mod options;
mod regex;
mod rule;
mod template;
mod trie;

pub use captures::Captures;
pub use config::{Defaults, MapperConfig};
pub use error::{Error, ErrorKind, Position, Warning, WarningKind};
pub use escape::{escape_metric_name, escape_metric_name_into};
pub use explain::{Explanation, Step, Verdict};
pub use kind::MetricKind;
pub use mapper::{Expanded, Labels, Mapper, Mapping};
pub use options::*;
pub use rule::{MatchType, Rule};
