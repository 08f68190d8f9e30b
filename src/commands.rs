//! Each CLI command, wired from the pipeline's parts: read the repo snapshot,
//! load the spec, read live ECS, plan, report. Output goes to stdout through
//! the reports; logs go to stderr.

use crate::adopt::{self, AdoptError};
use crate::apply::lease::Locks;
use crate::apply::progress::Progress;
use crate::apply::{self, ApplyError, ApplyOptions, ApplyOutcome};
use crate::cli::{Command, LeaseArgs, LockTableCommand, RepoArgs, Shell, StatusFormat};
use crate::controller::{self, ControllerConfig, ControllerError, reconcile::Settings};
use crate::ecs::{DynamoLockTable, Ecs, EcsClient, EcsError, LockTable};
use crate::iam;
use crate::live;
use crate::plan::{self, PlanError};
use crate::report::{self, Format};
use crate::source::{GitAuth, RepoLocation, Snapshot, SourceError};
use crate::spec::{self, Environment, SpecError, render};
use crate::tags;
use crate::{history, preflight};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// What a successful command means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// `plan --detailed-exitcode` found changes: exit 2.
    Changes,
}

/// Why a command failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The repo could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// ECS failed.
    #[error(transparent)]
    Ecs(#[from] EcsError),
    /// No plan is possible.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// The controller stopped with an error.
    #[error(transparent)]
    Controller(#[from] ControllerError),
    /// The release failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// `verify` found problems.
    #[error("verify found {count} problem{}: the release could not run as it is", if *.0 == 1 { "" } else { "s" }, count = .0)]
    VerifyFailed(usize),
    /// `init` wrote nothing.
    #[error(transparent)]
    Adopt(#[from] AdoptError),
    /// apply without --yes where nobody can answer.
    #[error(
        "refusing to apply without --yes: stdin is not a terminal, so nobody can confirm; nothing was changed"
    )]
    NotConfirmed,
    /// The user said no.
    #[error("apply cancelled; nothing was changed")]
    Cancelled,
    /// Several environments failed validation.
    #[error("{count} {} invalid", if *.0 == 1 { "environment is" } else { "environments are" }, count = .0)]
    InvalidEnvironments(usize),
}

/// Settings shared by every command.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// `--log-format json`: progress as JSON lines too.
    pub json_logs: bool,
    /// ANSI colors on stdout (`--color`, `NO_COLOR`, a terminal).
    pub color: bool,
}

