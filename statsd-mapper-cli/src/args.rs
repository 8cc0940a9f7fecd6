//! Command-line parsing, by hand: four commands, a few options, no dependency.

use std::fmt;
use std::time::Duration;

use statsd_proto::MetricType;

/// Output style of every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for people (the default).
    Human,
    /// One JSON document on stdout.
    Json,
}

/// The command to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Check,
    Explain,
    Bench,
    Test,
}

impl Command {
    fn from_name(name: &str) -> Option<Command> {
        match name {
            "check" => Some(Command::Check),
            "explain" => Some(Command::Explain),
            "bench" => Some(Command::Bench),
            "test" => Some(Command::Test),
            _ => None,
        }
    }

    /// The command's name as typed.
    pub fn name(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Explain => "explain",
            Command::Bench => "bench",
            Command::Test => "test",
        }
    }

    /// Options (besides `--format` and `--help`) the command accepts.
    fn accepts(self, option: &str) -> bool {
        match self {
            Command::Check => matches!(option, "--deny-warnings"),
            Command::Explain => matches!(option, "--type"),
            Command::Bench => matches!(
                option,
                "--cache-size" | "--top" | "--lines" | "--min-time" | "--no-progress" | "--seed"
            ),
            Command::Test => false,
        }
    }

    /// (minimum, maximum) positional arguments after the command name.
    fn positionals(self) -> (usize, usize) {
        match self {
            Command::Check => (1, 1),
            Command::Explain => (2, usize::MAX),
            Command::Bench => (1, 2),
            Command::Test => (2, 2),
        }
    }
}

/// What the user asked for.
#[derive(Debug)]
pub enum Invocation {
    /// `--help`, `help` or `help COMMAND`.
    Help(Option<Command>),
    /// `--version`.
    Version,
    /// A command with its arguments.
    Run(Args),
}

/// A command and every option, validated.
#[derive(Debug)]
pub struct Args {
    pub command: Command,
    pub format: Format,
    /// Positional arguments after the command name (CONFIG first).
    pub positionals: Vec<String>,
    /// `explain --type`: the type of bare names.
    pub metric_type: MetricType,
    /// `--cache-size`: mapping cache capacity (statsd_exporter's default 1000).
    pub cache_size: usize,
    /// `bench --top`: how many unmatched names and rules to list.
    pub top: usize,
    /// `bench --lines`: size of a generated corpus.
    pub lines: usize,
    /// `bench --min-time`: repeat each timed pass until this much time has passed.
    pub min_time: Duration,
    /// `bench --seed`: seed of the generated corpus.
    pub seed: u64,
    /// `bench --no-progress`.
    pub progress: bool,
    /// `check --deny-warnings`.
    pub deny_warnings: bool,
}

