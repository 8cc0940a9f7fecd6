//! Zero-copy StatsD and DogStatsD parser and encoder.
//!
//! (Manual: see the sections below.)
#![forbid(unsafe_code)]

mod error;
mod event;
mod kind;
mod metric;
mod name;
mod number;
mod options;
mod packet;
mod tags;

pub use error::{Error, ErrorKind};
pub use event::{AlertType, Event, Priority, ServiceCheck, ServiceCheckStatus};
pub use kind::MetricType;
pub use metric::{Cardinality, LineCounts, Metric, Sample};
pub use name::Name;
pub use options::{Compat, Parser};
pub use packet::{Item, Packet, line_count};
pub use tags::{Tag, Tags};
