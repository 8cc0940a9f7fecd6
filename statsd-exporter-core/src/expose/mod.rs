//! Exposition: a consistent-per-shard snapshot of the store, sorted, streamed as text.

mod encoder;
mod label_text;
mod visit;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::sync::Arc;

pub use encoder::Format;
use encoder::{Encoder, Number, TypeName};
pub(crate) use label_text::LabelText;
use label_text::render_labels;
pub use visit::SampleRef;

use crate::PrometheusSink;
use crate::stats::StatFamily;
use crate::store::family::{Family, FamilyKind};
use crate::store::lock;
use crate::store::shard::SeriesValue;

/// Bytes buffered before they are handed to the writer.
const FLUSH_AT: usize = 1 << 16;

enum Snapshot {
    Scalar(f64),
    Summary { count: u64, sum: f64, at: usize },
    Histogram { count: u64, sum: f64, at: usize },
}

struct SeriesSnapshot {
    family: Arc<Family>,
    /// Where the series' [`LabelText`] bytes start in the scrape's label arena, where its
    /// sort key ends, and where the rendered labels end.
    at: usize,
    key_end: usize,
    end: usize,
    value: Snapshot,
}

impl SeriesSnapshot {
    fn key<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        &arena[self.at..self.key_end]
    }

    fn rendered<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        &arena[self.key_end..self.end]
    }
}

impl PrometheusSink {
    /// Writes every series and self-metric in `format` to `writer`.
    ///
    /// Shards are locked one at a time, only while their series are copied out (summaries
    /// are brought up to date then), so ingest threads wait at most for one shard's copy.
    /// Families are sorted by name and series by label pairs; every family has `# HELP` and
    /// `# TYPE` lines. A metric name carried with different label sets is one family.
    ///
    /// # Errors
    ///
    /// Returns the writer's error; what was written before it stays written.
    pub fn expose_metrics(&self, writer: &mut impl io::Write, format: Format) -> io::Result<()> {
        let now = self.now_for_scrape();
        let mut series = Vec::new();
        let mut quantiles: Vec<f64> = Vec::new();
        let mut buckets: Vec<u64> = Vec::new();
        // Every series' sort key and rendered labels, copied out under the shard lock.
        let mut arena: Vec<u8> = Vec::new();
        for shard in self.shards() {
            let mut shard = lock(shard);
            let mut scratch = std::mem::take(&mut shard.scratch);
            for s in shard.series_mut() {
                let value = match (&mut s.value, &s.family.kind) {
                    (SeriesValue::Counter(v) | SeriesValue::Gauge(v), _) => Snapshot::Scalar(*v),
                    (SeriesValue::Summary(state), FamilyKind::Summary(config)) => {
                        let at = quantiles.len();
                        let (count, sum) =
                            state.snapshot(config, now, &mut quantiles, &mut scratch);
                        Snapshot::Summary { count, sum, at }
                    }
                    (SeriesValue::Histogram(state), _) => {
                        let at = buckets.len();
                        let (count, sum) = state.snapshot(&mut buckets);
                        Snapshot::Histogram { count, sum, at }
                    }
                    // A summary value always belongs to a summary family.
                    (SeriesValue::Summary(_), _) => continue,
                };
                let at = arena.len();
                arena.extend_from_slice(s.text.key());
                let key_end = arena.len();
                arena.extend_from_slice(s.text.rendered());
                series.push(SeriesSnapshot {
                    family: s.family.clone(),
                    at,
                    key_end,
                    end: arena.len(),
                    value,
                });
            }
            shard.scratch = scratch;
        }
        let series = sorted_series(&series, &arena);
        let stats = self.stats().families(self.vectors_by_type());

        let mut encoder = Encoder::new(format);
        let mut stats = stats.into_iter().peekable();
        let mut rest = &series[..];
        while !rest.is_empty() || stats.peek().is_some() {
            let next_series_name = rest.first().map(|s| &*s.family.name);
            let stat_first = match (stats.peek(), next_series_name) {
                (Some(stat), Some(name)) => stat.name < name,
                (Some(_), None) => true,
                _ => false,
            };
            if stat_first {
                if let Some(stat) = stats.next() {
                    write_stat_family(&mut encoder, &stat);
                }
            } else {
                let family = &rest[0].family;
                let len = rest
                    .iter()
                    .position(|s| s.family.name != family.name)
                    .unwrap_or(rest.len());
                write_family(&mut encoder, &rest[..len], &quantiles, &buckets, &arena);
                rest = &rest[len..];
            }
            if encoder.out.len() >= FLUSH_AT {
                writer.write_all(&encoder.out)?;
                encoder.out.clear();
            }
        }
        encoder.finish();
        writer.write_all(&encoder.out)?;
        writer.flush()
    }
}

