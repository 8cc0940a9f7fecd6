//! Zero-copy StatsD and DogStatsD parser and encoder.
//!
//! `statsd-proto` turns datagrams into borrowed items — metric lines, DogStatsD
//! events and service checks — without copying or allocating, and writes items back
//! to wire form. It accepts what statsd_exporter 0.30 accepts (and counts what it
//! counts), or follows the DogStatsD Agent where the two disagree.
//!
//! # Usage
//!
//! ```
//! use statsd_proto::{Item, MetricType, Parser};
//!
//! let parser = Parser::new(); // statsd_exporter's defaults
//! let packet = b"api.latency:320|ms|@0.1|#env:prod\nbroken\nhits:1|c\r\n";
//! for result in parser.packet(packet) {
//!     match result {
//!         Ok(Item::Metric(m)) => {
//!             for sample in m.samples() {
//!                 let s = sample.expect("both samples are good");
//!                 println!("{:?} {} {}", m.name().to_vec(), s.kind(), s.value());
//!             }
//!             for tag in m.tags() {
//!                 assert_eq!((tag.key(), tag.value()), (&b"env"[..], Some(&b"prod"[..])));
//!             }
//!         }
//!         Ok(_) => {} // events and service checks
//!         Err(e) => assert_eq!((e.kind().as_str(), e.offset()), ("malformed_line", 40)),
//!     }
//! }
//! ```
//!
//! Entry points: [`Parser::packet`] (split on `\n`, `\r\n` accepted, empty lines
//! skipped, a bad line never stops the next one), [`Parser::parse_line`],
//! [`Parser::parse_metric`], [`Parser::parse_event`], [`Parser::parse_service_check`].
//!
//! # What a metric line gives you
//!
//! A [`Metric`] borrows from the datagram:
//! - [`Metric::name`]: a [`Name`], the name with embedded tags removed. A SignalFX name
//!   `na[k=v]me` is two borrowed halves (`na` + `me`); `Name` compares, hashes and
//!   writes as their concatenation, and [`Name::as_contiguous`] gives the single slice
//!   in the common case.
//! - [`Metric::samples`]: one `Result<Sample, Error>` per value, decoded lazily from
//!   the line (nothing is stored per value, so no line ever allocates). A [`Sample`] has
//!   the value (`f64`), [`MetricType`], gauge-delta flag, sample rate, `T` timestamp,
//!   the raw value text, and [`Sample::observation_count`] (statsd_exporter's
//!   `int(1/rate)` rule for observers).
//! - [`Metric::tags`]: a lazy [`Tags`] iterator of [`Tag`]s (`&[u8]` key and value)
//!   in statsd_exporter's order — name-embedded tags, then each `|#` list and each
//!   `|c:` container id (as `container_id`) in field order. Apply them last-wins into
//!   your label map, as statsd_exporter's map does. Keys are raw: statsd_exporter
//!   escapes them into label names afterwards (`tag.with.dots` → `tag_with_dots`).
//! - DogStatsD fields: [`Metric::container_id`], [`Metric::external_data`],
//!   [`Metric::cardinality`] (see [`Cardinality`]).
//!
//! Names, tags and values are bytes. In [`Compat::StatsdExporter`] mode the whole line
//! was checked to be UTF-8, so `std::str::from_utf8` on them cannot fail.
//!
//! # Reproducing statsd_exporter's counters
//!
//! statsd_exporter counts `lines_total`, `samples_total`, `sample_errors_total{reason}`,
//! `tags_total` and `tag_errors_total` while parsing. With this crate:
//!
//! ```
//! use statsd_proto::{Item, Parser};
//!
//! let packet = b"foo:200|ms:300|ms:5|c|@0.1:6|g\nbar,a=b,bad:1|c|#x:y\n";
//! let (mut samples, mut with_tags, mut tag_errors) = (0, 0, 0);
//! let mut reasons = Vec::new();
//! let lines = statsd_proto::line_count(packet); // lines_total (UDP counts the empty tail)
//! for result in Parser::new().packet(packet) {
//!     match result {
//!         Err(e) => {
//!             reasons.push(e.kind().as_str());
//!             tag_errors += e.tag_errors(); // name tags are parsed before some checks
//!         }
//!         Ok(Item::Metric(m)) => {
//!             let c = m.counts();
//!             samples += c.samples;
//!             with_tags += c.samples_with_tags;
//!             tag_errors += c.tag_errors;
//!             reasons.extend(m.sample_errors().map(|k| k.as_str()));
//!             // … then build events from the `Ok` samples; a set (`s`) is where
//!             // statsd_exporter counts `illegal_event`.
//!         }
//!         Ok(_) => {}
//!     }
//! }
//! assert_eq!((lines, samples, with_tags, tag_errors), (3, 4, 0, 1));
//! assert_eq!(reasons, ["mixed_tagging_styles"]);
//! ```
//!
//! [`ErrorKind::as_str`] returns exactly statsd_exporter's reason labels. The
//! exporter-stage reasons (`illegal_negative_counter`, `empty_metric_name`) are not
//! parse errors and are not here.
//!
//! # Options and modes
//!
//! [`Parser`] holds four tag-style switches, like statsd_exporter's
//! `--[no-]statsd.parse-{dogstatsd,influxdb,librato,signalfx}-tags` (all on in
//! [`Parser::new`]), a switch for events and service checks, and a [`Compat`] mode.
//!
//! | behaviour | `Compat::StatsdExporter` (default) | `Compat::DogStatsd` |
//! |---|---|---|
//! | multi-value | `a:1:2\|h` (ms/h/d only, else `invalid_extended_aggregate_type`) and `a:1\|c:2\|ms`; a `\|#` disables the latter | packed `a:1:2\|c` for every type but sets; empty items skipped |
//! | signed gauge `+5`/`-5` | delta ([`Sample::is_relative`]) | absolute |
//! | bad `@rate` | `invalid_sample_factor` counted, sample kept with rate 1 | line dropped (`invalid_sample_factor`) |
//! | `T` timestamp | parsed when an integer, otherwise ignored | must be an integer > 0, else `malformed_timestamp` |
//! | unknown field | `invalid_sample_factor`, sample dropped | ignored |
//! | `e:`, `card:` fields | unknown (`invalid_sample_factor` / `malformed_container_id`), as upstream | [`Metric::external_data`], [`Metric::cardinality`] |
//! | `\|c:` container id | also the `container_id` tag | a field only |
//! | components | 2 to 6, none empty | any number, empty ones ignored |
//! | valueless / empty tags | dropped, counted as tag errors | valueless tags are tags (`value() == None`), empty ones skipped |
//! | set values | must be numbers (statsd_exporter parses them) | any text ([`Sample::raw_value`]; `value()` is NaN if not a number) |
//! | UTF-8 | the whole line must be UTF-8 (`malformed_line`) | bytes are not checked, like the Agent |
//! | name-embedded tags, mixed with `\|#` | `mixed_tagging_styles` | allowed ([`Parser::dogstatsd`] turns name styles off) |
//! | line end | one trailing `\r` removed (`\r\n`), a divergence: upstream counts `c\r` as `illegal_event` | one trailing `\r` removed (see "Line ends") |
//!
//! Tag styles follow statsd_exporter's precedence: SignalFX brackets first (both present:
//! parse inside, name = before + after, stop; one bracket: one tag error, name kept,
//! InfluxDB and Librato not tried); otherwise the first `#` (Librato) or `,` (InfluxDB)
//! starts the tag list. A disabled style leaves its characters in the name.
//!
//! # Values
//!
//! Values, rates and timestamps as real clients print them: integers, Go and Python
//! floats, Ruby's `1.0e-05`. Parsing is exact (`str::parse::<f64>` semantics, with an
//! integer fast path for up to 15 significant digits). `NaN`, `inf`, `infinity` (any
//! case, optional sign) are accepted and passed through, as statsd_exporter and the
//! Agent do; deciding what to do with them is the consumer's job. Hex floats
//! (`0x1p-2`) and `_` separators are **refused** (`malformed_value`): Go's `ParseFloat`
//! takes them, but no StatsD client prints them. A rate of `0` means 1.
//!
//! # Events and service checks
//!
//! [`Event`]: `_e{<title len>,<text len>}:<title>|<text>` with `d:`, `h:`, `k:`, `p:`,
//! `s:`, `t:`, `#`, `c:`, `e:`, `card:`. [`ServiceCheck`]: `_sc|<name>|<0-3>` with `d:`,
//! `h:`, `#`, `c:`, `e:`, `card:`, `m:` (read to the end of the line). Bad optional
//! fields are ignored and the item kept, as the Agent does. statsd_exporter does not
//! understand either; [`Parser::events`]`(false)` parses them as metric lines, which
//! fail exactly as they do upstream.
//!
//! # Encoding
//!
//! [`Item::encode`], [`Metric::encode`], [`Event::encode`], [`ServiceCheck::encode`] and
//! [`encode_metric`] write wire form. Metrics are written canonically: DogStatsD packed
//! form when the samples share type, rate and timestamp (`name:v1:v2|h|@0.5|#k:v|c:id|T…`),
//! otherwise statsd_exporter's multi-metric form with InfluxDB-style tags in the name.
//! Values use the shortest text that reads back to the same `f64`. Not representable:
//! a negative absolute gauge in statsd_exporter mode (it reads back as a delta), and
//! names or tags containing the separators.
//!
//! # Line ends
//!
//! A line is its content plus an optional `\r` before the `\n` (`\r\n` ends, sent by
//! some Windows clients and by hand with `nc -C`). Exactly **one** trailing `\r` is
//! removed, by [`Parser::parse_line`], [`Parser::parse_metric`], [`Parser::parse_event`]
//! and [`Parser::parse_service_check`]; [`Parser::packet`] splits on `\n` only and
//! parses each piece with `parse_line`, so a line parses the same alone and inside a
//! packet. A second `\r` belongs to the content: `a:1|c\r\r` has the type `c\r`
//! (a bad sample, `illegal_event`), and in `_sc|db|1|m:down\r\r` the message is `down\r`. A line
//! that is only `\r` is an empty line (skipped in packets).
//!
//! The encoders keep such content: a line whose content ends in `\r` is written with one
//! more `\r`, which the parser removes again (the `\r` cannot be escaped otherwise;
//! DogStatsD has escapes for `\n` only). [`OwnedItem`] stores that extra `\r` for the
//! same reason.
//!
//! ```
//! use statsd_proto::Parser;
//!
//! let parser = Parser::dogstatsd();
//! let check = parser.parse_service_check(b"_sc|db|1|m:down\r\r").unwrap();
//! assert_eq!(check.message(), Some(&b"down\r"[..]));
//! let mut out = Vec::new();
//! check.encode(&mut out);
//! assert_eq!(out, b"_sc|db|1|m:down\r\r");
//! assert_eq!(parser.parse_service_check(&out).unwrap().message(), check.message());
//! ```
//!
//! # Keeping items
//!
//! Items borrow from the buffer. [`OwnedItem`] keeps a line as a [`bytes::Bytes`] slice
//! of the packet (reference-counted, no copy) and re-parses it on demand.
//!
//! # Deliberate divergences from statsd_exporter 0.30
//!
//! - `\r\n` line endings are accepted (upstream counts `c\r` as `illegal_event`, #167);
//!   exactly one trailing `\r` is removed (see "Line ends").
//! - `x]y[z:1|c` — `]` before `[` — is a bad SignalFX tag section (one tag error, name
//!   kept); upstream panics on a slice out of range and the process exits.
//! - A `|c:<id>` container field works without `|#` tags: a line with a `|c:` field
//!   after the type is one sample, like a `|#` line. Upstream splits `foo:1|c|c:abc` on
//!   `:` into two bad samples. (The multi-metric form `a:1|c:2|ms` is unaffected.)
//! - Sets (`s`) parse; statsd_exporter refuses them when building events
//!   (`illegal_event`), so that decision is left to the consumer.
//! - Rates above 1 or below 0 are reported as sent; [`Sample::observation_count`]
//!   returns 0 for them, which is what upstream does (no event, no error).
//! - DogStatsD events and service checks are recognised (upstream: `malformed_value`
//!   and `malformed_line`); [`Parser::events`]`(false)` restores upstream's behaviour.
//! - Hex floats and `_` in numbers are refused (see "Values").
//!
//! # Unsafe code
//!
//! One private module, `simd.rs`, holds the crate's only `unsafe` code: three
//! `unsafe` blocks, each the call of one SSE2 function of that module
//! (`#[target_feature(enable = "sse2")]`, built on `std::arch`'s `pcmpeqb` and
//! `pmovmskb`) that turns 16 bytes into bit masks: the lanes equal to given
//! delimiters, or the non-ASCII lanes.
//!
//! - **Why.** The hot path's byte scans (the name, the `|#` list, the `|c:` id, a
//!   packet's line ends) cost about a third as many instructions 16 bytes at a time
//!   with SSE2 as 8 at a time with portable SWAR code, and LLVM does not turn
//!   portable code into these instructions in any form tried. `std::arch` offers them
//!   only as `#[target_feature]` functions, which take `unsafe` to call. Measured
//!   (instructions per line, table below): `tags5` 1,236 → 927, the full line 1,106 →
//!   943, `packed4` 1,041 → 979, the timer line 595 → 553, the Mastodon stream 889 →
//!   749.
//! - **Why it is sound.** The called functions have safe signatures (a `&[u8; 16]`
//!   and bytes in, integers out) and safe bodies: no raw pointer, no transmute, no
//!   memory access but through the reference. The one requirement of calling a
//!   `#[target_feature(enable = "sse2")]` function is a CPU with SSE2, which every
//!   x86-64 CPU has (SSE2 is part of the architecture's baseline), and that code is
//!   compiled only under `cfg(all(target_arch = "x86_64", target_feature = "sse2"))`.
//!   Each block carries a `SAFETY` comment saying so.
//! - **Elsewhere** (other architectures), the same functions are built from the
//!   portable word-at-a-time code, with identical results: the unit tests compare both
//!   forms with a byte loop on every target, and `RUSTFLAGS="--cfg
//!   statsd_proto_portable" cargo test -p statsd-proto` runs the whole suite on the
//!   portable form on x86-64 too.
//! - **How it is fenced.** The crate has `#![deny(unsafe_code)]` and its own `[lints]`
//!   table in Cargo.toml (the workspace's lints with `unsafe_code = "deny"` instead of
//!   `"forbid"`, which no `allow` can lift); only the three blocks carry
//!   `#[allow(unsafe_code)]`.
//!
//! # Performance
//!
//! nom gives the grammar its structure where it is cheap enough: the event
//! (`_e{…}`) and service check (`_sc|…`) grammars are nom 8 combinators, and
//! `statsd_proto::reference` (hidden, not a stable API) is a readable nom parser of the
//! strict DogStatsD metric-line grammar that the tests run against the fast path
//! (every line of the data tables and two proptests must give identical names,
//! samples, rates, timestamps, tags, DogStatsD fields and error offsets).
//!
//! The metric-line hot path is hand-tuned, because the measurement says so (table
//! below). It has two tiers with one behaviour:
//!
//! - **The fast path** (`fast.rs`) takes the lines real clients send: a name without
//!   tag delimiters, values that all parse, a known type, and at most four
//!   well-formed fields after it (`@rate`, one `#` tag list, one `c:` container id,
//!   `T` timestamp), ASCII only in statsd_exporter mode. Such a line has no sample
//!   errors and every sample reaches the fields, so statsd_exporter's counters follow
//!   from the tag list alone. One pass reads it: the name 16 bytes at a time (SSE2
//!   bit masks, see "Unsafe code") for its colon, tag delimiters and non-ASCII bytes;
//!   each value (and rate) is parsed and delimited by the same byte loop (exact:
//!   `parse_f64` is built on that loop, integer digits then fraction digits, and a
//!   proptest checks it against `str::parse::<f64>`); a timestamp 8 digits at a time.
//!   The `#` list is read as bit masks: one pass, 16 bytes at a time, turns it into a
//!   mask of its `:` and one of its `,` (a bit per byte: `pcmpeqb` and `pmovmskb` on
//!   x86-64; elsewhere an exact per-lane equality test on 8-byte words, then one
//!   multiplication gathers the 8 lane bits), and one addition over the masks finds
//!   every item's first `:` at once (a carry started at each item's first byte runs
//!   over the bytes that are neither `:` nor `,` and stops at the first that is).
//!   A *clean* list — every item `key:value`, no `#`, at most 127 bytes, nearly every
//!   list real clients send — then has no tag errors, and one 128-bit mask (each
//!   tag's first `:` and end) is all the line keeps of it: the tag iterator reads a
//!   tag with two `trailing_zeros`. Any other list is counted item by item (exactly
//!   as statsd_exporter counts) and walked by the general walk. The line is kept in a
//!   compact form that stores what the accessors return, so [`Metric::counts`],
//!   [`Metric::tag_errors`], [`Metric::has_tags`] and [`Metric::sample_errors`] read a
//!   field, and [`Metric::tags`] walks the mask (then the `container_id` tag) without
//!   a look at the fields.
//! - **The general path** takes every other line (name-embedded tags, bad values,
//!   rates or fields, multi-metric lines `a:1|c:2|ms`, several `|#` lists, DogStatsD
//!   1.5/1.6 fields, non-ASCII bytes in statsd_exporter mode): one SWAR pass finds the
//!   name's colon, every `|` and `:` and counts the valid tags and tag errors of the
//!   first `|#` list; the counters are worked out during the parse where they can be,
//!   and walked otherwise. Its tag walk splits the lists again (it keeps no index:
//!   the smaller [`Tags`] iterator that buys is cheaper for every line than the
//!   index was for the few lines on this path).
//!
//! Which tier read a line is invisible: in-crate tests compare every accessor of the
//! two tiers (and of the general tier with its parse-time counters forgotten) on
//! examples, on a proptest built from the fast grammar and its near misses, and on the
//! summary proptest. A `Metric` stays within 256 bytes and is written once, straight
//! into the caller's `Result`, without a `memcpy` call (`metric_stays_small` guards the
//! size). No line allocates, whatever its number of values or tags (`tests/alloc.rs`
//! proves it for the benchmark shapes with a counting allocator).
//!
//! Instructions per line, measured with `valgrind --tool=callgrind` as
//! (Ir(N = 20000) − Ir(0)) / N, profile `callgrind` (fat LTO, one codegen unit),
//! rustc 1.95, x86-64. Each line is parsed with [`Parser::parse_line`] and then read the
//! way statsd-exporter-core's pipeline reads it: [`Metric::counts`],
//! [`Metric::sample_errors`], every tag (its value's length summed as an integer)
//! and every sample (value times rate summed as a float). Reproduce with
//! `benches/scripts/callgrind-parse.sh [exporter|dogstatsd|reference]`.
//!
//! | shape | line | statsd_exporter mode | DogStatsD mode | nom reference (DogStatsD) | target |
//! |---|---|---|---|---|---|
//! | plain | `foo.bar:1\|c` | 371 | 371 | 851 | 400 |
//! | timer + rate | `api.request.duration:320\|ms\|@0.1` | 535 | 535 | 1,139 | 600 |
//! | 5 tags | `checkout.latency:12.5\|d\|#env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17` | 818 | 814 | 3,595 | 900 |
//! | 4 packed values | `queue.wait:1:2.5:3:40\|h\|#env:prod` | 945 | 941 | 2,022 | 1,000 |
//! | full line | `requests.total:100\|c\|@0.5\|#service:web,env:prod\|c:ci-3a88cafe\|T1700000000` | 897 | 872 | 2,362 | 1,000 |
//! | Mastodon stream | 1 MB of nsa/statsd-ruby lines through [`Parser::packet`], samples read | 747 | | | |
//!
//! (The reference column parses and walks tags and samples only: the nom parser
//! has no counters. It collects into `Vec`s, so it includes allocator calls, as a nom
//! parser built from `many0`/`separated_list0` does. Figures move by up to ±50
//! between builds after unrelated code changes, because fat LTO re-lays out the loop:
//! compare runs of one build, and read differences below that as noise.)
//!
//! The latest round, the tag walk and the iterators (from 389 / 553 / 927 / 979 / 943,
//! DogStatsD mode 389 / 553 / 923 / 975 / 917, Mastodon 749, at `de7cb73`): the masked
//! tag walk slices a tag with `min`-clamped offsets instead of checked `get`s (the
//! masks give `start <= colon < end <= len`; stated as `min`s, the compiler drops the
//! bounds checks and the defaulting: `tags5` −25), splitting the tag at its value's
//! start and taking the key as the text before the `:` (−5); the general tier's
//! `Metric::tags` inlined and the masked walk's position a `usize` (the call wrote the
//! caller's `Tags` through memory, and a `u32` position shared a 64-bit slot of the
//! `Tags` enum with the general walk's fields, masked and merged each step: `tags5`
//! −19, every other shape −13 to −18); a tag ending past the masks' low 64 bits read
//! with 64-bit steps on the high half (−12), then the masks kept as two `u64` halves
//! tested one at a time (−7); the mask check taking each tag's end as the bounds that
//! do not start an item (−4); the fast path's sample counter a `usize` (−3 on every
//! shape, the same slot sharing as the `Tags` position); a [`Tag`]'s value kept as
//! bytes (`b""` when valueless) and a flag instead of an `Option`, so that
//! [`Tag::value_or_empty`], the exporter's read, is a field (−15; `PartialEq`, `Hash`
//! and `Debug` written by hand to stay those of `(key, value())`); the end's bit of a
//! list of 64–127 bytes built in the masks' high half alone instead of by a variable
//! 128-bit shift (−17); the colons past the list's end left in the masks (no carry
//! runs past the end: −2).
//!
//! The round before, SSE2 (from 393 / 595 / 1,236 / 1,041 / 1,106, DogStatsD mode 393 /
//! 595 / 1,232 / 1,037 / 1,075, Mastodon 889, at `970a116`): the `|#` mask pass on
//! 16-byte blocks, four `pcmpeqb`/`pmovmskb` pairs and a `pmovmskb` of the bytes for
//! the non-ASCII check per block (`tags5` −284, full −97, `packed4` −17: LLVM unrolls
//! the block loop and keeps the `#` and non-ASCII masks in vector registers); the
//! name scan on blocks, with exact tests for `#`, `,`, `[` and `]` (the SWAR test
//! also flagged the punctuation below `-` and the backslash), a line under 16 bytes
//! as one zero-padded block (timer −40, `packed4` −46, full −42, `tags5` −26,
//! Mastodon −109: its names are 50–90 bytes); a packet's line ends found 16 bytes a
//! step over a line's first 128 bytes instead of by a memchr call (Mastodon −33); the
//! `|c:` container id's end and non-ASCII check on blocks (full −24). The last 1–15
//! bytes of a slice of 16 or more are read as its last 16 bytes with the lanes
//! already read shifted out of the masks (no padded copy), the way `load` reads a
//! word.
//!
//! Two rounds before (from 388 / 595 / 1,279 / 1,057 / 1,122, DogStatsD mode 388 / 595 /
//! 1,275 / 1,053 / 1,093, Mastodon 887, at `512a3b4`): the samples walk takes the last
//! (or only) value as the rest of the values, with no byte loop and no separate
//! one-value test (`packed4` −14); the `|#` mask pass ANDs each word's `#` test before
//! its NOT, one NOT after the loop instead of one a word (`tags5` −9, full −3); the fast
//! path's general tag walk (`Fast::walk_tags`) inlined (`tags5` −14, `packed4` and full
//! −3; plain +5 and timer +1, within their targets: the caller's `Tags` is in memory
//! either way); the mask pass takes its whole words from `chunks_exact(8)`, a pointer
//! walk, instead of a bounds-tested `get` per word index (`tags5` −20, full −10).
//!
//! Three rounds before (from 399 / 632 / 1,433 / 1,163 / 1,242, DogStatsD mode 399 / 632 /
//! 1,429 / 1,159 / 1,213, Mastodon 1,008; a separate commit that rounds 16–19-digit
//! values exactly took Mastodon to 951 and moved the shapes by a few): the signed
//! integer-to-float conversion for a mantissa below 2^53; `Parser::packet` building each
//! metric with its offset in place; the masked tag walk in 64-bit steps while a tag
//! lies in the low half of the masks; the name scan, the `|#` mask pass and the
//! container-id search reading whole words in their loop and the last 1–7 bytes once
//! after it (the loops no longer carry `load`'s three-way test: −14 to −73 per shape);
//! the field loop's state as plain variables instead of options of tuples; a packed
//! line's value ends found by a byte loop in the samples walk; "no timestamp" kept as
//! `u64::MAX`; the list's and id's spans from known offsets.
//!
//! Four rounds before (the `|#` list as bit masks; the parse no longer stores where the fields
//! start; values parsed in two digit loops, with one test for exactness and one for
//! the sign in the common case) went from 426 / 664 / 1,542 / 1,226 / 1,310
//! (statsd_exporter mode), 426 / 664 / 1,527 / 1,217 / 1,277 (DogStatsD mode) and
//! 1,065 for the Mastodon stream, with the same driver. The round before (a span index
//! of the list, up to 8 tags) started from 447 / 686 / 1,656 / 1,261 / 1,382 and 447 /
//! 686 / 1,626 / 1,251 / 1,332, Mastodon 1,053 (with a driver that summed each tag
//! value's length as an `f64`, 9 instructions a tag of its own). Before the fast path
//! (one general tier for every line) the same measurement gave 802 / 1,103 / 1,928 /
//! 1,852 / 2,286 and 778 / 1,110 / 2,419 / 1,868 / 2,299, Mastodon 1,193; the round
//! before (lazy counters that split the tags again and re-parsed every value) gave
//! 1,318 / 1,735 / 3,980 / 4,505 / 3,633 and 1,224 / 1,753 / 4,078 / 3,950 / 3,430.
//!
//! **All five targets are met** (statsd_exporter mode: plain 371, timer 535, `tags5`
//! 818, `packed4` 945, the full line 897). Where `tags5` spends its instructions now
//! (`valgrind --tool=callgrind --dump-instr=yes`, then `callgrind_annotate --auto=yes`
//! and the per-instruction counts against `objdump -d`): the mask pass about 200 (four
//! whole blocks at about 25 each, the last 5 bytes as the list's last 16 with shifted
//! masks, about 45, then about 55 to check the masks in 128-bit arithmetic, the list
//! being longer than 63 bytes); the tag walk about 145 with the driver's loop (about 30
//! to build the iterator from the compact form, then about 23 a tag: two
//! `trailing_zeros` and two lowest-bit clears, the tests of the two halves and of the
//! `Tags` variant, a `min` for the end and a saturating difference for the value's
//! length, the driver's sum kept in memory); writing the compact `Metric` to the stack field
//! by field (about 45, many of them reloads of spilled locals) and reading it back; the
//! value parse (about 45 plus 6 a digit); the field loop's dispatch; the driver's
//! `samples().flatten()`, whose state stays in memory (about 30 a sample). Before the
//! latest round the `Tags` iterator went through memory too (about 25: stored, then
//! loaded into registers, because the general tier's variant came from an out-of-line
//! call). Where the instructions went after the bit-mask round (four rounds before;
//! `callgrind_annotate --auto=yes` on the `callgrind` profile, statsd_exporter mode;
//! the driver's `no-tags` argument separates parse and tag walk: then 361 / 1,129 /
//! 1,055 / 1,067, after it 351 / 1,036 / 966 / 979 for plain, `tags5`, `packed4`, the
//! full line):
//!
//! - The `|#` list's mask pass cost about 42 per 8-byte word (four exact lane tests,
//!   two gathers, the `|` check, a loop kept in registers only in part: the driver's
//!   loop around it holds many values) and about 40 after it (80 for a list of 64
//!   bytes or more, in 128-bit arithmetic): about 460 for `tags5`'s 69-byte list,
//!   where the span index cost about 700.
//! - Reading the tags cost about 60 a tag with the iterator's construction (about 40 a
//!   tag: two 128-bit `trailing_zeros` and lowest-bit clears, the bounds checks of two
//!   slices), about 300 for `tags5`; even a line without tags pays about 38 to build
//!   and test an empty iterator (the `Tags` enum is written to memory because its
//!   general-walk variant comes from an out-of-line call).
//! - About 300 fixed on every line: writing the compact `Metric` (about 25 fields, most
//!   of them through the stack: about 50), the name scan (about 20 per 8 bytes, now
//!   about 25 per 16), each value (about 30 for a short one), the type, the field
//!   loop's dispatch (about 10 a field), the sample iterator (about 35 a sample) and
//!   the driver's own reads.
//!
//! The timer line is all fixed cost (its name scan, two numbers, the field loop, the
//! compact form and the empty tag walk), spread over many small steps of 5–40
//! instructions each.
//!
//! Tried in the latest round and not kept (statsd_exporter mode, plain / timer /
//! `tags5` / `packed4` / full / Mastodon, against the state tried on, one build each):
//! the list end of the `|#` mask pass starting as the slice's length, with a flag for a
//! `|` found, instead of `usize::MAX` and a fix-up after the last block (+24 / +31 /
//! +69 / +52 / +51 / −12: fat LTO laid the parse out anew); `SlotIter`'s construction
//! marked `#[inline]` (no change: it was inlined already); `mask_list` out of line
//! (+4 / +5 / +71 / +68 / +69 / +6); `Tags` as a struct with the masked walk and the
//! general walk side by side instead of an enum, so that no step tests a variant (+8 /
//! +8 / −10 / +7 / 0 / 0: `tags5` wins 10, the lines without tags, the most common
//! ones, lose 8); the general sample iterator's counters as `usize`s, like the fast
//! one's (+6 / +6 / +6 / +22 / +6 / +46). Measured as parts of a kept
//! step: `Metric::tags` inlined with the masked walk's position still a `u32` (−8 / −8
//! / +3 / −7 / −5 / 0: each step then masked and merged the position's slot), the
//! `usize` position with `Metric::tags` still out of line (−2 / −2 / −8 / −4 / −7 /
//! 0); together −13 / −13 / −19 / −16 / −18 / 0. Not tried: the samples walk's state
//! out of memory (the driver's `flatten()` keeps it there), fewer spills in the field
//! loop (its state, the mask pass inlined in it, lives partly on the stack).
//!
//! Tried in the round before (SSE2) and not kept (statsd_exporter mode, plain / timer /
//! `tags5` / `packed4` / full / Mastodon, against the state tried on, one build each):
//! the mask pass accumulating each block's masks into two `u64` halves with a shift
//! (constant in the unrolled loop) instead of 2-byte stores into arrays (+19 / +25 /
//! +43 / +38 / +26 / +2: more registers live across the loop); the name scan keeping
//! the SWAR words for lines under 16 bytes (+4 / −1 / −6 / +14 / +8 / +1 against the
//! zero-padded block through the same tail code; a separate branch for the short
//! line's one block then took plain from 402 to 389). Not tried: the general tier's
//! scans (`scan_rest`, `index_list`, `split_item`) and the fast path's fallback
//! searches for exotic values (`find`, `find2`) stay SWAR, as no measured shape runs
//! them.
//!
//! Tried two rounds before and not kept (statsd_exporter mode, plain / timer /
//! `tags5` / `packed4` / full / Mastodon, against the state tried on, one build each):
//! the samples walk keeping the values not yet read as a shrinking slice instead of a
//! position (+3 / +3 / +3 / +12 / +3 / +40); the samples walk reading the values from
//! the line with a `u32` position, without a slice of its own (0 / 0 / 0 / +24 / 0 /
//! −2); one test per byte after a value, `:` or `|`, returning whether it was the last
//! (−1 / −1 / −1 / −1 / −1 / +8); the name scan's whole words from `chunks_exact(8)`
//! (−3 / +5 / +21 / −13 / +1 / −3, timer at 600), the same for the container-id search
//! (−4 / +1 / +2 / −2 / 0 / −3: placement only, the full line is the one shape that
//! runs it).
//!
//! Tried three rounds before and not kept (statsd_exporter mode, plain / timer / `tags5`
//! / `packed4` / full / Mastodon, against the state tried on): each packed value's
//! length kept in the compact form (`packed4` −51, every other shape +2 to +9,
//! Mastodon +12 to +18, in three placements); the packed values' `:` as a bit mask
//! built by the samples walk (+13 / +10 / +13 / +44 / +15 / +15); the values' ends
//! searched in the whole line (`packed4` +61); the fast parse out of line (+80 to
//! +110); `Packet::next` always inlined (Mastodon +70); an empty variant of `Tags`
//! (−9 / −10 / +73 / +20 / +37); no `field_tags` flag, either with an empty masked
//! walk (+13 / +12 / −6 / −6 / −5 / −9) or derived from the spans (+2 to +10); the
//! general walk's `next` out of line (+2 / 0 / +74 / +16 / +38); `load` returning a
//! whole word before zeroing its buffer (+7 / +4 / +8 / +16 / +10 / −8); values of up
//! to 7 digits read as one word, SWAR digit tests and three multiplications (+36 /
//! +31 / +17 / +68 / +53 / +6: the digit loops cost less for the 1–4-digit values of
//! these lines). Figures of unrelated shapes moving by ±10 after a change is code
//! placement, as said above.
//!
//! Rewrites tried four rounds before and not kept (statsd_exporter mode; figures against the
//! committed state they were tried on, given in brackets): the mask pass accumulating
//! each word into `u128` masks with a variable shift and counting tags with software
//! popcounts (x86-64's baseline has no `popcnt`): 424 / 670 / 2,069 / 1,366 / 1,547
//! (426 / 664 / 1,542 / 1,226 / 1,310); the mask pass out of line: 418 / 657 / 1,476 /
//! 1,253 / 1,303 (414 / 656 / 1,507 / 1,226 / 1,291); the tag iterator on two 64-bit
//! halves and a base instead of a `u128`: 419 / 661 / 1,615 / 1,250 / 1,338 (same
//! brackets); no `field_tags` flag (a line without tags builds an empty masked
//! iterator): 426 / 666 / 1,499 / 1,218 / 1,284 (same); one match on the byte after a
//! value instead of two tests: 403 / 640 / 1,438 / 1,183 / 1,250 (402 / 639 / 1,437 /
//! 1,176 / 1,249); the type read from its first byte before the second: 406 / 647 /
//! 1,444 / 1,179 / 1,253 (same); the general walk's `next` out of line: 411 / 648 /
//! 1,499 / 1,195 / 1,282 (same); the gauge-delta flag worked out once per line: 417 /
//! 655 / 1,449 / 1,191 / 1,262 (same).
//!
//! Rewrites tried and not kept five rounds before (against 447 / 686 / 1,656 /
//! 1,261 / 1,382): no index at all, the tag walk splitting the list again (392 / 630 /
//! 2,062 / 1,245 / 1,619: splitting costs about 120 per tag); the same with a splitter
//! for error-free lists reading whole words (402 / 638 / 1,905 / 1,270 / 1,604);
//! indexing item by item (`tags5` 1,788); an index from an exact comma mask and a
//! colon mask, each item's first colon taken from the mask (`tags5` 1,664); that index
//! built out of line (`tags5` 1,654, `packed4` 1,279, the full line 1,395); the whole
//! fast parse out of line (about +90 on every shape); `Metric::tags` out of line (no
//! change); memchr's SSE2 three-byte searcher jumping from delimiter to delimiter
//! (`tags5` 1,654, the full line 1,409).
//!
//! Rewrites tried and not kept in earlier rounds: finding each
//! tag's colon from masks instead of visiting colon lanes (+95 for `tags5`), keeping
//! each packed value's end (+30 for the timer, −25 for `packed4`), a second `Metric`
//! construction for lines without fields (+17 for `plain`), a ready-made tag iterator
//! stored in the compact form (+110 for `tags5`), reading a tag with `split_at_checked`
//! (+50 for `tags5`); earlier rounds: a `load` that assembles a short tail byte by
//! byte, returning a `Metric` built in a local or filled in place in the caller's
//! `Result`, a `split_item` that keeps only the lowest flagged lane of each mask, a
//! plain byte loop with a delimiter table for the tag walk, and a length-first
//! `MetricType::from_bytes`. For comparison, dogstatsd.md §3.2 measured (parse and walk
//! only) a `str::parse` floor at 773 / 1,023 / 1,777 / 1,744 / 1,473 and a saluki port
//! at 735 / 1,368 / 1,714 / 2,284 / 2,654 for the same shapes.
//!
//! Throughput (criterion, `cargo bench -p statsd-benches --bench parse --
//! --warm-up-time 1 --measurement-time 3`, the same reads as above, median, at
//! `614c283`, before the last two number-parsing commits): 8.7 M lines/s for `foo.bar:1|c` in statsd_exporter mode and 12.8 M in
//! DogStatsD mode (the same code: the spread is the machine's), 8.4 M for the timer,
//! 4.7 M for the 5-tag line, 4.3 M for the packed values, 4.7 M for the full line, and
//! 4.9 M lines/s for the 1 MB Mastodon stream (samples only), on one core of a shared
//! 2-core machine under a load average of 6. The previous round's run (load 5) gave
//! 12.9 / 7.7 / 4.8 / 5.4 / 5.0 M and 5.4 M: at this load, timings do not resolve
//! differences of 10 %; read them as ±30 %, and the instruction counts above as the
//! measure.
#![deny(unsafe_code)]

mod encode;
mod error;
mod event;
mod fast;
mod kind;
mod metric;
mod name;
mod number;
mod options;
mod owned;
mod packet;
#[doc(hidden)]
pub mod reference;
mod scan;
mod simd;
mod tags;

pub use encode::{MetricFields, encode_metric};
pub use error::{Error, ErrorKind};
pub use event::{AlertType, Event, Priority, ServiceCheck, ServiceCheckStatus};
pub use kind::MetricType;
pub use metric::{Cardinality, LineCounts, Metric, Sample};
pub use name::Name;
pub use options::{Compat, Parser};
pub use owned::OwnedItem;
pub use packet::{Item, Packet, find_line_end, line_count};
pub use tags::{Tag, Tags};

// The README's example is a doc test too, so the crates.io page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
