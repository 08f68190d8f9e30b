//! The command line as typed: clap types only. The subcommands and their
//! help; each command's own arguments are in its file under
//! [`crate::commands`], which turns them into work; the groups several
//! commands share are here. `main` maps the outcome to an exit code.

use crate::commands;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// deckhand: git is the interface to your ECS environments.
#[derive(Debug, Parser)]
#[command(
    name = "deckhand",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("DECKHAND_COMMIT"), ")"),
    about,
    long_about = None,
    after_help = "Examples:\n  deckhand init --cluster shop-staging --env staging --repo ./config\n  deckhand plan --repo ./config --env staging\n  deckhand apply --repo git@github.com:acme/deploy-config.git --env staging --yes\n\nAWS access is the standard chain (AWS_PROFILE with SSO or credential_process, keys, web identity, the ECS task role)."
)]
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
    #[command(
        after_help = "Examples:\n  deckhand validate\n  deckhand validate --repo ./config --env staging --env production"
    )]
    Validate(commands::validate::ValidateArgs),
    /// Show what apply would change: the spec against live ECS (read-only).
    #[command(
        after_help = "Examples:\n  deckhand plan --env staging\n  deckhand plan --env staging --format markdown > plan.md\n  deckhand plan --env staging --detailed-exitcode   # 0 no changes, 2 changes, 1 error"
    )]
    Plan(commands::plan::PlanArgs),
    /// Carry out the plan: register, quiesce, migrate, update, wait, roll back on failure.
    #[command(
        after_help = "Examples:\n  deckhand apply --env staging          # shows the plan, asks for 'yes'\n  deckhand apply --env staging --yes    # in CI"
    )]
    Apply(commands::apply::ApplyArgs),
    /// Reconcile continuously: poll (or be woken by a webhook for) the config repo.
    #[command(
        after_help = "Environment (secrets, not flags):\n  DECKHAND_WEBHOOK_SECRET  the HMAC secret of POST /hooks/git (unset: every webhook is refused)\n  DECKHAND_UI_PASSWORD  turns on HTTP Basic auth (user deckhand) for the web UI and /status\n  DECKHAND_GIT_TOKEN  an HTTPS token for the config repo (see --git-ssh-key for SSH)\n\nExamples:\n  deckhand controller --repo https://github.com/acme/deploy-config.git --listen 0.0.0.0:8080\n  DECKHAND_REPO=... DECKHAND_ENVS=staging,production DECKHAND_LISTEN=0.0.0.0:8080 deckhand controller\n  deckhand controller --once   # one cycle, e.g. from a cron job"
    )]
    Controller(commands::controller::ControllerArgs),
    /// Create or inspect the DynamoDB table of --lock-table.
    #[command(
        after_help = "Examples:\n  deckhand lock-table create deckhand-locks\n  deckhand lock-table show deckhand-locks\n  deckhand controller --lock-table deckhand-locks ...   # every replica, and the CLI's apply, with the same table"
    )]
    LockTable(commands::lock_table::LockTableArgs),
    /// What runs in ECS now: commit, schema revision, task definitions, in sync or not, last result.
    #[command(
        after_help = "Examples:\n  deckhand status --env staging\n  deckhand status --env staging --format json | jq .inSync",
        mut_arg("format", |a| a.help("Report format"))
    )]
    Status(commands::status::StatusArgs),
    /// Print the task definitions deckhand would register, as JSON (no AWS access).
    #[command(
        after_help = "Examples:\n  deckhand render --env staging\n  deckhand render --env staging | jq '.web.containerDefinitions[0].image'"
    )]
    Render(commands::render::RenderArgs),
    /// Print the JSON Schema of environment files.
    #[command(
        after_help = "Examples:\n  deckhand schema > schemas/environment.schema.json\n  # then, first line of environments/*.yaml: # yaml-language-server: $schema=../schemas/environment.schema.json"
    )]
    Schema,
    /// Check that ECS could run the environment: images, roles, secrets, log groups (read-only).
    #[command(
        after_help = "Examples:\n  deckhand verify --env staging\n  deckhand verify --repo git@github.com:acme/deploy-config.git --ref release-42 --env production\n\nExit 0 when every check passes, 1 otherwise (one line per problem). apply runs the same checks first."
    )]
    Verify(commands::verify::VerifyArgs),
    /// Move a release that succeeded in one environment to another: one commit to the config repo.
    #[command(
        after_help = "Examples:\n  deckhand promote staging production --dry-run   # what would change\n  deckhand promote staging production --yes\n  deckhand promote staging production --release v12 --repo git@github.com:acme/deploy-config.git --yes\n\nThe commit changes only image and migration.revision in TO's file; the controller (or apply) releases it."
    )]
    Promote(commands::promote::PromoteArgs),
    /// Go back to an earlier release: its files as one commit; --now also applies it and holds the environment.
    #[command(
        after_help = "Examples:\n  deckhand rollback production --yes                 # to the last good release with another image\n  deckhand rollback production v11 --reason \"500s after v13\" --yes\n  deckhand rollback production --now --yes            # apply at once and hold\n\nThe schema revision recorded now is kept: a rollback never runs a migration."
    )]
    Rollback(commands::rollback::RollbackArgs),
    /// Lift the hold a `rollback --now` put on an environment.
    #[command(after_help = "Examples:\n  deckhand release-hold production")]
    ReleaseHold(commands::release_hold::ReleaseHoldArgs),
    /// Stop every release of environments for a while (drift repair and interrupted releases go on).
    #[command(
        after_help = "Examples:\n  deckhand freeze production --for 2h --reason \"incident 4711\"\n  deckhand freeze staging production --for 10d --reason \"holidays\""
    )]
    Freeze(commands::freeze::FreezeArgs),
    /// End a freeze.
    #[command(after_help = "Examples:\n  deckhand unfreeze production")]
    Unfreeze(commands::freeze::UnfreezeArgs),
    /// The environment's releases, newest first (recorded in ECS).
    #[command(
        after_help = "Examples:\n  deckhand history --env production\n  deckhand history --env production --limit 50 --format json"
    )]
    History(commands::history::HistoryArgs),
    /// Write a config repo from a cluster's live services (read-only in ECS).
    #[command(
        after_help = "Examples:\n  deckhand init --cluster shop-staging --env staging --repo ./config\n  deckhand init --cluster shop --env production --service web --service worker\n\nA plan right after init shows no changes. Existing files are kept unless --force."
    )]
    Init(commands::init::InitArgs),
    /// Print the least-privilege IAM policy (JSON) for applying these environments.
    #[command(
        after_help = "Examples:\n  deckhand iam-policy --env staging > deckhand-staging-policy.json\n  aws iam create-policy --policy-name deckhand-staging --policy-document file://deckhand-staging-policy.json"
    )]
    IamPolicy(commands::iam_policy::IamPolicyArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  deckhand completions bash > /etc/bash_completion.d/deckhand\n  deckhand completions zsh > \"${fpath[1]}/_deckhand\"\n  deckhand completions fish > ~/.config/fish/completions/deckhand.fish"
    )]
    Completions(commands::completions::CompletionsArgs),
}

