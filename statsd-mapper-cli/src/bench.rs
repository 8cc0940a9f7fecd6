//! `statsd-mapper bench CONFIG [CORPUS]`: throughput of parse and map on a corpus, the
//! cache hit rate, traffic per rule and the most frequent unmatched names.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use statsd_exporter_core::{Pipeline, PrometheusSink};
use statsd_mapper::{Captures, Mapper, MetricKind};
use statsd_proto::{Item, Parser};

use crate::args::{Args, Format};
use crate::decision::{Outcome, Subject, decide};
use crate::progress::Progress;

/// The corpus, read or generated, and where it came from.
struct Corpus {
    text: Vec<u8>,
    source: String,
    /// For a generated corpus: rules covered, and rules without traffic.
    generated: Option<(usize, Vec<(usize, &'static str)>)>,
}

/// What one read of the corpus found.
#[derive(Default)]
struct Census {
    lines: usize,
    /// Metric samples that reach the mapper (sets excluded).
    samples: usize,
    /// Distinct (class, name) pairs, in first-seen order, with their sample counts.
    names: Vec<(MetricKind, String, u64)>,
    /// The sequence of name ids, one per sample.
    sequence: Vec<u32>,
    sets: u64,
    events: u64,
    errors: BTreeMap<&'static str, u64>,
}

pub fn run(
    args: &Args,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let Some(mapper) = crate::load::mapper(&args.positionals[0], args.cache_size, err)? else {
        return Ok(1);
    };
    let mapper = Arc::new(mapper);
    let corpus = match args.positionals.get(1).map(String::as_str) {
        Some("-") => {
            let mut text = Vec::new();
            stdin.read_to_end(&mut text)?;
            Corpus {
                text,
                source: "stdin".into(),
                generated: None,
            }
        }
        Some(path) => match std::fs::read(path) {
            Ok(text) => Corpus {
                text,
                source: path.into(),
                generated: None,
            },
            Err(e) => {
                writeln!(err, "error: {path}: cannot read corpus: {e}")?;
                return Ok(1);
            }
        },
        None => {
            let g = crate::corpus::generate(&mapper, args.lines, args.seed);
            Corpus {
                text: g.text,
                source: format!(
                    "generated from the config's rules ({} lines, seed {})",
                    args.lines, args.seed
                ),
                generated: Some((g.covered, g.uncovered)),
            }
        }
    };
    let parser = Parser::new();
    let mut bar = Progress::new("reading corpus", corpus.text.len(), args.progress);
    let census = census(&parser, &corpus.text, &mut bar);
    if census.lines == 0 {
        writeln!(err, "error: {}: the corpus has no lines", corpus.source)?;
        return Ok(1);
    }

    // Timed passes. Each repeats over the whole input until `min_time` has passed.
    bar.phase("timing parse");
    let (parse_ns, parse_passes) = timed(args.min_time, || {
        let mut n = 0usize;
        for item in parser.packet(&corpus.text) {
            if let Ok(Item::Metric(metric)) = black_box(item) {
                n += metric.sample_count();
            }
        }
        black_box(n);
    });
    let parse_per_line = parse_ns / (census.lines as f64 * parse_passes as f64);

    let mut captures = Captures::new();
    bar.phase("measuring the cache hit rate");
    let cache = cache_accounting(&mapper, &census, args.cache_size, &mut captures);
    let mut name_buf = String::with_capacity(256);
    let mut value_buf = String::with_capacity(256);
    let mut map_pass = |cached: bool| {
        for &id in &census.sequence {
            let (kind, name, _) = &census.names[id as usize];
            let mapping = if cached {
                mapper.map(name, *kind, &mut captures)
            } else {
                mapper.map_uncached(name, *kind, &mut captures)
            };
            // Expand like the exporter does: the name and every label value.
            name_buf.clear();
            mapping.name().write_to(&mut name_buf);
            for (_, value) in mapping.labels() {
                value_buf.clear();
                value.write_to(&mut value_buf);
            }
            black_box((&name_buf, &value_buf));
        }
    };
    let samples = census.samples.max(1) as f64;
    bar.phase("timing map");
    let (cached_ns, cached_passes) = timed(args.min_time, || map_pass(true));
    let (uncached_ns, uncached_passes) = timed(args.min_time, || map_pass(false));
    let map_cached = cached_ns / (samples * cached_passes as f64);
    let map_uncached = uncached_ns / (samples * uncached_passes as f64);

    // End to end: statsd-exporter-core's pipeline into its Prometheus store, the whole
    // corpus as one packet per pass (series are created in the first pass).
    bar.phase("timing the pipeline");
    let sink = PrometheusSink::default();
    let mut pipeline = Pipeline::new(Arc::clone(&mapper), parser, Arc::clone(sink.stats()));
    let (pipeline_ns, pipeline_passes) = timed(args.min_time, || {
        pipeline.process_packet(&corpus.text, &mut sink.recorder());
    });
    let pipeline_per_line = pipeline_ns / (census.lines as f64 * pipeline_passes as f64);

    bar.finish();
    // Traffic per rule, from one decision per distinct name.
    let rules = mapper.config().rules();
    let mut per_rule = vec![0u64; rules.len()];
    let (mut unmapped, mut dropped, mut rejected) = (0u64, 0u64, 0u64);
    let mut unmatched: Vec<(&str, MetricKind, u64)> = Vec::new();
    for (kind, name, count) in &census.names {
        let subject = Subject {
            name: name.clone(),
            metric_type: match kind {
                MetricKind::Counter => statsd_proto::MetricType::Counter,
                MetricKind::Gauge => statsd_proto::MetricType::Gauge,
                _ => statsd_proto::MetricType::Timer,
            },
            tags: Vec::new(),
        };
        let decision = decide(&mapper, &mut captures, &subject);
        if let Some(rule) = decision.rule {
            per_rule[rule] += count;
        }
        match decision.outcome {
            Outcome::Unmapped => {
                unmapped += count;
                unmatched.push((name, *kind, *count));
            }
            Outcome::Dropped => dropped += count,
            Outcome::Rejected(_) => rejected += count,
            Outcome::Mapped => {}
        }
    }
    unmatched.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let share = |n: u64| n as f64 * 100.0 / samples;
    let total_per_line = parse_per_line + map_cached * census.samples as f64 / census.lines as f64;
    let report = Report {
        corpus: &corpus,
        census: &census,
        parse_per_line,
        map_cached,
        map_uncached,
        total_per_line,
        pipeline_per_line,
        series: sink.series_count(),
        cache: &cache,
        cache_size: args.cache_size,
    };
    match args.format {
        Format::Json => {
            let rule_rows: Vec<Value> = rules
                .iter()
                .map(|r| {
                    json!({
                        "rule": r.index(),
                        "line": r.line(),
                        "match": r.match_text(),
                        "samples": per_rule[r.index()],
                        "share": share(per_rule[r.index()]),
                    })
                })
                .collect();
            let unmatched_rows: Vec<Value> = unmatched
                .iter()
                .take(args.top)
                .map(|(name, kind, count)| json!({"name": name, "class": kind.as_str(), "samples": count, "share": share(*count)}))
                .collect();
            let mut doc = report.json();
            doc["rules"] = Value::Array(rule_rows);
            doc["unmapped"] = json!({"samples": unmapped, "share": share(unmapped), "distinct": unmatched.len(), "top": unmatched_rows});
            doc["dropped"] = json!({"samples": dropped, "share": share(dropped)});
            doc["rejected"] = json!({"samples": rejected});
            writeln!(out, "{doc:#}")?;
        }
        Format::Human => {
            report.human(out)?;
            writeln!(out, "\ntraffic per rule (top {}):", args.top)?;
            let mut order: Vec<usize> = (0..rules.len()).filter(|&i| per_rule[i] > 0).collect();
            order.sort_by(|&a, &b| per_rule[b].cmp(&per_rule[a]).then(a.cmp(&b)));
            for &i in order.iter().take(args.top) {
                writeln!(
                    out,
                    "  {:6.2}%  {:>10}  rule {i} (line {}) {:?}",
                    share(per_rule[i]),
                    per_rule[i],
                    rules[i].line(),
                    rules[i].match_text()
                )?;
            }
            let idle = rules.len() - rules.iter().filter(|r| per_rule[r.index()] > 0).count();
            if idle > 0 {
                writeln!(out, "  ({idle} rules had no traffic)")?;
            }
            writeln!(
                out,
                "  {:6.2}%  {:>10}  dropped (action: drop)",
                share(dropped),
                dropped
            )?;
            writeln!(
                out,
                "  {:6.2}%  {:>10}  unmapped ({} distinct names)",
                share(unmapped),
                unmapped,
                unmatched.len()
            )?;
            if !unmatched.is_empty() {
                writeln!(out, "\nunmatched names by frequency (top {}):", args.top)?;
                for (name, kind, count) in unmatched.iter().take(args.top) {
                    writeln!(out, "  {count:>10}  {name} ({kind})")?;
                }
            }
        }
    }
    Ok(0)
}

/// Reads the corpus once: counts, errors and the name sequence for the map passes.
fn census(parser: &Parser, text: &[u8], bar: &mut Progress) -> Census {
    let mut census = Census::default();
    let mut ids: HashMap<(MetricKind, String), u32> = HashMap::new();
    let mut packet = parser.packet(text);
    let mut name = Vec::new();
    while let Some((offset, line)) = packet.next_line() {
        census.lines += 1;
        bar.update(offset);
        let metric = match parser.parse_line(line) {
            Ok(Item::Metric(metric)) => metric,
            Ok(_) => {
                census.events += 1;
                continue;
            }
            Err(e) => {
                *census.errors.entry(e.kind().as_str()).or_default() += 1;
                continue;
            }
        };
        name.clear();
        metric.name().write_to(&mut name);
        let name = String::from_utf8_lossy(&name);
        for sample in metric.samples() {
            let sample = match sample {
                Ok(sample) => sample,
                Err(e) => {
                    *census.errors.entry(e.kind().as_str()).or_default() += 1;
                    continue;
                }
            };
            let Some(kind) = MetricKind::of(sample.kind()) else {
                census.sets += 1;
                continue;
            };
            census.samples += 1;
            let next = census.names.len() as u32;
            let id = *ids.entry((kind, name.to_string())).or_insert(next);
            if id == next {
                census.names.push((kind, name.to_string(), 0));
            }
            census.names[id as usize].2 += 1;
            census.sequence.push(id);
        }
    }
    census
}

/// Cache hit rate of the corpus in order, from a fresh cache: a lookup that grows the cache
/// was a miss. Exact while nothing was evicted; once entries are evicted (a full cache, or a
/// full set of the mapper's set-associative cache) a miss that evicts is invisible, so the
/// rate is an upper bound. Counting entries scans the cache, so only a prefix of the corpus
/// is accounted for (about 2·10⁸ slot reads).
struct CacheFigures {
    lookups: usize,
    misses: usize,
    evicted: bool,
}

fn cache_accounting(
    mapper: &Mapper,
    census: &Census,
    capacity: usize,
    captures: &mut Captures,
) -> CacheFigures {
    let budget = (200_000_000 / capacity.max(1)).max(10_000);
    let prefix = &census.sequence[..census.sequence.len().min(budget)];
    let mut misses = 0;
    let mut seen = vec![false; census.names.len()];
    let mut distinct = 0;
    let mut len = mapper.cached_len();
    for &id in prefix {
        let (kind, name, _) = &census.names[id as usize];
        black_box(mapper.map(name, *kind, captures).rule());
        let now = mapper.cached_len();
        if now > len {
            misses += 1;
        }
        len = now;
        if !std::mem::replace(&mut seen[id as usize], true) {
            distinct += 1;
        }
    }
    CacheFigures {
        lookups: prefix.len(),
        misses,
        evicted: misses < distinct,
    }
}

/// Runs `pass` until `min` has elapsed (at least once); total nanoseconds and passes.
fn timed(min: Duration, mut pass: impl FnMut()) -> (f64, u64) {
    let start = Instant::now();
    let mut passes = 0;
    loop {
        pass();
        passes += 1;
        if start.elapsed() >= min {
            return (start.elapsed().as_nanos() as f64, passes);
        }
    }
}

struct Report<'a> {
    corpus: &'a Corpus,
    census: &'a Census,
    parse_per_line: f64,
    map_cached: f64,
    map_uncached: f64,
    total_per_line: f64,
    pipeline_per_line: f64,
    series: usize,
    cache: &'a CacheFigures,
    cache_size: usize,
}

impl Report<'_> {
    fn hit_rate(&self) -> Option<f64> {
        (self.cache.lookups > 0 && self.cache_size > 0).then(|| {
            100.0 * (self.cache.lookups - self.cache.misses) as f64 / self.cache.lookups as f64
        })
    }

