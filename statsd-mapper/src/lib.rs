//! statsd_exporter-compatible mapping: YAML rules compiled into a glob trie and a regex set.
//!
//! A StatsD name such as
//! `Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.status.200` goes in,
//! together with its class (counter, gauge or observer); a decision comes out: drop it,
//! leave it unmapped, or map it to
//! `mastodon_controller_status{controller="Api.V1.Timelines.HomeController",action="show",format="json",status="200",mastodon="web"}`
//! with the rule's help, TTL, scale, `honor_labels` and fully resolved summary or histogram
//! options. Configs written for Prometheus' statsd_exporter (any 0.x release) load
//! unchanged and map the same way, except for the fixes listed under
//! [Differences from statsd_exporter](#differences-from-statsd_exporter).
//!
//! # Usage
//!
//! ```
//! use statsd_mapper::{escape_metric_name, Action, Captures, Mapper, MapperConfig, MetricKind};
//!
//! let yaml = r#"
//! defaults:
//!   ttl: 10m
//! mappings:
//! - match: "Mastodon.production.web.*.*.*.status.*"
//!   name: mastodon_controller_status
//!   labels: {controller: "$1", action: "$2", format: "$3", status: "$4", mastodon: web}
//! - match: 'Mastodon\.production\.sidekiq\.(.+)\.success$'
//!   match_type: regex
//!   name: mastodon_sidekiq_worker_success_total
//!   labels: {worker: "$1"}
//! "#;
//! // Load once (and again on reload); every error names line, column and text, and
//! // `Error::all` lists the error of every broken mapping.
//! let config = MapperConfig::from_yaml_str(yaml, Some("statsd-mapping.yml".as_ref()))?;
//! for warning in config.warnings() {
//!     eprintln!("statsd-mapping.yml:{warning}");
//! }
//! // Share it between threads (e.g. `Arc<Mapper>`, swapped on reload).
//! let mapper = Mapper::new(config, 1000);
//!
//! // One `Captures` per thread, reused for every line: lookups then allocate nothing.
//! let mut captures = Captures::new();
//! let mut name = String::new();
//! let mapping = mapper.map("Mastodon.production.web.HomeController.index.html.status.200", MetricKind::Counter, &mut captures);
//! assert_eq!(mapping.action(), Action::Map);
//! mapping.name().write_to(&mut name);
//! assert_eq!(escape_metric_name(&name), "mastodon_controller_status");
//! let labels: Vec<(&str, String)> = mapping.labels().map(|(k, v)| (k, v.to_string())).collect();
//! assert_eq!(labels[0], ("controller", "HomeController".to_string()));
//! assert_eq!(mapping.ttl(), Some(std::time::Duration::from_secs(600)));
//!
//! // Why did a name map the way it did?
//! println!("{}", mapper.explain("Mastodon.production.sidekiq.ActivityPub..DeliveryWorker.success", MetricKind::Counter));
//! # Ok::<(), statsd_mapper::Error>(())
//! ```
//!
//! The metric name is returned as the template produced it; escape it with
//! [`escape_metric_name`] (statsd_exporter's `EscapeMetricName`, exactly) as statsd_exporter
//! does after templating, and for unmapped names. Label values are not escaped.
//!
//! # The config format
//!
//! Top level: `defaults` and `mappings`. Unknown and duplicate keys are errors, as with
//! statsd_exporter's strict YAML loading.
//!
//! `defaults`: `match_type` (`glob`, the default, or `regex`), `observer_type`
//! (`summary`, the default, or `histogram`), `glob_disable_ordering`, `ttl` (a Go duration:
//! `90s`, `1m20s`, `1h`; unset or 0 means never expire; it also applies to unmapped
//! metrics), `summary_options` (`quantiles: [{quantile, error}]`, `max_age`,
//! `age_buckets`, `buf_cap`) and `histogram_options` (`buckets`,
//! `native_histogram_bucket_factor`, `native_histogram_max_buckets`).
//!
//! Each mapping: `match`, `name` (required, also with `action: drop`), `labels`, `help`,
//! `action` (`map` or `drop`), `match_type`, `match_metric_type` (`counter`, `gauge`,
//! `observer`), `observer_type`, `summary_options`, `histogram_options`, `honor_labels`,
//! `ttl`, `scale`.
//!
//! Keys removed in statsd_exporter 0.30 are accepted with their old meaning and a
//! [`WarningKind::DeprecatedKey`] warning: `timer_type` (now `observer_type`), `buckets`
//! (now `histogram_options.buckets`), `quantiles` (now `summary_options.quantiles`), and
//! `match_metric_type: timer` (now `observer`). Using an old key together with its new
//! form is an error.
//!
//! Options are resolved at load ([`ObserverOptions`]): a rule's own values, then
//! `defaults`, then client_golang's built-ins (quantiles 0.5/0.9/0.99, max age 10m, 5 age
//! buckets, buffer 500, the default buckets). As in statsd_exporter, when a rule's observer
//! type is set (on the rule or in `defaults`) its `summary_options` are merged field by
//! field with the defaults' and options for the other observer type are an error; when
//! neither sets a type, a rule's `summary_options` are taken whole.
//!
//! # Matching
//!
//! * Every glob rule is tried before any regex rule, whatever their order in the file.
//! * Glob: the pattern is split on `.`; `*` matches exactly one component, an empty one
//!   included (`a.*.c` matches `a..c`); the number of components must be equal. A name
//!   component that is literally `*` takes a `*` edge without being captured (so later
//!   `$n` shift), as in statsd_exporter.
//! * With ordering (the default) the first matching glob rule in file order wins. With
//!   `glob_disable_ordering: true` the most specific rule wins: at each component a
//!   literal beats a wildcard inside a component (an extension, below), which beats `*`,
//!   backtracking when a more specific path dead-ends.
//! * `match_metric_type` restricts a rule to one class; [`MetricKind::of`] maps wire types
//!   to classes (sets have none).
//! * Regex: Go RE2 syntax, searched anywhere in the name (not anchored: write `^…$`); the
//!   first rule in file order that matches and accepts the class wins. A pattern means
//!   what it means in Go's `regexp`, which statsd_exporter uses, and is refused where Go
//!   refuses it, so both load the same files; Rust's regex syntax, which does the
//!   matching here, differs in these places, each handled as Go does:
//!   * `\d`, `\w`, `\s` and `\b` (and their negations) are ASCII-only.
//!   * A `{` that does not begin a count as Go reads one (`{n}`, `{n,}`, `{n,m}`: no
//!     spaces, no leading zeros) matches a literal brace: `a{env}` and `a{ 2 }` match
//!     those very characters.
//!   * `\Q…\E` is literal text; `\0`, `\012` and `\12` are octal escapes; `\<` and
//!     `\>` are the characters `<` and `>` (not word boundaries); `\p{^Greek}` is
//!     `\P{Greek}`.
//!   * Inside `[…]` there is no nesting and there are no set operators: `[a[b]` holds
//!     `[`, `&&`, `--` and `~~` are characters, and `-` is a range only between two
//!     characters (`[+--]` is `+` to `-`; `[a-c-e]` holds `-`).
//!   * A repetition operator right after a flag group repeats what came before the
//!     group (`a(?i)*` is `a*`), and operators apart by any token are not stacked
//!     (`a*\Q\E*` is `(a*)*`).
//!   * A group name may start with a digit (`(?P<1st>…)`) and be used twice; `$name` is
//!     the first group of that name.
//!   * Flags repeat and cancel as in Go: `(?ii)` is `(?i)`, `(?i-i)` is `(?-i)`, and
//!     `(?)` changes nothing.
//!   * Memory: extracting a regex's groups takes, per thread, slot tables of NFA states
//!     × groups. A rule whose tables would exceed an estimated 64 MiB (a pattern of
//!     thousands of states with a hundred groups: 1.1 GB for one the fuzzer built, where
//!     Go takes 50 MB) captures only the groups its templates use; the mapping is the
//!     same, and [`Mapping::capture`] is `None` for the other groups.
//!   * Refused as in Go: a count above 1000 (`x{1001}`), nested counts that repeat an
//!     expression more than 1000 times (`(x{100}){11}`), one repetition operator right
//!     after another (`x**`, `x{2}{3}`; write `(?:x*)*`), the flags `x`, `u` and `R`
//!     (Go has `i`, `m`, `s`, `U`), escapes Go lacks (`\u0041`, `\e`, `\Z`, `[\b]`),
//!     unknown POSIX classes (`[[:letters:]]`), and group names with characters other
//!     than ASCII letters, digits and `_`.
//!   * Still different, each a load error on one side only, never a different match:
//!     groups nested deeper than 250 load in Go only (its limit is 1000); a pattern whose
//!     compiled form exceeds the regex engine's size limit may load in Go. Unicode class
//!     names are looked up as Rust does (loosely: `\p{greek}`, `\p{Letter}`, and
//!     properties such as `\p{Alphabetic}`); Go before 1.25 knows only the exact category
//!     and script names (`\pL`, `\p{Greek}`), and Go 1.25 adds aliases such as
//!     `\p{Letter}`. Scripts and categories follow each side's Unicode version.
//!   * `tests/it/go_oracle.rs` checks all this against Go's `regexp` itself: a table of
//!     these cases and 1,500 random patterns must load (or not), match with the same
//!     groups, and expand a random template as in Go, but for the differences just
//!     listed.
//! * Glob templates: `$1`, `${1}`; `$1_foo` is read as the reference `1_foo`, which is not a
//!   number and expands to nothing (write `${1}_foo`); out-of-range references expand to
//!   nothing; `$0` is the whole name. Regex templates follow Go's `Regexp.Expand`: `$1`,
//!   `${1}`, `$name`, `${name}`, `$0` (the whole match), `$$`.
//! * [`Mapper::explain`] tells which rule matched and why each rule tried before it did not.
//! * At load, [`WarningKind::UnreachableRule`] reports rules that can never match because an
//!   earlier rule matches every name they match (or, unordered, has the same pattern).
//!
//! ## Wildcards inside a component (extension)
//!
//! statsd_exporter rejects partial wildcards at load (its issue 481), so giving them a
//! meaning changes no existing config. Here a glob component may be a pattern matched with
//! [globset](https://docs.rs/globset) against one whole component: `prefix_*`, `*_count`,
//! `{get,post}`, `ab?`, `[0-9]*`. Such a component never matches across a `.`, and it is
//! captured as a whole, like `*`: in `http.{get,post}.*_count`, `$1` is the method and `$2`
//! the whole last component. Components that are exactly a literal or exactly `*` keep their
//! trie edges; partial components are tried after the literal edge and before `*`.
//!
//! # Differences from statsd_exporter
//!
//! Deliberate, each fixing a bug or a trap:
//!
//! 1. **A shorter glob after a longer one with the same prefix matches.** statsd_exporter's
//!    FSM only records a rule when its final state is new, so with `a.b.c` before `a.b` (or
//!    `x.*.z` before `x.*`) the later rule never matches. The same defect lets a duplicate
//!    glob overwrite the first copy's priority, so rules between the copies could win; here
//!    the first copy wins, and the duplicate is reported as unreachable.
//! 2. **`%` in a template is literal.** statsd_exporter builds a `Sprintf` format from glob
//!    templates, so `"$1%"` becomes `x%!(NOVERB)`.
//! 3. **`$1` and `$10` in one glob template expand independently.** statsd_exporter replaces
//!    the text `$1` everywhere first, turning `$10` into the first capture followed by `0`.
//! 4. **`$0` in glob templates is the whole name** (statsd_exporter 0.30 expands it to
//!    nothing; its pull request 735 adds this meaning).
//! 5. **Single-character label names (`x`) are accepted**; statsd_exporter requires two.
//! 6. **Native histograms are off unless a factor above 1 is configured**; statsd_exporter
//!    turns them on (factor 1.1) for every config file.
//! 7. **Unordered globs always backtrack.** statsd_exporter backtracks only when a load-time
//!    heuristic asks for it; here a name that some rule matches is never left unmapped.
//! 8. **Keys removed in 0.30 are accepted** with a warning instead of being rejected (see
//!    above), so configs from older releases keep working.
//! 9. **Regexes mean what they mean in Go**: each pattern is read as Go's parser reads it
//!    and rewritten for the Rust engine (the Regex item above lists the differences this
//!    removes and the few it leaves).
//! 10. **Warnings are values.** [`MapperConfig::warnings`] replaces statsd_exporter's log
//!     lines ("super set … will never be matched", "backtracking required").
//! 11. **The cache** is a 4-way set-associative table keyed by (class, name) with a
//!     power-of-two capacity and random replacement, read without locks (a sequence
//!     lock per set), instead of an LRU behind one lock. Names longer than 128 bytes,
//!     and results with more than 15 captures, are not cached (they are looked up every
//!     time, with the same answer).
//! 12. Glob patterns have at most 64 components; labels keep their file order; a negative
//!     TTL means "never expire".
//!
//! # Performance
//!
//! * Glob rules compile into one trie per class. A lookup splits the name once (eight
//!   bytes at a time), then walks its components: the literal edges of a node are
//!   compared by length and first eight bytes (a hash map beyond six edges), then `*`
//!   and partial edges, pruned by the lowest rule index below each node (ordered mode
//!   stops as soon as no better rule can exist) and by the exact set of component
//!   counts below it. A node with one way on is followed in a loop; only real branches
//!   recurse. The cost depends on the name, not on the number of rules.
//! * Regex rules: one pass of a multi-pattern regex set over the name finds every matching
//!   rule; captures run only for the winner. Each rule enters the set followed by
//!   `(?s:.*)\z`, so every match ends at the end of the name and the pass reports once:
//!   a set pass resumes after each match it reports, and a catch-all rule such as `(.*)`
//!   used to make it stop at every byte (a lookup through a six-rule config with `(.*)`,
//!   over the mapper_match fuzz corpus: 54,000 → 8,700 instructions).
//! * Loading checks every regex (syntax, groups, and that it cannot match invalid
//!   UTF-8) and compiles the set, without a literal prefilter: every pattern runs to the
//!   end of the name anyway. A rule's own regex, which only extracts the groups of a
//!   name the set says it matches, is compiled the first time that happens, once per
//!   loaded config (a one-off pause of about the set's compile time divided by the
//!   number of rules, on the thread that maps that name). Should the set exceed the
//!   regex engine's size limits, the error names the first rule too large on its own.
//!   Loading the 100-rule regex config (`regex100worst`) costs 20.1 M instructions
//!   instead of 50.0 M; the mapper_config fuzz target runs 44 % fewer instructions.
//! * The set is compiled forward only: it is asked which rules match, never where a
//!   match starts, so it has no reverse automaton (a `regex_automata::meta::Regex`
//!   compiles every pattern a second time, backwards, for that). Loading and mapping
//!   one name, `callgrind_map load_regex100`: 19.79 → 16.12 M instructions;
//!   `load_mastodon`: 6.69 → 6.15 M; the mapper_config fuzz body over 300 of its corpus
//!   configs: 7.12 → 6.16 G.
//! * A rule's own regex, when its pattern is anchored at the start (`^…`, as nearly
//!   every statsd_exporter regex rule is), runs the capture engine once from the start
//!   of the name, without the lazy DFA passes that first find where a match ends and
//!   starts: they cost more than they save when the match starts at 0. A lookup by the
//!   Mastodon mapping's regex rules costs 6 % fewer instructions (`map_regex_uncached`:
//!   12,242 → 11,463; a 2 KB name, `regex_long_anchored`: 320,095 → 303,900). An
//!   unanchored rule keeps them: without, the capture engine tries every start, and a
//!   2 KB name whose match is its last 7 bytes (`regex_long_unanchored`) cost 462,354
//!   instructions instead of 56,199.
//! * Lookups allocate nothing once the caller's [`Captures`] has warmed up: captures are
//!   byte ranges into the name, names and label values are expanded into caller-owned
//!   `String`s ([`Expanded::write_to`]) or borrowed when constant ([`Expanded::as_str`]).
//! * The cache ([`Mapper::new`]'s capacity, about 270 bytes per entry) serves a hit with one
//!   hash of the name (a folded multiply per 16 bytes), a word-by-word key comparison and
//!   a copy of the capture ranges. Readers take no lock and write no shared memory: each
//!   set is a sequence lock (read the set's counter, read the entry, check the counter),
//!   so hits on different cores never contend. A miss inserts with one compare-and-swap
//!   and no allocation.
//! * A caller that turns mappings into finished strings can skip even the hit: the rule's
//!   options are public ([`Rule::help`], [`Rule::ttl`], [`Rule::scale`],
//!   [`Rule::honor_labels`], [`Rule::observer`]), so the escaped name and expanded labels
//!   can be kept next to the rule's index and reused while the mapper stays the same.
//!   statsd-exporter-core's pipeline keeps such a per-thread table, bounded by
//!   [`Mapper::cache_capacity`]; a repeated Mastodon name then costs no lookup at all.
//! * [`escape_metric_name_into`] classifies bytes through a 256-entry table; dotted ASCII
//!   names (the common case) are translated in one pass, other names are copied by runs
//!   of valid bytes.
//!
//! Instruction counts per lookup, including expanding the name and every label value
//! (`cache hit` and `escape` excepted), measured with callgrind on the drivers in
//! `benches/src/bin/callgrind_map.rs` (N = 0 and N = 20000, difference / N):
//!
//! ```text
//! cargo build --profile callgrind -p statsd-benches --bin callgrind_map
//! for n in 0 20000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/callgrind/callgrind_map <scenario> $n 2>&1 | grep Collected; done
//! ```
//!
//! "Before" is the previous release of this crate (an `RwLock` per cache shard and a
//! byte-at-a-time name split, recursion at every trie level).
//!
//! | scenario | before | after |
//! |---|---:|---:|
//! | glob, 1 rule (`glob1`) | 881 | 705 |
//! | glob, 100 rules (`glob100`) | 997 | 805 |
//! | glob, 10 000 rules (`glob10000`) | 1,004 | 805 |
//! | glob, 10 000 realistic rules (`realistic10000`) | 1,647 | 1,295 |
//! | regex, 100 rules, last matches (`regex100worst`) | 3,632 | 3,233 |
//! | Mastodon mapping, uncached (`mastodon`) | 2,423 | 1,638 |
//! | Mastodon mapping, cached (`mastodon_cached`) | 736 | 702 |
//! | cache hit alone (`cache_hit`) | 328 | 295 |
//! | `escape_metric_name_into`, Mastodon names (`escape`) | 1,856 | 630 |
//!
//! What is left of a glob lookup is mostly the trie walk's per-level bookkeeping and the
//! expansion itself (`String` appends, `memcpy` calls): about 200 instructions of the
//! 705 in `glob1` are the driver loop and expanding name and label. Timings (criterion,
//! `cargo bench -p statsd-benches --bench mapping`) on the shared 2-core VM are noisy;
//! back-to-back runs of the previous and this version (load average 4 to 7) gave
//! `CacheHit` 40 → 23–41 ns, `Glob1Rule` 116 → 66–152 ns, `Glob10000Rules`
//! 130 → 74–91 ns, `Mastodon` 271 → 217–246 ns, `EscapeMetricName` (allocating)
//! 138 → 71–128 ns. The cache's main gain, no shared writes on a hit, shows only with
//! several receive threads, which these single-threaded benchmarks do not measure.
#![forbid(unsafe_code)]

mod cache;
mod capture_budget;
mod captures;
mod config;
mod duration;
mod error;
mod escape;
mod explain;
mod glob;
mod go_syntax;
mod hash;
mod kind;
mod mapper;
mod options;
mod regex;
mod regex_set;
mod repeat_limit;
mod rule;
mod template;
mod trie;

pub use captures::Captures;
pub use config::{Defaults, MapperConfig};
pub use error::{Error, ErrorKind, Position, Warning, WarningKind};
pub use escape::{escape_metric_name, escape_metric_name_into, escapes_to_itself};
pub use explain::{Explanation, Step, Verdict};
pub use kind::MetricKind;
pub use mapper::{Expanded, Labels, Mapper, Mapping};
pub use options::*;
pub use rule::{MatchType, Rule};

// The README's example is a doc test too, so the crates.io page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