/// Run one command.
pub async fn run(command: Command, context: Context) -> Result<Outcome, CommandError> {
    match command {
        Command::Verify { repo, env } => {
            let (snapshot, env) = load(&repo, env).await?;
            drop(snapshot);
            let ecs = EcsClient::connect(env.region.as_deref()).await?;
            let rendered: Vec<(String, crate::taskdef::model::TaskDefinitionSpec)> = env
                .services
                .iter()
                .map(|s| (s.name.clone(), render::service_task_definition(&env, s)))
                .chain(
                    render::migration_task_definition(&env).map(|td| ("migration".to_owned(), td)),
                )
                .collect();
            let definitions: Vec<(String, &crate::taskdef::model::TaskDefinitionSpec)> =
                rendered.iter().map(|(s, td)| (s.clone(), td)).collect();
            let (needs, report) = preflight::run(&ecs, &definitions).await?;
            tracing::info!(calls = ?ecs.calls().snapshot(), "AWS calls");
            let mut text = String::new();
            for warning in &report.warnings {
                text += &format!("warning: {warning}\n");
            }
            for problem in &report.problems {
                text += &format!("{problem}\n");
            }
            if report.passed() {
                text += &format!("ok: {}: {} exist\n", env.name, needs.summary());
            }
            print(&text)?;
            if report.passed() {
                Ok(Outcome::Done)
            } else {
                Err(CommandError::VerifyFailed(report.problems.len()))
            }
        }
        Command::History {
            repo,
            env,
            format,
            limit,
        } => {
            let (snapshot, env) = load(&repo, env).await?;
            drop(snapshot);
            let ecs = EcsClient::connect(env.region.as_deref()).await?;
            let releases = history::list(&ecs, &env.name, limit).await?;
            let text = match format {
                StatusFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&serde_json::json!({
                        "environment": env.name,
                        "releases": releases,
                    }))
                    .expect("serializes");
                    s.push('\n');
                    s
                }
                StatusFormat::Text => history::text(&env.name, &releases),
            };
            print(&text)?;
            Ok(Outcome::Done)
        }
        Command::LockTable { command } => lock_table(command).await,
        Command::Completions { shell } => {
            let mut out = Vec::new();
            completions(shell, &mut out);
            print(&String::from_utf8_lossy(&out))?;
            Ok(Outcome::Done)
        }
        Command::Init {
            cluster,
            env,
            services,
            repo,
            region,
            force,
        } => {
            let ecs = EcsClient::connect(region.as_deref()).await?;
            let adopted = adopt::read(&ecs, &cluster, &services).await?;
            let files = adopt::files(&env, &cluster, ecs.region().as_deref(), &adopted)?;
            let written = adopt::write(&repo, &files, force)?;
            let mut text = String::new();
            for path in &written {
                text += &format!("wrote {}\n", path.display());
            }
            text += &format!(
                "Adopted {} service(s) of cluster {cluster}. Next: deckhand plan --repo {} --env {env} (it shows no changes), then commit the files.\n",
                adopted.len(),
                repo.display()
            );
            print(&text)?;
            Ok(Outcome::Done)
        }
        Command::IamPolicy {
            repo,
            envs,
            account,
            lock_table,
        } => {
            let snapshot = open_snapshot(&repo).await?;
            let (snapshot, loaded) = tokio::task::spawn_blocking(move || {
                let loaded = load_all(&snapshot, envs);
                (snapshot, loaded)
            })
            .await
            .expect("spec task panicked");
            drop(snapshot);
            let environments = loaded?;
            let default_region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .ok();
            let policy = iam::policy(
                &environments,
                account.as_deref(),
                default_region.as_deref(),
                lock_table.as_deref(),
            );
            let mut text = serde_json::to_string_pretty(&policy).expect("serializes");
            text.push('\n');
            print(&text)?;
            Ok(Outcome::Done)
        }
        Command::Schema => {
            print(&spec::raw::schema_json())?;
            Ok(Outcome::Done)
        }
        Command::Validate { repo, envs } => validate(&repo, envs).await,
        Command::Render { repo, env } => {
            let (snapshot, env) = load(&repo, env).await?;
            drop(snapshot);
            let mut rendered = serde_json::Map::new();
            for service in &env.services {
                let td = render::service_task_definition(&env, service);
                rendered.insert(
                    service.name.clone(),
                    serde_json::to_value(td).expect("serializes"),
                );
            }
            if let Some(td) = render::migration_task_definition(&env) {
                rendered.insert(
                    env.migration_family(),
                    serde_json::to_value(td).expect("serializes"),
                );
            }
            let mut text = serde_json::to_string_pretty(&rendered).expect("serializes");
            text.push('\n');
            print(&text)?;
            Ok(Outcome::Done)
        }
        Command::Controller {
            repo,
            envs,
            interval,
            listen,
            once,
            concurrency,
            shutdown_grace,
            backoff_base,
            backoff_max,
            poll_interval,
            lease,
        } => {
            let (locks, lease_ttl) = locks(&lease).await?;
            controller::run(ControllerConfig {
                location: location(&repo),
                environments: envs,
                settings: Settings {
                    interval,
                    poll_interval,
                    backoff_base,
                    backoff_max,
                    locks,
                    lease_ttl,
                },
                listen,
                once,
                concurrency,
                shutdown_grace,
            })
            .await?;
            Ok(Outcome::Done)
        }
        Command::Status { repo, env, format } => {
            let Planned {
                snapshot,
                env,
                live,
                plan,
                ..
            } = planned(&repo, env).await?;
            let status = status_json(&env, snapshot.commit(), &live, &plan);
            let text = match format {
                StatusFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&status).expect("serializes");
                    s.push('\n');
                    s
                }
                StatusFormat::Text => status_text(&status),
            };
            print(&text)?;
            Ok(Outcome::Done)
        }
        Command::Apply {
            repo,
            env,
            yes,
            no_preflight,
            poll_interval,
            lease,
        } => {
            let (locks, lease_ttl) = locks(&lease).await?;
            let Planned {
                snapshot,
                env,
                ecs,
                plan,
                ..
            } = planned(&repo, env).await?;
            print(&report::render(&plan, Format::Text, context.color))?;
            if !plan.changed {
                return Ok(Outcome::Done);
            }
            if !yes {
                confirm(&env.name, plan.steps.len())?;
            }
            let options = ApplyOptions {
                preflight: !no_preflight,
                repo_url: crate::source::is_git_url(&repo.repo).then(|| repo.repo.clone()),
                locks,
                lease_ttl,
                ..ApplyOptions::new(snapshot.commit().map(str::to_owned), poll_interval)
            };
            let progress = Progress::new(context.json_logs);
            let outcome = apply::apply(&ecs, &env, &plan, &options, &progress).await;
            tracing::info!(calls = ?ecs.calls().snapshot(), "ECS calls");
            match outcome? {
                ApplyOutcome::NoChanges => print("No changes: ECS matches the spec.\n")?,
                ApplyOutcome::Released { steps, .. } => print(&format!(
                    "Applied {} step(s) to {}.\n",
                    steps.len(),
                    env.name
                ))?,
            }
            Ok(Outcome::Done)
        }
        Command::Plan {
            repo,
            env,
            format,
            detailed_exitcode,
        } => {
            let Planned { ecs, plan, .. } = planned(&repo, env).await?;
            tracing::info!(calls = ?ecs.calls().snapshot(), "ECS calls");
            let color = format == Format::Text && context.color;
            print(&report::render(&plan, format, color))?;
            Ok(if detailed_exitcode && plan.changed {
                Outcome::Changes
            } else {
                Outcome::Done
            })
        }
    }
}

