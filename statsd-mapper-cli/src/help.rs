//! Help text, with examples.

use crate::args::Command;

const OVERVIEW: &str = "\
statsd-mapper: check, explain, benchmark and test statsd_exporter mapping configs

Usage:
  statsd-mapper check CONFIG [--deny-warnings]
  statsd-mapper explain CONFIG LINE... [--type TYPE]
  statsd-mapper bench CONFIG [CORPUS | -] [options]
  statsd-mapper test CONFIG CASES
  statsd-mapper help [COMMAND]

Options for every command:
  --format human|json   text for people (default) or one JSON document on stdout
  -h, --help            this help; `statsd-mapper help COMMAND` for a command's
  -V, --version         the version

Examples:
  statsd-mapper check mapping.yml
  statsd-mapper explain mapping.yml 'Mastodon.production.web.HomeController.index.html.status.200:1|c'
  statsd-mapper bench mapping.yml traffic.txt
  statsd-mapper test mapping.yml mapping-cases.yml

Exit status: 0 success, 1 failure (errors, unparsable lines, failed cases), 2 usage errors.
";

const CHECK: &str = "\
statsd-mapper check CONFIG [--deny-warnings] [--format json]

Loads CONFIG and prints every problem as file:line:column: severity: message, with
the source line and a caret under the offending text.

Errors (the config does not load): invalid YAML, unknown or duplicate keys, invalid glob
or regex, invalid metric or label name, unknown match_type, observer_type,
match_metric_type or action, bad duration, conflicting options. Every broken rule is
reported; an error in defaults: or in the YAML structure ends the list.
Warnings (the config loads): keys removed in statsd_exporter 0.30 (timer_type, buckets,
quantiles, match_metric_type: timer), and rules that can never match because an
earlier rule matches every name they match, for every type their match_metric_type
allows, and observer options (observer_type, summary_options, histogram_options, ...)
on rules whose match_metric_type is counter or gauge, where they never apply.

Options:
  --deny-warnings   exit 1 on warnings too

Examples:
  statsd-mapper check mapping.yml
  statsd-mapper check mapping.yml --deny-warnings --format json
";

const EXPLAIN: &str = "\
statsd-mapper explain CONFIG LINE... [--type TYPE] [--format json]

For each LINE, what the exporter does with it: the outcome (mapped, dropped, unmapped,
rejected), the winning rule (file:line:column), the Prometheus name, labels and type
(counter, gauge, or summary/histogram per the rule's observer type; summary unless
configured), and for each rule tried before the winner why it did not match. Glob rules
are tried before regex rules, whatever their order in the file (as statsd_exporter does).

A LINE is a StatsD line (name:value|type, tags allowed: the labels then include them)
or a bare name: `name` (typed by --type) or `name|type`. `-` reads lines from stdin.

Options:
  --type TYPE   type of bare names: counter (default), gauge, observer, or c, g, ms, h, d

Examples:
  statsd-mapper explain mapping.yml 'Mastodon.production.sidekiq.MyWorker.processing_time:12|ms'
  statsd-mapper explain mapping.yml --type gauge Mastodon.production.sidekiq.queues.default.enqueued
  grep sidekiq traffic.txt | statsd-mapper explain mapping.yml - --format json
";

const BENCH: &str = "\
statsd-mapper bench CONFIG [CORPUS | -] [options]

Maps every line of CORPUS (a file of StatsD lines; `-` reads stdin) through CONFIG and
prints: parse and map cost separately (ns per line, lines per second; map includes
expanding the name and label values), the cache hit rate, the share of traffic per
rule, and the unmatched names ranked by frequency. Each timed pass repeats over the
whole corpus until --min-time has passed. A progress bar is drawn on stderr while
reading a large corpus when stderr is a terminal.

Without CORPUS a corpus is generated from the config's own rules: up to eight names per
rule (each glob `*` becomes v0..v7; regexes are walked: literal text kept, `.`, classes,
\\w and \\d replaced by text they accept, first alternative, one repetition), each kept
only if mapping it really selects that rule; every line picks one at random (fixed
seed), one line in twenty is an unmatched name. Rules left without a sample are listed.

Options:
  --cache-size N   mapping cache entries (default 1000, like statsd_exporter; 0: none)
  --top N          rules and unmatched names to list (default 10)
  --lines N        size of a generated corpus (default 100000)
  --seed N         seed of a generated corpus (default 1)
  --min-time MS    minimum time of each timed pass (default 300)
  --no-progress    never draw the progress bar

Examples:
  statsd-mapper bench mapping.yml
  statsd-mapper bench mapping.yml traffic.txt --top 20
  tcpdump -A -l udp port 9125 | grep -a '|' | head -100000 | statsd-mapper bench mapping.yml -
";

const TEST: &str = "\
statsd-mapper test CONFIG CASES [--format json]

Runs the cases in CASES (YAML) against CONFIG; prints a diff for every failing case and
exits 1 when any fails (2 when CASES is invalid). Put it in your CI next to the config.

Each case has a `line` (a StatsD line, or a bare name with its type: `name|g`) and what
is expected: any of `name`, `type` (counter, gauge, summary, histogram) and `labels` (the
complete set, tags of the line included), or `dropped: true`, or `unmapped: true`. Only
the keys given are compared; a case must expect something.

  - line: \"Mastodon.production.web.HomeController.index.html.status.200:1|c\"
    name: mastodon_controller_status
    type: counter
    labels: { controller: HomeController, action: index, format: html, status: \"200\" }
  - line: \"Mastodon.production.cache.read_hit:1|c\"
    dropped: true
  - line: \"some.other.name|g\"
    unmapped: true
    name: some_other_name

Example:
  statsd-mapper test mapping.yml mapping-cases.yml
";

/// The help of a command, or the overview.
pub fn text(command: Option<Command>) -> &'static str {
    match command {
        None => OVERVIEW,
        Some(Command::Check) => CHECK,
        Some(Command::Explain) => EXPLAIN,
        Some(Command::Bench) => BENCH,
        Some(Command::Test) => TEST,
    }
}
