//! Zero-copy StatsD and DogStatsD parser and encoder.
//!
//! (Manual: see the sections below.)
#![forbid(unsafe_code)]

mod encode;
mod error;
mod event;
mod kind;
mod metric;
mod name;
mod number;
mod options;
mod owned;
mod packet;
mod scan;
mod tags;

pub use encode::{MetricFields, encode_metric};
pub use error::{Error, ErrorKind};
pub use event::{AlertType, Event, Priority, ServiceCheck, ServiceCheckStatus};
pub use kind::MetricType;
pub use metric::{Cardinality, LineCounts, Metric, Sample};
pub use name::Name;
pub use options::{Compat, Parser};
pub use owned::OwnedItem;
pub use packet::{Item, Packet, line_count};
pub use tags::{Tag, Tags};