    fn json(&self) -> Value {
        let c = self.census;
        let generated = self.corpus.generated.as_ref().map(|(covered, uncovered)| {
            let rows: Vec<Value> = uncovered
                .iter()
                .map(|(rule, why)| json!({"rule": rule, "reason": why}))
                .collect();
            json!({"rules_covered": covered, "rules_without_traffic": rows})
        });
        json!({
            "corpus": {
                "source": self.corpus.source,
                "bytes": self.corpus.text.len(),
                "lines": c.lines,
                "samples": c.samples,
                "distinct_names": c.names.len(),
                "events": c.events,
                "sets": c.sets,
                "parse_errors": c.errors,
                "generated": generated,
            },
            "parse": {"ns_per_line": self.parse_per_line, "lines_per_second": 1e9 / self.parse_per_line},
            "map": {
                "ns_per_sample": self.map_cached,
                "samples_per_second": 1e9 / self.map_cached,
                "uncached_ns_per_sample": self.map_uncached,
            },
            "total": {"ns_per_line": self.total_per_line, "lines_per_second": 1e9 / self.total_per_line},
            "pipeline": {
                "ns_per_line": self.pipeline_per_line,
                "lines_per_second": 1e9 / self.pipeline_per_line,
                "series": self.series,
            },
            "cache": {
                "capacity": self.cache_size,
                "lookups": self.cache.lookups,
                "misses": self.cache.misses,
                "hit_rate": self.hit_rate(),
                "exact": !self.cache.evicted,
            },
        })
    }

    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let c = self.census;
        writeln!(out, "corpus:  {}", self.corpus.source)?;
        writeln!(
            out,
            "         {} lines, {} samples, {} distinct names",
            c.lines,
            c.samples,
            c.names.len()
        )?;
        if let Some((covered, uncovered)) = &self.corpus.generated {
            writeln!(
                out,
                "         {covered} rules with traffic, {} without",
                uncovered.len()
            )?;
            for (rule, why) in uncovered {
                writeln!(out, "           rule {rule}: {why}")?;
            }
        }
        let bad: u64 = c.errors.values().sum();
        if bad > 0 || c.sets > 0 || c.events > 0 {
            let reasons: Vec<String> = c.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
            writeln!(
                out,
                "         {bad} parse errors ({}), {} sets, {} events/service checks",
                reasons.join(", "),
                c.sets,
                c.events
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "parse    {:>9.1} ns/line   {:>12.0} lines/s",
            self.parse_per_line,
            1e9 / self.parse_per_line
        )?;
        writeln!(
            out,
            "map      {:>9.1} ns/sample {:>12.0} samples/s  (cache {}; without cache {:.1} ns/sample)",
            self.map_cached,
            1e9 / self.map_cached,
            self.cache_size,
            self.map_uncached
        )?;
        writeln!(
            out,
            "total    {:>9.1} ns/line   {:>12.0} lines/s",
            self.total_per_line,
            1e9 / self.total_per_line
        )?;
        writeln!(
            out,
            "pipeline {:>9.1} ns/line   {:>12.0} lines/s    (parse, map, record into a Prometheus store: {} series)",
            self.pipeline_per_line,
            1e9 / self.pipeline_per_line,
            self.series
        )?;
        match self.hit_rate() {
            Some(rate) if self.cache.evicted => writeln!(
                out,
                "cache    at most {rate:.2}% hits ({} lookups; entries were evicted, which hides some misses)",
                self.cache.lookups
            )?,
            Some(rate) => writeln!(
                out,
                "cache    {rate:.2}% hits ({} lookups, {} misses)",
                self.cache.lookups, self.cache.misses
            )?,
            None => writeln!(out, "cache    off")?,
        }
        Ok(())
    }
}
