//! The command line as typed: clap types only. [`crate::commands`] turns them
//! into work; `main` maps the outcome to an exit code.

use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// deckhand: git is the interface to your ECS environments.
#[derive(Debug, Parser)]
#[command(name = "deckhand", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "DECKHAND_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    /// More logging (-v info and the cause of an error, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colors: on a terminal only (auto, and never when NO_COLOR is set), always, or never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for CI).
    Json,
}

/// When to use ANSI colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When the stream is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always (even into a pipe or a file).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Colors on a stream that `is_terminal` or not, given `NO_COLOR`.
    pub fn enabled(self, is_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check environment specs and the files they name; no AWS access.
    Validate {
        #[command(flatten)]
        repo: RepoArgs,
        /// Environments to check (default: all of environments/*.yaml).
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
    },
    /// Show what apply would change: the spec against live ECS (read-only).
    Plan {
        #[command(flatten)]
        repo: RepoArgs,
        /// The environment.
        #[arg(long = "env", value_name = "NAME")]
        env: String,
        /// Report format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit 2 when there are changes (0: none, 1: error).
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Carry out the plan: register, quiesce, migrate, update, wait, roll back on failure.
    Apply {
        #[command(flatten)]
        repo: RepoArgs,
        /// The environment.
        #[arg(long = "env", value_name = "NAME")]
        env: String,
        /// Do not ask for confirmation (required when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
        /// How often waits poll ECS.
        #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration, hide = true, env = "DECKHAND_POLL_INTERVAL")]
        poll_interval: std::time::Duration,
    },
    /// Reconcile continuously: poll (or be woken by a webhook for) the config repo.
    Controller {
        #[command(flatten)]
        repo: RepoArgs,
        /// Environments to reconcile (default: all of environments/*.yaml).
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
        /// Between two reconciles of an environment (±10% jitter).
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
        interval: std::time::Duration,
        /// Serve /healthz, /readyz, /metrics, /status and POST /hooks/git here.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// One cycle for every environment, then exit (non-zero if any failed).
        #[arg(long)]
        once: bool,
        /// Most environments reconciled at once.
        #[arg(long, default_value = "4")]
        concurrency: usize,
        /// On SIGTERM, how long to wait for running reconciles.
        #[arg(long, value_name = "DURATION", default_value = "100s", value_parser = humantime::parse_duration)]
        shutdown_grace: std::time::Duration,
        /// First retry delay after a failed apply (doubles, capped by --backoff-max).
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
        backoff_base: std::time::Duration,
        /// Longest retry delay.
        #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
        backoff_max: std::time::Duration,
        /// How often waits poll ECS.
        #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration, hide = true, env = "DECKHAND_POLL_INTERVAL")]
        poll_interval: std::time::Duration,
    },
    /// What runs in ECS now: commit, schema revision, task definitions, in sync or not, last result.
    Status {
        #[command(flatten)]
        repo: RepoArgs,
        /// The environment.
        #[arg(long = "env", value_name = "NAME")]
        env: String,
        /// Report format.
        #[arg(long, value_enum, default_value = "text")]
        format: StatusFormat,
    },
    /// Print the task definitions deckhand would register, as JSON (no AWS access).
    Render {
        #[command(flatten)]
        repo: RepoArgs,
        /// The environment.
        #[arg(long = "env", value_name = "NAME")]
        env: String,
    },
    /// Print the JSON Schema of environment files.
    Schema,
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// Where the config repo is.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// Config repo: a directory, a local git repository, or a git URL.
    #[arg(long, default_value = ".", env = "DECKHAND_REPO")]
    pub repo: String,
    /// Branch, tag or commit (git only).
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// Where git URLs are cloned (default: the user cache dir).
    #[arg(long, env = "DECKHAND_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}