/// Where release leases live, and their TTL.
async fn locks(args: &LeaseArgs) -> Result<(Locks, std::time::Duration), CommandError> {
    let locks = match &args.lock_table {
        Some(name) => Locks::Table(std::sync::Arc::new(
            DynamoLockTable::connect(name, None).await?,
        )),
        None => Locks::Tags,
    };
    let ttl = args.lease_ttl.unwrap_or_else(|| locks.default_ttl());
    Ok((locks, ttl))
}

/// `lock-table create` and `lock-table show`.
async fn lock_table(command: LockTableCommand) -> Result<Outcome, CommandError> {
    match command {
        LockTableCommand::Create { name } => {
            let table = DynamoLockTable::connect(&name, None).await?;
            let text = match table.create().await? {
                crate::ecs::locks::Created::Created => format!(
                    "Created lock table {name} (on-demand, TTL on `expires`). Use it with --lock-table {name} (or DECKHAND_LOCK_TABLE) on apply and on every controller replica.\n"
                ),
                crate::ecs::locks::Created::Existed => format!(
                    "Lock table {name} exists (key and TTL checked); nothing was changed.\n"
                ),
            };
            print(&text)?;
        }
        LockTableCommand::Show { name, format } => {
            let table = DynamoLockTable::connect(&name, None).await?;
            let mut records = table.list().await?;
            records.sort_by(|a, b| a.id.cmp(&b.id));
            let now = table.now();
            let text = match format {
                StatusFormat::Json => {
                    let leases: Vec<_> = records
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id,
                                "holder": r.holder,
                                "expiresIn": r.expires as i64 - now as i64,
                                "fence": r.fence,
                                "live": r.live_at(now),
                            })
                        })
                        .collect();
                    let mut s = serde_json::to_string_pretty(
                        &serde_json::json!({ "table": name, "leases": leases }),
                    )
                    .expect("serializes");
                    s.push('\n');
                    s
                }
                StatusFormat::Text if records.is_empty() => {
                    format!("{name}: no leases (nobody is releasing, no replica runs)\n")
                }
                StatusFormat::Text => {
                    let mut s = String::new();
                    for r in &records {
                        if r.id == crate::controller::replicas::REPO_ID {
                            s += &format!(
                                "{:<28} {:<40} fetched the latest webhook's commit (notice {})\n",
                                r.id, r.holder, r.fence
                            );
                            continue;
                        }
                        let state = if r.live_at(now) {
                            format!("expires in {}s", r.expires.saturating_sub(now))
                        } else {
                            format!("expired {}s ago", now.saturating_sub(r.expires))
                        };
                        s += &format!(
                            "{:<28} {:<40} {state} (fence {})\n",
                            r.id, r.holder, r.fence
                        );
                    }
                    s
                }
            };
            print(&text)?;
        }
    }
    Ok(Outcome::Done)
}

