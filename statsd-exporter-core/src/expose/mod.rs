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
use label_text::render_labels;
pub(crate) use label_text::{
    KeyFields, LabelArena, LabelText, field_is, take_key_field, unescape_field,
};
pub use visit::SampleRef;

use crate::PrometheusSink;
use crate::stats::StatFamily;
use crate::store::family::{Family, FamilyKind};
use crate::store::shard::SeriesValue;

/// Bytes buffered before they are handed to the writer.
const FLUSH_AT: usize = 1 << 16;

/// A series as copied out under its shard lock.
#[derive(Clone, Copy)]
struct SeriesSnapshot {
    /// Where the series' [`LabelText`] bytes (sort key, then rendered labels) start in the
    /// scrape's label arena.
    at: usize,
    key_len: u32,
    rendered_len: u32,
    /// Index of the series' family in the scrape's family table.
    family: u32,
    /// Where its quantile values (summary) or bucket counts (histogram) start.
    values_at: usize,
    /// The counter or gauge value, or the observations' sum.
    value: f64,
    /// Observations (summaries and histograms).
    count: u64,
}

impl SeriesSnapshot {
    fn key<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        &arena[self.at..self.at + self.key_len as usize]
    }

    fn rendered<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let start = self.at + self.key_len as usize;
        &arena[start..start + self.rendered_len as usize]
    }
}

/// A family seen during a scrape, with what sorting its series needs.
struct ScrapeFamily {
    family: Arc<Family>,
    /// The sort key of its first series (arena range), and how many leading bytes every
    /// key of the family shares with it.
    first_key: std::ops::Range<usize>,
    shared: usize,
}

/// Numbers the families met during a scrape: a small direct-mapped cache on the family's
/// address in front of a map, because most stores have few families and every series
/// asks.
struct FamilyIndex {
    cache: [(usize, u32); 256],
    map: HashMap<usize, u32, BuildHasherDefault<PointerHasher>>,
}

impl Default for FamilyIndex {
    fn default() -> Self {
        FamilyIndex {
            cache: [(0, 0); 256],
            map: HashMap::default(),
        }
    }
}

impl FamilyIndex {
    /// The family's index in `families`, adding it (with `first_key`) if it is new.
    #[inline]
    fn get(
        &mut self,
        family: &Arc<Family>,
        families: &mut Vec<ScrapeFamily>,
        first_key: std::ops::Range<usize>,
    ) -> u32 {
        let pointer = Arc::as_ptr(family) as usize;
        // Families are heap blocks of more than 64 bytes: the bits above 6 tell them apart.
        let slot = (pointer >> 6) & 255;
        if self.cache[slot].0 == pointer {
            return self.cache[slot].1;
        }
        let next = families.len() as u32;
        let index = *self.map.entry(pointer).or_insert(next);
        if index == next {
            families.push(ScrapeFamily {
                family: family.clone(),
                shared: first_key.len(),
                first_key,
            });
        }
        self.cache[slot] = (pointer, index);
        index
    }
}

/// Everything a scrape copies out of the shards.
#[derive(Default)]
struct Scrape {
    series: Vec<SeriesSnapshot>,
    families: Vec<ScrapeFamily>,
    /// Every series' sort key and rendered labels.
    arena: Vec<u8>,
    quantiles: Vec<f64>,
    buckets: Vec<u64>,
}

impl Scrape {
    /// Copies every series out of the store, one shard lock at a time.
    fn collect(sink: &PrometheusSink) -> Scrape {
        let now = sink.now_for_scrape();
        let mut scrape = Scrape::default();
        // Reserve once: growing these buffers shard by shard would copy them again and again.
        let (series, bytes) = sink.shards().iter().fold((0, 0), |(series, bytes), shard| {
            let shard = shard.lock();
            (series + shard.live(), bytes + shard.label_bytes().len())
        });
        scrape.series.reserve(series + series / 8);
        scrape.arena.reserve(bytes + bytes / 8);
        let mut families = FamilyIndex::default();
        for shard in sink.shards() {
            let mut shard = shard.lock();
            let base = scrape.arena.len();
            scrape.arena.extend_from_slice(shard.label_bytes());
            let mut scratch = std::mem::take(&mut shard.scratch);
            for s in shard.series_mut() {
                let (value, count, values_at) = match (&mut s.value, &s.family.kind) {
                    (SeriesValue::Counter(v), FamilyKind::Counter)
                    | (SeriesValue::Gauge(v), FamilyKind::Gauge) => (*v, 0, 0),
                    (SeriesValue::Summary(state), FamilyKind::Summary(config)) => {
                        let at = scrape.quantiles.len();
                        let (count, sum) =
                            state.snapshot(config, now, &mut scrape.quantiles, &mut scratch);
                        (sum, count, at)
                    }
                    (SeriesValue::Histogram(state), FamilyKind::Histogram(_)) => {
                        let at = scrape.buckets.len();
                        let (count, sum) = state.snapshot(&mut scrape.buckets);
                        (sum, count, at)
                    }
                    // A series' value always matches its family's kind.
                    _ => continue,
                };
                let at = base + s.text.at();
                let key = at..at + s.text.key_len();
                let family = families.get(&s.family, &mut scrape.families, key.clone());
                let entry = &mut scrape.families[family as usize];
                let first = &scrape.arena[entry.first_key.clone()];
                entry.shared = common_prefix(first, &scrape.arena[key], entry.shared);
                scrape.series.push(SeriesSnapshot {
                    at,
                    key_len: s.text.key_len() as u32,
                    rendered_len: s.text.rendered_len() as u32,
                    family,
                    values_at,
                    value,
                    count,
                });
            }
            shard.scratch = scratch;
        }
        scrape
    }

