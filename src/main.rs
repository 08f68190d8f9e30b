//! The `deckhand` binary: parse the command line, set up logging, run the
//! command, and map its outcome to the exit code (0 ok, 1 error, 2 changes
//! with `plan --detailed-exitcode`). Nothing else lives here.

use clap::Parser;
use deckhand::cli::{Cli, LogFormat};
use deckhand::commands::{self, Context, Outcome};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A usage error is bad input: exit 1 like every other error (clap's own
    // code, 2, means "changes" for `plan --detailed-exitcode`).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // A long-running controller reports what it does by default.
    let long_running = matches!(
        &cli.command,
        deckhand::cli::Command::Controller(args) if !args.once
    );
    // NO_COLOR: set to anything non-empty (https://no-color.org).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let log_colors = cli.color.enabled(std::io::stderr().is_terminal(), no_color);
    init_logging(
        cli.log_format,
        cli.verbose.max(u8::from(long_running)),
        log_colors,
    );
    if long_running {
        deckhand::controller::memory::limit_arenas();
    }
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
        color: cli.color.enabled(std::io::stdout().is_terminal(), no_color),
    };
    let verbose = cli.verbose > 0;
    match runtime.block_on(commands::run(cli.command, context)) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            if verbose {
                print_causes(&e);
            }
            ExitCode::from(1)
        }
    }
}

/// `-v`: the chain of causes under the one-line error.
fn print_causes(error: &dyn std::error::Error) {
    let mut current = error.source();
    let mut seen = error.to_string();
    while let Some(cause) = current {
        let text = cause.to_string();
        // Transparent wrappers repeat their inner message: say it once.
        if !seen.contains(&text) {
            eprintln!("  caused by: {text}");
            seen = text;
        }
        current = cause.source();
    }
}

fn init_logging(format: LogFormat, verbose: u8, ansi: bool) {
    // The SDK's own warnings (credential providers tried, IMDS) are raw
    // debug structures: deckhand reports the outcome in plain words, and
    // shows them from -vv on.
    let default = match verbose {
        0 => "warn,aws_config=off,aws_smithy_runtime=off,aws_runtime=off",
        1 => "info,deckhand=info,aws_config=off,aws_smithy_runtime=off,aws_runtime=off",
        2 => "info,deckhand=debug",
        _ => "debug,deckhand=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DECKHAND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.without_time().init(),
    }
}