/// A usage mistake: printed with a pointer to the help, exit status 2.
#[derive(Debug)]
pub struct UsageError {
    pub message: String,
    pub command: Option<Command>,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn usage(message: impl Into<String>, command: Option<Command>) -> UsageError {
    UsageError {
        message: message.into(),
        command,
    }
}

/// Parses a metric type as written on a StatsD line or in a config.
pub fn parse_metric_type(text: &str) -> Option<MetricType> {
    match text {
        "counter" => Some(MetricType::Counter),
        "gauge" => Some(MetricType::Gauge),
        "observer" | "timer" => Some(MetricType::Timer),
        "histogram" => Some(MetricType::Histogram),
        "distribution" => Some(MetricType::Distribution),
        other => MetricType::from_bytes(other.as_bytes()),
    }
}

/// Parses the arguments after the program name.
///
/// # Errors
///
/// Unknown commands and options, missing values, wrong number of positionals.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, UsageError> {
    let mut command = None;
    let mut help = false;
    let mut format = Format::Human;
    let mut positionals = Vec::new();
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    let mut only_positionals = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if only_positionals || !arg.starts_with('-') || arg == "-" {
            if command.is_none() && !help {
                if arg == "help" {
                    help = true;
                    continue;
                }
                command = Some(
                    Command::from_name(&arg)
                        .ok_or_else(|| usage(format!("unknown command {arg:?}"), None))?,
                );
            } else if command.is_none() {
                // `help COMMAND`
                command = Some(
                    Command::from_name(&arg)
                        .ok_or_else(|| usage(format!("unknown command {arg:?}"), None))?,
                );
            } else {
                positionals.push(arg);
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        match name.as_str() {
            "--" => only_positionals = true,
            "-h" | "--help" => help = true,
            "-V" | "--version" => return Ok(Invocation::Version),
            "--format" => {
                let value = value_of(&name, inline, &mut args, command)?;
                format = match value.as_str() {
                    "human" => Format::Human,
                    "json" => Format::Json,
                    other => {
                        return Err(usage(
                            format!("--format must be human or json, not {other:?}"),
                            command,
                        ));
                    }
                };
            }
            "--deny-warnings" | "--no-progress" => {
                if inline.is_some() {
                    return Err(usage(format!("{name} takes no value"), command));
                }
                options.push((name, None));
            }
            "--type" | "--cache-size" | "--top" | "--lines" | "--min-time" | "--seed" => {
                let value = value_of(&name, inline, &mut args, command)?;
                options.push((name, Some(value)));
            }
            _ => return Err(usage(format!("unknown option {name:?}"), command)),
        }
    }
    if help {
        return Ok(Invocation::Help(command));
    }
    let Some(command) = command else {
        return Err(usage("no command given", None));
    };
    let mut parsed = Args {
        command,
        format,
        positionals,
        metric_type: MetricType::Counter,
        cache_size: 1000,
        top: 10,
        lines: 100_000,
        min_time: Duration::from_millis(300),
        seed: 1,
        progress: true,
        deny_warnings: false,
    };
    for (name, value) in options {
        if !command.accepts(&name) {
            return Err(usage(
                format!("{} does not take {name}", command.name()),
                Some(command),
            ));
        }
        let value = value.unwrap_or_default();
        let number = |what: &str| -> Result<u64, UsageError> {
            value
                .parse::<u64>()
                .map_err(|_| usage(format!("{name} needs {what}, not {value:?}"), Some(command)))
        };
        match name.as_str() {
            "--deny-warnings" => parsed.deny_warnings = true,
            "--no-progress" => parsed.progress = false,
            "--type" => {
                parsed.metric_type = parse_metric_type(&value).ok_or_else(|| {
                    usage(
                        format!("--type must be counter, gauge, observer or a StatsD type (c, g, ms, h, d), not {value:?}"),
                        Some(command),
                    )
                })?;
            }
            "--cache-size" => parsed.cache_size = number("a number of entries")? as usize,
            "--top" => parsed.top = number("a count")? as usize,
            "--lines" => parsed.lines = (number("a line count")? as usize).max(1),
            "--min-time" => parsed.min_time = Duration::from_millis(number("milliseconds")?),
            "--seed" => parsed.seed = number("a number")?,
            _ => unreachable!("every accepted option is handled"),
        }
    }
    let (min, max) = command.positionals();
    let count = parsed.positionals.len();
    if count < min || count > max {
        let expected = match command {
            Command::Check => "CONFIG",
            Command::Explain => "CONFIG LINE...",
            Command::Bench => "CONFIG [CORPUS]",
            Command::Test => "CONFIG CASES",
        };
        return Err(usage(
            format!("{} expects {expected}", command.name()),
            Some(command),
        ));
    }
    Ok(Invocation::Run(parsed))
}

fn value_of(
    name: &str,
    inline: Option<String>,
    args: &mut impl Iterator<Item = String>,
    command: Option<Command>,
) -> Result<String, UsageError> {
    match inline {
        Some(value) => Ok(value),
        None => args
            .next()
            .ok_or_else(|| usage(format!("{name} needs a value"), command)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Invocation, UsageError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn options_anywhere_and_inline_values() {
        let Ok(Invocation::Run(args)) =
            run(&["bench", "conf.yml", "--format=json", "--top", "3", "-"])
        else {
            panic!("bench should parse");
        };
        assert_eq!(args.command, Command::Bench);
        assert_eq!(args.format, Format::Json);
        assert_eq!(args.top, 3);
        assert_eq!(args.positionals, ["conf.yml", "-"]);
    }

    #[test]
    fn mistakes_are_usage_errors() {
        assert!(run(&[]).is_err());
        assert!(run(&["frobnicate"]).is_err());
        assert!(run(&["check"]).is_err());
        assert!(run(&["check", "a", "b"]).is_err());
        assert!(run(&["check", "a", "--top", "3"]).is_err());
        assert!(run(&["explain", "a", "x", "--type", "set-ish"]).is_err());
        assert!(run(&["bench", "a", "--lines"]).is_err());
        assert!(run(&["test", "a", "b", "--format", "xml"]).is_err());
    }

    #[test]
    fn help_forms() {
        assert!(matches!(run(&["--help"]), Ok(Invocation::Help(None))));
        assert!(matches!(
            run(&["help", "bench"]),
            Ok(Invocation::Help(Some(Command::Bench)))
        ));
        assert!(matches!(
            run(&["explain", "-h"]),
            Ok(Invocation::Help(Some(Command::Explain)))
        ));
    }

    #[test]
    fn types_by_word_or_wire_letter() {
        assert_eq!(parse_metric_type("ms"), Some(MetricType::Timer));
        assert_eq!(parse_metric_type("gauge"), Some(MetricType::Gauge));
        assert_eq!(parse_metric_type("x"), None);
    }
}
