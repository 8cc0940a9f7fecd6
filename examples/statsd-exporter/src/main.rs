#![doc = include_str!("../README.md")]

mod app;
mod backend;
mod exposition;
mod flags;
mod http;
mod listener;
mod log;
mod pipeline;
mod process;
mod relay;
mod remote_write;
mod signals;

use std::process::ExitCode;
use std::sync::Arc;

use app::App;
use flags::{Command, Flags};
use listener::{Ingest, ListenerStats};

fn main() -> ExitCode {
    let flags = match flags::parse(std::env::args().skip(1)) {
        Ok(Command::Run(flags)) => flags,
        Ok(Command::Help) => {
            print!("{}", flags::help());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{}", version());
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("statsd-exporter: error: {error}, try --help");
            return ExitCode::FAILURE;
        }
    };
    log::init(flags.log_level, flags.log_format);
    match run(&flags) {
        Ok(code) => code,
        Err(error) => {
            log::error(&error, &[]);
            ExitCode::FAILURE
        }
    }
}

fn version() -> String {
    format!(
        "statsd-exporter, version {} (compatible with statsd_exporter 0.30)",
        env!("CARGO_PKG_VERSION")
    )
}

fn run(flags: &Flags) -> Result<ExitCode, String> {
    // Before any thread exists, so that every thread inherits the mask.
    signals::block()?;
    // Scrape buffers go back to the OS when freed (see tools/malloc-tuning).
    let malloc_tuned = malloc_tuning::return_large_blocks_to_the_os();
    log::info(
        "Starting StatsD -> Prometheus Exporter",
        &[("version", &env!("CARGO_PKG_VERSION"))],
    );
    log::debug(
        "glibc mmap threshold",
        &[(
            "fixed",
            &if malloc_tuned {
                "128 KiB"
            } else {
                "not set here (not glibc, or set by the environment)"
            },
        )],
    );
    for name in &flags.ignored {
        log::info(
            "Flag accepted for compatibility but unused in this design",
            &[("flag", &format!("--{name}"))],
        );
    }

    let pipeline = match pipeline::PrometheusBackend::from_flags(flags) {
        Ok(pipeline) => pipeline,
        Err(error) => {
            if flags.check_config || flags.mapping_explain.is_some() {
                eprint!("{error}");
                return Ok(ExitCode::FAILURE);
            }
            return Err(error);
        }
    };
    if let Some(line) = &flags.mapping_explain {
        return Ok(match pipeline.explain(line) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprint!("{error}");
                ExitCode::FAILURE
            }
        });
    }
    if flags.check_config {
        log::info("Configuration check successful, exiting", &[]);
        return Ok(ExitCode::SUCCESS);
    }
    pipeline.spawn_expiry();
    // Lives as long as `run`, which never returns once serving.
    let _remote_write = match &flags.remote_write {
        Some(settings) => Some(remote_write::start(pipeline.sink(), settings)?),
        None => None,
    };
    let stats = Arc::new(ListenerStats::new(pipeline.stats()));
    let backend: Arc<dyn backend::Backend> = Arc::new(pipeline);

    if flags.listen_udp.is_empty()
        && flags.listen_tcp.is_empty()
        && flags.listen_unixgram.is_empty()
    {
        return Err("At least one of UDP/TCP/Unixgram listeners must be specified.".into());
    }
    let relay = match &flags.relay_address {
        Some(target) => Some(relay::Relay::start(target, flags.relay_packet_length)?),
        None => None,
    };
    let ingest = Arc::new(Ingest::new(
        Arc::clone(&backend),
        relay.clone(),
        Arc::clone(&stats),
    ));

    // Bind everything first, so that a bad address fails before any traffic is accepted.
    let mut udp_port = None;
    let udp = if flags.listen_udp.is_empty() {
        None
    } else {
        let threads = match flags.udp_listener_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let (sockets, bound) = listener::udp::bind_sockets(
            listener::resolve(&flags.listen_udp)?,
            threads,
            flags.read_buffer,
        )?;
        log::info(
            "Accepting StatsD Traffic",
            &[("udp", &bound), ("threads", &threads)],
        );
        udp_port = Some(bound.port());
        Some(sockets)
    };
    let tcp = if flags.listen_tcp.is_empty() {
        None
    } else {
        let listener = listener::tcp::bind(listener::resolve(&flags.listen_tcp)?)?;
        log::info(
            "Accepting StatsD Traffic",
            &[("tcp", &listener.local_addr().map_err(|e| e.to_string())?)],
        );
        Some(listener)
    };
    let unixgram = if flags.listen_unixgram.is_empty() {
        None
    } else {
        let socket = listener::unixgram::bind(
            &flags.listen_unixgram,
            flags.unixsocket_mode,
            flags.read_buffer,
        )?;
        log::info(
            "Accepting StatsD Traffic",
            &[("unixgram", &flags.listen_unixgram)],
        );
        Some(socket)
    };
    let web = http::bind(listener::resolve(&flags.web_listen_address)?)?;
    log::info(
        "Listening on",
        &[("address", &web.local_addr().map_err(|e| e.to_string())?)],
    );

    let mut app = App::new(backend, stats, relay);
    app.mapping_config = flags.mapping_config.clone();
    app.udp_port = udp_port;
    app.unixgram_path = flags.listen_unixgram.clone();
    app.openmetrics = flags.enable_openmetrics;
    let app = Arc::new(app);
    let (reload_app, stop_app) = (Arc::clone(&app), Arc::clone(&app));
    signals::spawn(
        move || reload_app.reload_config(),
        move |signal| stop_app.exit(&format!("received {signal}")),
    );
    if let Some(sockets) = udp {
        listener::udp::spawn(sockets, Arc::clone(&ingest));
    }
    if let Some(tcp) = tcp {
        let limits = listener::tcp::Limits {
            max_line_length: flags.tcp_max_line_length,
            idle_timeout: flags.tcp_idle_timeout,
            long_line_memory: listener::tcp::LONG_LINE_MEMORY,
        };
        listener::tcp::spawn(tcp, Arc::clone(&ingest), limits);
    }
    if let Some(socket) = unixgram {
        listener::unixgram::spawn(socket, Arc::clone(&ingest));
    }
    let settings = http::Web {
        telemetry_path: flags.telemetry_path.clone(),
        lifecycle: flags.enable_lifecycle,
        max_connections: flags.web_max_connections,
    };
    http::spawn(web, settings, app);
    // Every thread runs forever; the process ends through App::exit.
    loop {
        std::thread::park();
    }
}