    /// Family indexes in name order (families of one name, possible when a name released by
    /// TTL comes back during the scrape, in the order they were met) and the series in
    /// exposition order: by family, then label pairs.
    ///
    /// One integer sort does most of the work: each series is keyed by its family's rank,
    /// the 8 bytes of its label sort key after the prefix all keys of its family share, and
    /// its index (32 bits: 2^32 series would take a terabyte of memory). Series whose rank
    /// and 8 bytes tie are then ordered by the rest of their keys.
    fn order(&self) -> (Vec<u32>, Vec<u32>) {
        let mut by_name: Vec<u32> = (0..self.families.len() as u32).collect();
        by_name.sort_by(|a, b| {
            let (a, b) = (&self.families[*a as usize], &self.families[*b as usize]);
            a.family.name.cmp(&b.family.name)
        });
        let mut rank = vec![0u32; self.families.len()];
        for (r, &f) in by_name.iter().enumerate() {
            rank[f as usize] = r as u32;
        }
        let mut keys: Vec<u128> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let shared = self.families[s.family as usize].shared;
                let prefix = key_prefix(s.key(&self.arena), shared);
                (u128::from(rank[s.family as usize]) << 96) | (u128::from(prefix) << 32) | i as u128
            })
            .collect();
        keys.sort_unstable();
        let mut start = 0;
        while start < keys.len() {
            let tie = keys[start] >> 32;
            let end = keys[start..]
                .iter()
                .position(|k| k >> 32 != tie)
                .map_or(keys.len(), |n| start + n);
            if end - start > 1 {
                let shared = {
                    let s = &self.series[keys[start] as u32 as usize];
                    self.families[s.family as usize].shared
                };
                keys[start..end].sort_unstable_by(|a, b| {
                    let x = &self.series[*a as u32 as usize].key(&self.arena)[shared..];
                    let y = &self.series[*b as u32 as usize].key(&self.arena)[shared..];
                    x.cmp(y)
                });
            }
            start = end;
        }
        (by_name, keys.into_iter().map(|k| k as u32).collect())
    }
}

impl Scrape {
    /// The series in `order`, with their rendered labels copied next to each other in that
    /// order (sort keys left behind), so that the writing pass reads memory front to back.
    /// The random reads happen here instead, in a tight loop whose cache misses overlap;
    /// spread over the much longer loop that formats lines, they would not.
    fn into_sorted(self, order: &[u32]) -> Scrape {
        let mut arena = Vec::with_capacity(self.arena.len());
        let series = order
            .iter()
            .map(|&i| {
                let s = &self.series[i as usize];
                let at = arena.len();
                arena.extend_from_slice(s.rendered(&self.arena));
                SeriesSnapshot {
                    at,
                    key_len: 0,
                    ..*s
                }
            })
            .collect();
        Scrape {
            series,
            arena,
            ..self
        }
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
        // The self-metrics first: a pipeline publishes a batch's counts after recording
        // its samples, so every line these counts include is already in the series
        // copied below (a scrape never shows `lines_total` ahead of the series).
        let stats = self.stats().families(self.vectors_by_type());
        let scrape = Scrape::collect(self);
        let (by_name, order) = scrape.order();
        let scrape = scrape.into_sorted(&order);

        let mut encoder = Encoder::new(format);
        let mut stats = stats.into_iter().peekable();
        let mut rest = &scrape.series[..];
        let mut written: Option<&str> = None;
        for &f in &by_name {
            let family = &scrape.families[f as usize].family;
            let len = rest
                .iter()
                .position(|s| s.family != f)
                .unwrap_or(rest.len());
            let (group, next) = rest.split_at(len);
            rest = next;
            // A name released by TTL and re-created with another type during this scrape
            // could put two families under one name: keep only the first one's series.
            if written == Some(&*family.name) {
                continue;
            }
            while let Some(stat) = stats.next_if(|stat| stat.name < &*family.name) {
                write_stat_family(&mut encoder, &stat);
                flush_if_full(&mut encoder, writer)?;
            }
            written = Some(&family.name);
            write_family(&mut encoder, family, group, &scrape, writer)?;
        }
        for stat in stats {
            write_stat_family(&mut encoder, &stat);
            flush_if_full(&mut encoder, writer)?;
        }
        encoder.finish();
        writer.write_all(&encoder.out)?;
        writer.flush()
    }
}