/// The series in exposition order: by metric name, then label pairs. Series are first
/// bucketed by metric (a counting sort on each metric's rank by name), then each metric's
/// series are sorted by their label sort keys: by the 8 bytes after the prefix all keys of
/// the metric share (one integer comparison), the rest of the key only on a tie.
fn sorted_series<'s>(series: &'s [SeriesSnapshot], arena: &[u8]) -> Vec<&'s SeriesSnapshot> {
    let mut ranks: HashMap<usize, usize, BuildHasherDefault<PointerHasher>> = HashMap::default();
    let mut families: Vec<&Arc<Family>> = Vec::new();
    for s in series {
        ranks
            .entry(Arc::as_ptr(&s.family) as usize)
            .or_insert_with(|| {
                families.push(&s.family);
                0
            });
    }
    families.sort_by(|a, b| a.name.cmp(&b.name));
    let mut starts = vec![0usize; families.len() + 1];
    for (rank, family) in families.iter().enumerate() {
        ranks.insert(Arc::as_ptr(family) as usize, rank);
    }
    let rank_of: Vec<usize> = series
        .iter()
        .map(|s| ranks[&(Arc::as_ptr(&s.family) as usize)])
        .collect();
    for &rank in &rank_of {
        starts[rank + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut ordered: Vec<(u64, usize)> = vec![(0, 0); series.len()];
    for (index, &rank) in rank_of.iter().enumerate() {
        ordered[next[rank]] = (0, index);
        next[rank] += 1;
    }
    for window in starts.windows(2) {
        let group = &mut ordered[window[0]..window[1]];
        let Some(&(_, first)) = group.first() else {
            continue;
        };
        let first = series[first].key(arena);
        let shared = group.iter().fold(first.len(), |shared, &(_, i)| {
            let key = series[i].key(arena);
            shared.min(first.iter().zip(key).take_while(|(a, b)| a == b).count())
        });
        for (prefix, i) in group.iter_mut() {
            *prefix = key_prefix(series[*i].key(arena), shared);
        }
        group.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let x = &series[a.1].key(arena)[shared..];
                let y = &series[b.1].key(arena)[shared..];
                x.cmp(y)
            })
        });
    }
    ordered.into_iter().map(|(_, i)| &series[i]).collect()
}

/// The 8 key bytes from `from` as a big-endian integer, zero-padded: a smaller integer
/// means a smaller key (a key that ends early is a prefix of the other, hence smaller; equal
/// integers are resolved by comparing the keys).
fn key_prefix(key: &[u8], from: usize) -> u64 {
    let mut word = [0u8; 8];
    let rest = key.get(from..).unwrap_or_default();
    let n = rest.len().min(8);
    word[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(word)
}

/// Hashes pointers (already unique) with one multiply instead of SipHash.
#[derive(Default)]
struct PointerHasher(u64);

impl Hasher for PointerHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

fn write_stat_family(encoder: &mut Encoder, family: &StatFamily) {
    let kind = if family.counter {
        TypeName::Counter
    } else {
        TypeName::Gauge
    };
    encoder.family(family.name, family.help, kind);
    let mut rendered = Vec::new();
    for (labels, value) in &family.samples {
        rendered.clear();
        render_labels(&mut rendered, labels.iter().map(|(n, v)| (*n, v.as_str())));
        encoder.sample("", &rendered, None, Number::Float(*value));
    }
}

fn write_family(
    encoder: &mut Encoder,
    series: &[&SeriesSnapshot],
    quantiles: &[f64],
    buckets: &[u64],
    arena: &[u8],
) {
    let family = &series[0].family;
    let kind = match family.kind {
        FamilyKind::Counter => TypeName::Counter,
        FamilyKind::Gauge => TypeName::Gauge,
        FamilyKind::Summary(_) => TypeName::Summary,
        FamilyKind::Histogram(_) => TypeName::Histogram,
    };
    encoder.family(&family.name, &family.help, kind);
    // A name released by TTL and re-created with another type during this scrape could put
    // two families under one name: keep only the first one's series.
    for s in series.iter().filter(|s| Arc::ptr_eq(&s.family, family)) {
        let labels = s.rendered(arena);
        match (&s.value, &family.kind) {
            (Snapshot::Scalar(v), _) => encoder.sample("", labels, None, Number::Float(*v)),
            (Snapshot::Summary { count, sum, at }, FamilyKind::Summary(config)) => {
                for (i, q) in config.quantiles.iter().enumerate() {
                    let value = quantiles.get(at + i).copied().unwrap_or(f64::NAN);
                    encoder.sample("", labels, Some(("quantile", *q)), Number::Float(value));
                }
                encoder.sample("_sum", labels, None, Number::Float(*sum));
                encoder.sample("_count", labels, None, Number::Count(*count));
            }
            (Snapshot::Histogram { count, sum, at }, FamilyKind::Histogram(config)) => {
                for (i, bound) in config.bounds.iter().chain([&f64::INFINITY]).enumerate() {
                    let cumulative = buckets.get(at + i).copied().unwrap_or(0);
                    encoder.sample(
                        "_bucket",
                        labels,
                        Some(("le", *bound)),
                        Number::Count(cumulative),
                    );
                }
                encoder.sample("_sum", labels, None, Number::Float(*sum));
                encoder.sample("_count", labels, None, Number::Count(*count));
            }
            _ => {}
        }
    }
}
