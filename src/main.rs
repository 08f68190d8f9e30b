//! The `deckhand` binary: parse the command line, set up logging, run the
//! command, and map its outcome to the exit code (0 ok, 1 error, 2 changes
//! with `plan --detailed-exitcode`). Nothing else lives here.

use clap::Parser;
use deckhand::cli::{Cli, LogFormat};
use deckhand::commands::{self, Context, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A long-running controller reports what it does by default.
    let long_running = matches!(
        cli.command,
        deckhand::cli::Command::Controller { once: false, .. }
    );
    init_logging(cli.log_format, cli.verbose.max(u8::from(long_running)));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // git and spec loading run on the blocking pool; a few threads are plenty.
        .max_blocking_threads(8)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let context = Context {
        json_logs: cli.log_format == LogFormat::Json,
    };
    match runtime.block_on(commands::run(cli.command, context)) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,deckhand=info",
        2 => "info,deckhand=debug",
        _ => "debug,deckhand=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DECKHAND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.without_time().init(),
    }
}