/// The completion script of `shell` for the whole command line.
pub fn completions(shell: Shell, out: &mut dyn Write) {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, "deckhand", out);
}

/// The environments named, or all of `environments/*.yaml` (at least one).
fn environment_names(snapshot: &Snapshot, envs: Vec<String>) -> Result<Vec<String>, SourceError> {
    let names = if envs.is_empty() {
        snapshot.environment_names()?
    } else {
        envs
    };
    if names.is_empty() {
        return Err(SourceError::NotFound {
            path: "environments/*.yaml".into(),
            commit: snapshot.commit().map(str::to_owned),
        });
    }
    Ok(names)
}

/// Every environment named (or all of `environments/*.yaml`), loaded.
fn load_all(snapshot: &Snapshot, envs: Vec<String>) -> Result<Vec<Environment>, CommandError> {
    environment_names(snapshot, envs)?
        .iter()
        .map(|name| spec::load(snapshot, name).map_err(CommandError::from))
        .collect()
}

/// `deckhand status` as JSON: what runs, and whether it matches the repo.
fn status_json(
    env: &Environment,
    commit: Option<&str>,
    live: &live::LiveEnvironment,
    plan: &plan::Plan,
) -> serde_json::Value {
    let services: Vec<serde_json::Value> = env
        .services
        .iter()
        .map(|s| match live.services.get(&s.name) {
            Some(l) => serde_json::json!({
                "service": s.name,
                "taskDefinition": l.task_definition.family_revision,
                "desiredCount": l.service.desired_count,
                "runningCount": l.service.running_count,
                "commit": l.service.tags.get(tags::COMMIT),
            }),
            None => serde_json::json!({"service": s.name, "missing": true}),
        })
        .collect();
    serde_json::json!({
        "environment": env.name,
        "cluster": env.cluster,
        "repoCommit": commit,
        "schemaRevision": live.recorded_revision,
        "inSync": !plan.changed,
        "outOfSync": plan.steps.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "lastRelease": live.cluster_tags.get(&env.last_release_tag()),
        "services": services,
    })
}

fn status_text(status: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "none".into())
    };
    let mut out = format!(
        "{} (cluster {})\n  repo commit:     {}\n  schema revision: {}\n  last release:    {}\n  in sync:         {}\n",
        s(&status["environment"]),
        s(&status["cluster"]),
        s(&status["repoCommit"]),
        s(&status["schemaRevision"]),
        s(&status["lastRelease"]),
        if status["inSync"] == true {
            "yes"
        } else {
            "no"
        },
    );
    for step in status["outOfSync"].as_array().into_iter().flatten() {
        out += &format!("    - {}\n", s(step));
    }
    for svc in status["services"].as_array().into_iter().flatten() {
        if svc["missing"] == true {
            out += &format!("  {}: missing\n", s(&svc["service"]));
        } else {
            out += &format!(
                "  {}: {} ({}/{} running), commit {}\n",
                s(&svc["service"]),
                s(&svc["taskDefinition"]),
                svc["runningCount"],
                svc["desiredCount"],
                svc["commit"]
                    .as_str()
                    .map(crate::source::short_sha)
                    .unwrap_or("none"),
            );
        }
    }
    out
}

