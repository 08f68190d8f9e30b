//! `deckhand controller`: reconcile continuously.

use super::{CommandError, Context, Outcome};
use crate::cli::{LeaseArgs, PollArgs, RepoArgs, TrustArgs};
use crate::controller::{self, ControllerConfig, reconcile::Settings};
use clap::Args;

// `controller`'s arguments (its help is on `cli::Command::Controller`).
#[derive(Debug, Args)]
pub struct ControllerArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Environments to reconcile (default: all of environments/*.yaml).
    #[arg(
        long = "env",
        value_name = "NAME",
        env = "DECKHAND_ENVS",
        value_delimiter = ','
    )]
    pub envs: Vec<String>,
    /// Between two reconciles of an environment (±10% jitter).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration, env = "DECKHAND_INTERVAL")]
    pub interval: std::time::Duration,
    /// Serve the web UI (/), /healthz, /readyz, /metrics, /status and POST /hooks/git here.
    #[arg(long, value_name = "ADDR", env = "DECKHAND_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// One cycle for every environment, then exit (non-zero if any failed).
    #[arg(long)]
    pub once: bool,
    /// Most environments reconciled at once.
    #[arg(long, default_value = "4", env = "DECKHAND_CONCURRENCY")]
    pub concurrency: usize,
    /// On SIGTERM, how long to wait for running reconciles.
    #[arg(long, value_name = "DURATION", default_value = "100s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: std::time::Duration,
    /// First retry delay after a failed apply (doubles, capped by --backoff-max).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub backoff_base: std::time::Duration,
    /// Longest retry delay.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    pub backoff_max: std::time::Duration,
    #[command(flatten)]
    pub poll: PollArgs,
    #[command(flatten)]
    pub lease: LeaseArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Run the controller until it is stopped (or one cycle with `--once`).
pub async fn exec(mut args: ControllerArgs, _context: Context) -> Result<Outcome, CommandError> {
    args.repo.trust = args.trust.load()?;
    let (locks, lease_ttl) = args.lease.locks().await?;
    controller::run(ControllerConfig {
        location: args.repo.location(),
        environments: args.envs,
        settings: Settings {
            interval: args.interval,
            poll_interval: args.poll.poll_interval,
            backoff_base: args.backoff_base,
            backoff_max: args.backoff_max,
            locks,
            lease_ttl,
        },
        listen: args.listen,
        once: args.once,
        concurrency: args.concurrency,
        shutdown_grace: args.shutdown_grace,
    })
    .await?;
    Ok(Outcome::Done)
}
