//! `deckhand status`: what runs in ECS now, and whether it matches the repo.

use super::setup::Planned;
use super::{CommandError, Context, Outcome, print_report};
use crate::cli::ReportArgs;
use crate::controller::view;
use crate::source::short_sha;
use clap::Args;
use serde::Serialize;
use std::fmt;

// `status`'s arguments (its help is on `cli::Command::Status`).
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What runs, and whether it matches the repo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The environment.
    pub environment: String,
    /// Its cluster.
    pub cluster: String,
    /// The config commit read (None for a plain directory).
    pub repo_commit: Option<String>,
    /// The schema revision recorded on the cluster.
    pub schema_revision: Option<String>,
    /// Does ECS match the repo?
    pub in_sync: bool,
    /// What apply would do, in words.
    pub out_of_sync: Vec<String>,
    /// The last release's result (`<result> <commit> <time>`).
    pub last_release: Option<String>,
    /// Each service of the spec.
    pub services: Vec<ServiceStatus>,
}

/// One service of the spec, as ECS runs it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ServiceStatus {
    /// It exists.
    #[serde(rename_all = "camelCase")]
    Running {
        /// The service.
        service: String,
        /// `family:revision` it runs.
        task_definition: String,
        /// desiredCount.
        desired_count: i32,
        /// runningCount.
        running_count: i32,
        /// The config commit it carries (`deckhand:commit`).
        commit: Option<String>,
    },
    /// It does not exist.
    Missing {
        /// The service.
        service: String,
        /// Always true.
        missing: bool,
    },
}

impl StatusReport {
    /// The status of what `planned` read: the services as the controller's
    /// `/status` sees them ([`view::observe`]), in spec order.
    pub fn of(planned: &Planned) -> StatusReport {
        let Planned {
            snapshot,
            env,
            live,
            plan,
            ..
        } = planned;
        let observed = view::observe(env, live, plan, false);
        let services = env
            .services
            .iter()
            .map(
                |s| match observed.live.services.iter().find(|v| v.name == s.name) {
                    Some(v) => ServiceStatus::Running {
                        service: v.name.clone(),
                        task_definition: v.task_definition.clone(),
                        desired_count: v.desired,
                        running_count: v.running,
                        commit: v.commit.clone(),
                    },
                    None => ServiceStatus::Missing {
                        service: s.name.clone(),
                        missing: true,
                    },
                },
            )
            .collect();
        StatusReport {
            environment: env.name.clone(),
            cluster: env.cluster.clone(),
            repo_commit: snapshot.commit().map(str::to_owned),
            schema_revision: observed.live.revision,
            in_sync: !plan.changed,
            out_of_sync: plan.steps.iter().map(ToString::to_string).collect(),
            last_release: live.cluster_tags.get(&env.last_release_tag()).cloned(),
            services,
        }
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        writeln!(f, "{} (cluster {})", self.environment, self.cluster)?;
        writeln!(f, "  repo commit:     {}", or_none(&self.repo_commit))?;
        writeln!(f, "  schema revision: {}", or_none(&self.schema_revision))?;
        writeln!(f, "  last release:    {}", or_none(&self.last_release))?;
        writeln!(
            f,
            "  in sync:         {}",
            if self.in_sync { "yes" } else { "no" }
        )?;
        for step in &self.out_of_sync {
            writeln!(f, "    - {step}")?;
        }
        for service in &self.services {
            match service {
                ServiceStatus::Missing { service, .. } => writeln!(f, "  {service}: missing")?,
                ServiceStatus::Running {
                    service,
                    task_definition,
                    desired_count,
                    running_count,
                    commit,
                } => writeln!(
                    f,
                    "  {service}: {task_definition} ({running_count}/{desired_count} running), commit {}",
                    commit.as_deref().map(short_sha).unwrap_or("none")
                )?,
            }
        }
        Ok(())
    }
}

/// Print the status.
pub async fn exec(args: StatusArgs, _context: Context) -> Result<Outcome, CommandError> {
    let ReportArgs { repo, env, format } = args.report;
    let planned = repo.planned(env.env).await?;
    print_report(&StatusReport::of(&planned), format)?;
    Ok(Outcome::Done)
}