/// Ask on the terminal; refuse when nobody can answer.
fn confirm(environment: &str, steps: usize) -> Result<(), CommandError> {
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::NotConfirmed);
    }
    eprint!("Apply these {steps} step(s) to {environment}? Type 'yes' to continue: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CommandError::Cancelled)
    }
}

fn print(text: &str) -> Result<(), std::io::Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn location(repo: &RepoArgs) -> RepoLocation {
    RepoLocation {
        repo: repo.repo.clone(),
        git_ref: repo.git_ref.clone(),
        cache_dir: repo.cache_dir.clone().unwrap_or_else(default_cache_dir),
        auth: GitAuth::from_env(repo.git_ssh_key.clone(), repo.git_known_hosts.clone()),
    }
}

/// `$XDG_CACHE_HOME/deckhand` (or the platform's user cache dir).
pub fn default_cache_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.cache_dir().join("deckhand"))
        .unwrap_or_else(|| std::env::temp_dir().join("deckhand-cache"))
}

/// Open the repo snapshot (blocking git work off the async threads).
pub async fn open_snapshot(repo: &RepoArgs) -> Result<Snapshot, SourceError> {
    let loc = location(repo);
    let snapshot = tokio::task::spawn_blocking(move || Snapshot::open(&loc))
        .await
        .expect("snapshot task panicked")?;
    for warning in &snapshot.warnings {
        tracing::warn!("{warning}");
    }
    Ok(snapshot)
}

/// An environment planned against live ECS: everything `plan`, `apply` and
/// `status` start from.
struct Planned {
    snapshot: Snapshot,
    env: Environment,
    ecs: EcsClient,
    live: live::LiveEnvironment,
    plan: plan::Plan,
}

async fn planned(repo: &RepoArgs, env: String) -> Result<Planned, CommandError> {
    let (snapshot, env) = load(repo, env).await?;
    let ecs = EcsClient::connect(env.region.as_deref()).await?;
    let live = live::fetch(&ecs, &env).await?;
    let plan = plan::plan(&env, snapshot.commit(), &live)?;
    Ok(Planned {
        snapshot,
        env,
        ecs,
        live,
        plan,
    })
}

async fn load(repo: &RepoArgs, env: String) -> Result<(Snapshot, Environment), CommandError> {
    let snapshot = open_snapshot(repo).await?;
    let (snapshot, env) = tokio::task::spawn_blocking(move || {
        let env = spec::load(&snapshot, &env);
        (snapshot, env)
    })
    .await
    .expect("spec task panicked");
    Ok((snapshot, env?))
}

async fn validate(repo: &RepoArgs, envs: Vec<String>) -> Result<Outcome, CommandError> {
    let snapshot = open_snapshot(repo).await?;
    let (failures, lines) = tokio::task::spawn_blocking(move || {
        let names = environment_names(&snapshot, envs)?;
        let mut failures = 0;
        let mut lines = Vec::new();
        for name in names {
            match spec::load(&snapshot, &name) {
                Ok(env) => lines.push(format!(
                    "ok: {} ({}, {} service{})",
                    env.file,
                    env.cluster,
                    env.services.len(),
                    if env.services.len() == 1 { "" } else { "s" }
                )),
                Err(e) => {
                    failures += 1;
                    eprintln!("error: {e}");
                }
            }
        }
        Ok::<_, SourceError>((failures, lines))
    })
    .await
    .expect("validate task panicked")?;
    print(&lines.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    if failures > 0 {
        return Err(CommandError::InvalidEnvironments(failures));
    }
    Ok(Outcome::Done)
}