fn flush_if_full(encoder: &mut Encoder, writer: &mut impl io::Write) -> io::Result<()> {
    if encoder.out.len() >= FLUSH_AT {
        writer.write_all(&encoder.out)?;
        encoder.out.clear();
    }
    Ok(())
}

/// How many leading bytes `a` and `b` share, at most `limit`; compares 8 bytes at a time.
fn common_prefix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let n = a.len().min(b.len()).min(limit);
    let (a, b) = (&a[..n], &b[..n]);
    let mut at = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let diff = read_word(x) ^ read_word(y);
        if diff != 0 {
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..]
        .iter()
        .zip(&b[at..])
        .take_while(|(x, y)| x == y)
        .count()
}

fn read_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The 8 key bytes from `from` as a big-endian integer, zero-padded: a smaller integer
/// means a smaller key (a key that ends early is a prefix of the other, hence smaller; equal
/// integers are resolved by comparing the keys).
fn key_prefix(key: &[u8], from: usize) -> u64 {
    let rest = key.get(from..).unwrap_or_default();
    if rest.len() >= 8 {
        return read_word(rest).swap_bytes();
    }
    let mut word = [0u8; 8];
    word[..rest.len()].copy_from_slice(rest);
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
    family: &Family,
    series: &[SeriesSnapshot],
    scrape: &Scrape,
    writer: &mut impl io::Write,
) -> io::Result<()> {
    let kind = match family.kind {
        FamilyKind::Counter => TypeName::Counter,
        FamilyKind::Gauge => TypeName::Gauge,
        FamilyKind::Summary(_) => TypeName::Summary,
        FamilyKind::Histogram(_) => TypeName::Histogram,
    };
    encoder.family(&family.name, &family.help, kind);
    // `quantile="0.5"` and `le="0.005"`, rendered once per family instead of per sample.
    let extra: Vec<Vec<u8>> = match &family.kind {
        FamilyKind::Summary(config) => config
            .quantiles
            .iter()
            .map(|q| encoder.label("quantile", *q))
            .collect(),
        FamilyKind::Histogram(config) => config
            .bounds
            .iter()
            .chain([&f64::INFINITY])
            .map(|bound| encoder.label("le", *bound))
            .collect(),
        FamilyKind::Counter | FamilyKind::Gauge => Vec::new(),
    };
    for s in series {
        let labels = s.rendered(&scrape.arena);
        match &family.kind {
            FamilyKind::Counter | FamilyKind::Gauge => {
                encoder.sample("", labels, None, Number::Float(s.value));
            }
            FamilyKind::Summary(_) => {
                let at = s.values_at;
                for (i, quantile) in extra.iter().enumerate() {
                    let value = scrape.quantiles.get(at + i).copied().unwrap_or(f64::NAN);
                    encoder.sample("", labels, Some(quantile), Number::Float(value));
                }
                encoder.sample("_sum", labels, None, Number::Float(s.value));
                encoder.sample("_count", labels, None, Number::Count(s.count));
            }
            FamilyKind::Histogram(_) => {
                let at = s.values_at;
                for (i, le) in extra.iter().enumerate() {
                    let cumulative = scrape.buckets.get(at + i).copied().unwrap_or(0);
                    encoder.sample("_bucket", labels, Some(le), Number::Count(cumulative));
                }
                encoder.sample("_sum", labels, None, Number::Float(s.value));
                encoder.sample("_count", labels, None, Number::Count(s.count));
            }
        }
        flush_if_full(encoder, writer)?;
    }
    Ok(())
}