/// Release leases: where they live and how long they last.
#[derive(Debug, Clone, Args)]
pub struct LeaseArgs {
    /// Keep release leases in this DynamoDB table: strict, shared by the CLI and every controller
    /// replica (controllers with the same table share the environments). Create it with
    /// `deckhand lock-table create`.
    #[arg(long, value_name = "TABLE", env = "DECKHAND_LOCK_TABLE", value_parser = parse_table_name)]
    pub lock_table: Option<String>,
    /// How long a lease lasts unrenewed; it is renewed every third of it (default: 30s with
    /// --lock-table, 120s without). A dead replica's environments move after about this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_lease_ttl, env = "DECKHAND_LEASE_TTL")]
    pub lease_ttl: Option<std::time::Duration>,
}

/// A DynamoDB table name: 3 to 255 of `A-Z a-z 0-9 _ . -`.
pub fn parse_table_name(name: &str) -> Result<String, String> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a DynamoDB table name: use 3 to 255 letters, digits, '_', '.' or '-', e.g. deckhand-locks"
        ))
    }
}

/// A lease TTL: a duration from 6s to 1h.
fn parse_lease_ttl(text: &str) -> Result<std::time::Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| format!("{e}: write e.g. 30s or 2m"))?;
    if !(6..=3600).contains(&ttl.as_secs()) {
        return Err(format!(
            "{text} is out of range: a lease TTL is 6s to 1h (it is renewed every third of it)"
        ));
    }
    Ok(ttl)
}

/// Shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// A report of one environment, as text or JSON.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: StatusFormat,
}

/// One environment.
#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
}

/// Where the config repo is.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// Config repo: a directory, a local git repository, or a git URL.
    #[arg(long, default_value = ".", env = "DECKHAND_REPO")]
    pub repo: String,
    /// Branch, tag or commit (git only).
    #[arg(long = "ref", value_name = "REF", env = "DECKHAND_REF")]
    pub git_ref: Option<String>,
    /// Where git URLs are cloned (default: the user cache dir).
    #[arg(long, env = "DECKHAND_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// SSH private key (a deploy key) for ssh:// and git@ URLs; its passphrase in DECKHAND_GIT_SSH_KEY_PASSPHRASE.
    /// HTTPS URLs use an access token from DECKHAND_GIT_TOKEN.
    #[arg(long, value_name = "FILE", env = "DECKHAND_GIT_SSH_KEY")]
    pub git_ssh_key: Option<PathBuf>,
    /// known_hosts file the SSH server's host key must be in (default: libgit2's check of ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE", env = "DECKHAND_GIT_KNOWN_HOSTS")]
    pub git_known_hosts: Option<PathBuf>,
    /// The keys commits must be signed by (set from `--trust` by the commands that take it).
    #[arg(skip)]
    pub trust: Option<std::sync::Arc<crate::source::trust::Trust>>,
}

