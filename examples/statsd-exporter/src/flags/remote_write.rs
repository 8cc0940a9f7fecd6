//! The `--remote-write.*` flags, checked into [`RemoteWriteFlags`].

use std::time::Duration;

use super::{FlagError, LIST_SEPARATOR, parse_duration};

/// What `--remote-write.*` asks for (present when `--remote-write.url` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWriteFlags {
    /// `--remote-write.url`
    pub url: String,
    /// `--remote-write.interval`
    pub interval: Duration,
    /// `--remote-write.batch-size`
    pub batch_size: usize,
    /// `--remote-write.queue-capacity`
    pub queue_capacity: usize,
    /// `--remote-write.timeout`
    pub timeout: Duration,
    /// `--remote-write.max-retries`
    pub max_retries: u32,
    /// `--remote-write.basic-auth.username` and `.password-file`, both or neither.
    pub basic_auth: Option<(String, String)>,
    /// `--remote-write.label` values as (name, value), in command-line order.
    pub labels: Vec<(String, String)>,
}

/// Reads the remote-write flags through `get` (flag name → (static name, value or default)).
pub(super) fn build(
    get: &dyn Fn(&str) -> (&'static str, String),
) -> Result<Option<RemoteWriteFlags>, FlagError> {
    let bad = |name: &str, value: &str, expected: &str| {
        FlagError(format!(
            "invalid value {value:?} for flag '--{name}': expected {expected}"
        ))
    };
    let duration = |name: &str| {
        let (name, value) = get(name);
        parse_duration(&value)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| bad(name, &value, "a duration above zero such as 15s"))
    };
    let positive = |name: &str| {
        let (name, value) = get(name);
        value
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| bad(name, &value, "a positive integer"))
    };
    let interval = duration("remote-write.interval")?;
    let timeout = duration("remote-write.timeout")?;
    let batch_size = positive("remote-write.batch-size")?;
    let queue_capacity = positive("remote-write.queue-capacity")?;
    let (retries_flag, retries) = get("remote-write.max-retries");
    let max_retries = retries
        .parse::<u32>()
        .map_err(|_| bad(retries_flag, &retries, "a non-negative integer"))?;
    let (_, username) = get("remote-write.basic-auth.username");
    let (_, password_file) = get("remote-write.basic-auth.password-file");
    let basic_auth = match (username.is_empty(), password_file.is_empty()) {
        (true, true) => None,
        (false, false) => Some((username, password_file)),
        _ => {
            return Err(FlagError(
                "flags '--remote-write.basic-auth.username' and '--remote-write.basic-auth.password-file' go together".into(),
            ));
        }
    };
    let (label_flag, joined) = get("remote-write.label");
    let mut labels = Vec::new();
    for pair in joined.split(LIST_SEPARATOR).filter(|p| !p.is_empty()) {
        let Some((name, value)) = pair.split_once('=').filter(|(n, _)| is_label_name(n)) else {
            return Err(bad(
                label_flag,
                pair,
                "name=value with a label name [a-zA-Z_][a-zA-Z0-9_]* not starting with __",
            ));
        };
        if labels.iter().any(|(n, _)| n == name) {
            return Err(bad(label_flag, pair, "each label name once"));
        }
        labels.push((name.to_string(), value.to_string()));
    }
    let (_, url) = get("remote-write.url");
    if url.is_empty() {
        return Ok(None);
    }
    Ok(Some(RemoteWriteFlags {
        url,
        interval,
        batch_size,
        queue_capacity,
        timeout,
        max_retries,
        basic_auth,
        labels,
    }))
}

fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && !name.starts_with("__")
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::super::{Command, Flags, parse};
    use super::*;

    fn run(args: &[&str]) -> Result<Flags, FlagError> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(flags) => Ok(*flags),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn off_without_url_and_defaults_with_it() {
        assert_eq!(run(&[]).unwrap().remote_write, None);
        let f = run(&["--remote-write.url=http://mimir:9009/api/v1/push"]).unwrap();
        assert_eq!(
            f.remote_write,
            Some(RemoteWriteFlags {
                url: "http://mimir:9009/api/v1/push".into(),
                interval: Duration::from_secs(15),
                batch_size: 500,
                queue_capacity: 100,
                timeout: Duration::from_secs(10),
                max_retries: 10,
                basic_auth: None,
                labels: vec![],
            })
        );
    }

    #[test]
    fn every_flag_and_repeated_labels() {
        let f = run(&[
            "--remote-write.url",
            "http://127.0.0.1:9090/api/v1/write",
            "--remote-write.interval=1s",
            "--remote-write.batch-size=50",
            "--remote-write.queue-capacity",
            "7",
            "--remote-write.timeout=250ms",
            "--remote-write.max-retries=0",
            "--remote-write.basic-auth.username=tenant",
            "--remote-write.basic-auth.password-file=/run/secrets/rw",
            "--remote-write.label=instance=web-1",
            "--remote-write.label",
            "cluster=eu=west",
            "--remote-write.label=empty=",
        ])
        .unwrap()
        .remote_write
        .unwrap();
        assert_eq!(f.interval, Duration::from_secs(1));
        assert_eq!((f.batch_size, f.queue_capacity), (50, 7));
        assert_eq!(f.timeout, Duration::from_millis(250));
        assert_eq!(f.max_retries, 0);
        assert_eq!(
            f.basic_auth,
            Some(("tenant".into(), "/run/secrets/rw".into()))
        );
        assert_eq!(
            f.labels,
            [
                ("instance".into(), "web-1".into()),
                ("cluster".into(), "eu=west".into()),
                ("empty".into(), String::new()),
            ]
        );
    }

    #[test]
    fn bad_values_are_named() {
        let url = "--remote-write.url=http://x/";
        for (arg, want) in [
            (
                "--remote-write.interval=0",
                "invalid value \"0\" for flag '--remote-write.interval': expected a duration above zero such as 15s",
            ),
            (
                "--remote-write.batch-size=0",
                "invalid value \"0\" for flag '--remote-write.batch-size': expected a positive integer",
            ),
            (
                "--remote-write.label=instance",
                "invalid value \"instance\" for flag '--remote-write.label': expected name=value with a label name [a-zA-Z_][a-zA-Z0-9_]* not starting with __",
            ),
            (
                "--remote-write.label=__name__=x",
                "invalid value \"__name__=x\" for flag '--remote-write.label': expected name=value with a label name [a-zA-Z_][a-zA-Z0-9_]* not starting with __",
            ),
            (
                "--remote-write.basic-auth.username=u",
                "flags '--remote-write.basic-auth.username' and '--remote-write.basic-auth.password-file' go together",
            ),
        ] {
            assert_eq!(run(&[url, arg]).unwrap_err().to_string(), want, "{arg}");
        }
        assert_eq!(
            run(&[url, "--remote-write.label=a=1", "--remote-write.label=a=2"])
                .unwrap_err()
                .to_string(),
            "invalid value \"a=2\" for flag '--remote-write.label': expected each label name once"
        );
        assert!(
            super::super::help().contains("--remote-write.label=<value> ...\n"),
            "{}",
            super::super::help()
        );
    }
}
