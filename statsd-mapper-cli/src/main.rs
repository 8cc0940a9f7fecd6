//! `statsd-mapper`: check, explain, benchmark and test a statsd_exporter mapping config.
//!
//! The two questions teams ask first about a mapping config are "how fast is it on my
//! traffic?" and "why does this name map (or not) to that metric?". This command answers
//! both, with the same code as the exporter ([`statsd_proto`] to parse, [`statsd_mapper`]
//! to map).
//!
//! # Commands
//!
//! ```text
//! statsd-mapper check CONFIG [--deny-warnings]
//! statsd-mapper explain CONFIG LINE... [--type TYPE]
//! statsd-mapper bench CONFIG [CORPUS | -] [--cache-size N] [--top N] [--lines N] [--seed N]
//!                                          [--min-time MS] [--no-progress]
//! statsd-mapper test CONFIG CASES
//! ```
//!
//! Every command takes `--format json` for one JSON document on stdout instead of text.
//!
//! - **check** loads the config and prints every problem as `file:line:column: severity:
//!   message`, followed by the source line and a caret: errors (invalid YAML, unknown
//!   keys, invalid globs, regexes, names, labels, options), and warnings (keys removed in statsd_exporter 0.30 such as `timer_type`, and rules
//!   that can never match because an earlier rule matches everything they match for
//!   every metric type their `match_metric_type` allows, and observer options —
//!   `observer_type`, `summary_options`, `histogram_options`, … — on a rule whose
//!   `match_metric_type` only lets counters or gauges through). The mapper reports the error of
//!   every broken rule at once (`Error::all`), but a YAML shape error (unknown or duplicate
//!   key, wrong value type) stops its load; past one, `check` blanks the rule holding it
//!   (keeping line numbers) and loads again, until the config loads or an error lies
//!   outside a `mappings:` item (in `defaults:` or the YAML structure). Exit status 1
//!   on errors (or on warnings with `--deny-warnings`).
//! - **explain** takes StatsD lines (`name:value|type|#tags`) or bare names (`name`, typed
//!   by `--type`, default counter, or `name|ms`); `-` reads them from stdin, one a line.
//!   For each it prints the outcome (mapped, dropped, unmapped, rejected), the winning
//!   rule as `file:line:column`, the Prometheus name, labels (tags of the line included,
//!   as the exporter merges them) and type (`counter`, `gauge`, or `summary`/`histogram`
//!   per the rule's observer type, summary by default), and for each rule tried before
//!   the winner why it did not match. Glob rules are tried before regex rules, as in
//!   statsd_exporter.
//! - **bench** reads a corpus (a file of StatsD lines, or `-` for stdin) and reports
//!   parse and map cost separately (ns per line, lines per second), the mapping cache hit
//!   rate (`--cache-size`, default 1000 like statsd_exporter), the share of traffic per
//!   rule and the unmatched names ranked by frequency. Each timed pass is repeated until
//!   `--min-time` (default 300 ms) has passed. "map" includes expanding the name and
//!   every label value, as the exporter does. A progress bar is drawn on stderr while
//!   reading large corpora when stderr is a terminal.
//!
//!   Without a corpus, one is generated from the config's own rules (`--lines`, default
//!   100000, `--seed`, default 1): up to eight sample names per rule (each glob `*`
//!   becomes `v0`…`v7`; regexes are walked: literals kept, `.`, classes, `\w`, `\d`
//!   replaced by text they accept, first alternative, one repetition), each kept only if
//!   mapping it really selects that rule; lines pick a sample uniformly at random, and one
//!   line in twenty is an unmatched name. Rules that got no sample are listed.
//! - **test** runs a cases file, so that a mapping can live under its own CI. Exit status
//!   1 when a case fails, with a diff per failing case; 2 when the cases file is invalid.
//!
//! # Cases file
//!
//! A YAML list; each case has a `line` (StatsD line, or bare name with `|type`) and what is
//! expected of it. Only the keys given are compared; `labels` is the complete label set;
//! a case must expect something.
//!
//! ```yaml
//! - line: "Mastodon.production.web.HomeController.index.html.status.200:1|c"
//!   name: mastodon_controller_status
//!   type: counter                  # counter, gauge, summary or histogram
//!   labels: { controller: HomeController, action: index, format: html, status: "200" }
//! - line: "Mastodon.production.cache.read_hit:1|c"
//!   dropped: true                  # an `action: drop` rule matches
//! - line: "some.other.name|g"
//!   unmapped: true                 # no rule matches
//!   name: some_other_name
//! ```
//!
//! # Exit status
//!
//! 0 success; 1 a failed check, an unparsable explain line or a failed case; 2 usage
//! errors and invalid cases files.
//!
//! # Divergences from statsd_exporter
//!
//! statsd_exporter has none of these tools (it can dump its glob state machine as a
//! Graphviz graph, `--debug.dump-fsm`); the mapping semantics are those of
//! [`statsd_mapper`], whose crate docs list its divergences.
#![forbid(unsafe_code)]

mod args;
mod bench;
mod cases;
mod check;
mod corpus;
mod decision;
mod explain;
mod help;
mod lint;
mod load;
mod progress;

use std::io::{self, Write};
use std::process::ExitCode;

use args::{Command, Invocation};

fn main() -> ExitCode {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let status = match args::parse(std::env::args().skip(1)) {
        Ok(Invocation::Help(command)) => {
            let _ = out.write_all(help::text(command).as_bytes());
            0
        }
        Ok(Invocation::Version) => {
            let _ = writeln!(out, "statsd-mapper {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Ok(Invocation::Run(args)) => {
            let mut stdin = io::stdin().lock();
            let result = match args.command {
                Command::Check => check::run(&args, &mut out),
                Command::Explain => explain::run(&args, &mut stdin, &mut out, &mut err),
                Command::Bench => bench::run(&args, &mut stdin, &mut out, &mut err),
                Command::Test => cases::run(&args, &mut out, &mut err),
            };
            match result {
                Ok(status) => status,
                // A closed pipe (`| head`) is not worth a message.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    1
                }
            }
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            let hint = match e.command {
                Some(c) => format!("statsd-mapper help {}", c.name()),
                None => "statsd-mapper --help".to_string(),
            };
            let _ = writeln!(err, "(see `{hint}`)");
            2
        }
    };
    let _ = out.flush();
    ExitCode::from(status)
}