/// `--trust`: only signed commits are applied.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Apply only commits signed by a key of this file: an SSH allowed-signers file (the format of
    /// git's gpg.ssh.allowedSignersFile), armored OpenPGP public keys, or both; unsigned commits,
    /// unknown keys and bad signatures are refused.
    #[arg(long, value_name = "FILE", env = "DECKHAND_TRUST_FILE")]
    pub trust: Option<PathBuf>,
}

/// How often the waits of a release poll ECS (hidden: the tests make it short).
#[derive(Debug, Clone, Args)]
pub struct PollArgs {
    /// How often waits poll ECS.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration, hide = true, env = "DECKHAND_POLL_INTERVAL")]
    pub poll_interval: std::time::Duration,
}

/// Who writes the commits of `promote` and `rollback`, and the key that signs them.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Author of the commit, `Name <email>` (default: the repository's git config, else deckhand).
    #[arg(long, value_name = "NAME <EMAIL>", env = "DECKHAND_GIT_AUTHOR")]
    pub git_author: Option<String>,
    /// Sign the commit with this SSH private key (unencrypted OpenSSH format), as
    /// `git commit -S` with gpg.format ssh does, so that a controller under --trust applies it.
    #[arg(long, value_name = "FILE", env = "DECKHAND_SIGNING_KEY")]
    pub sign_with: Option<PathBuf>,
}

impl CommitArgs {
    /// The author, checked, and the signing key, read: before anything else
    /// is done, so a typo costs nothing.
    pub fn identity(&self) -> Result<CommitIdentity, crate::commands::CommandError> {
        if let Some(author) = &self.git_author {
            crate::source::write::parse_author(author)?;
        }
        let signer = self
            .sign_with
            .as_deref()
            .map(crate::source::sign::CommitSigner::load)
            .transpose()?
            .map(std::sync::Arc::new);
        Ok(CommitIdentity {
            author: self.git_author.clone(),
            signer,
        })
    }
}

/// The author and signer of deckhand's commits, checked.
#[derive(Debug, Clone, Default)]
pub struct CommitIdentity {
    /// `Name <email>`, or None for the repository's git config.
    pub author: Option<String>,
    /// The signing key.
    pub signer: Option<std::sync::Arc<crate::source::sign::CommitSigner>>,
}

impl TrustArgs {
    /// The trust file, read and checked (None without `--trust`).
    pub fn load(
        &self,
    ) -> Result<
        Option<std::sync::Arc<crate::source::trust::Trust>>,
        crate::source::trust::TrustFileError,
    > {
        self.trust
            .as_deref()
            .map(|path| crate::source::trust::Trust::load(path).map(std::sync::Arc::new))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::{ColorChoice, parse_lease_ttl, parse_table_name};

    #[test]
    fn table_names_and_lease_ttls_are_checked() {
        assert!(parse_table_name("deckhand-locks").is_ok());
        assert!(parse_table_name("a.b_c-1").is_ok());
        for bad in ["ab", "has space", "slash/name", "ümlaut", &"x".repeat(256)] {
            let e = parse_table_name(bad).unwrap_err();
            assert!(e.contains("not a DynamoDB table name"), "{e}");
        }
        assert_eq!(parse_lease_ttl("30s").unwrap().as_secs(), 30);
        assert!(parse_lease_ttl("2s").unwrap_err().contains("6s to 1h"));
        assert!(parse_lease_ttl("2h").unwrap_err().contains("6s to 1h"));
        assert!(parse_lease_ttl("soon").is_err());
    }

    #[test]
    fn colors_follow_the_terminal_no_color_and_the_flag() {
        // (choice, is a terminal, NO_COLOR set) → colors
        let cases = [
            (ColorChoice::Auto, true, false, true),
            (ColorChoice::Auto, false, false, false),
            (ColorChoice::Auto, true, true, false),
            (ColorChoice::Always, false, true, true),
            (ColorChoice::Never, true, false, false),
        ];
        for (choice, tty, no_color, expected) in cases {
            assert_eq!(
                choice.enabled(tty, no_color),
                expected,
                "{choice:?} {tty} {no_color}"
            );
        }
    }
}
