//! Reconcile one environment at one commit: load the spec (cached per commit),
//! read live ECS, plan, and apply when the sync policy allows. Level-triggered:
//! it computes from current state only, never from why it was woken. Returns
//! what happened and when to look again; the loop in `controller` owns *when*.
//!
//! Failures are classified so a broken commit is not hammered: a bad spec or a
//! failed migration is terminal for that commit (nothing is retried until a
//! new commit arrives); anything else backs off exponentially (capped), and a
//! new commit starts afresh.

use super::clients::{ClientCache, Connect};
use super::policy::{Backoff, Failures, Gate};
use super::specs::SpecCache;
use super::state::{ControllerState, ResultKind};
use super::view;
use crate::apply::lease::Locks;
use crate::apply::progress::Progress;
use crate::apply::{self, ApplyOptions, ApplyOutcome};
use crate::ecs::ErrorClass;
use crate::live::{self, LiveEnvironment};
use crate::plan::{self, Plan, Step};
use crate::source::RepoLocation;
use crate::spec::Environment;
use std::sync::Arc;
use std::time::Duration;

/// Timing settings of reconciles.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Between two reconciles of an environment.
    pub interval: Duration,
    /// Poll interval of the waits inside a release.
    pub poll_interval: Duration,
    /// First retry delay after a failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Where release leases live.
    pub locks: Locks,
    /// Their TTL.
    pub lease_ttl: Duration,
}

/// What a reconcile found, and when to look again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The result.
    pub result: ResultKind,
    /// Why (out of sync, failure), if not in sync.
    pub reason: Option<String>,
    /// When to reconcile again.
    pub next: Duration,
}

/// Releases shown per environment in `/status`.
const RECENT_RELEASES: usize = 5;

/// Reconciles environments; shared by the loops. Each job has one owner:
/// clients ([`ClientCache`]), specs ([`SpecCache`]), failures and backoff
/// ([`Failures`]), the sync policy ([`view::observe`] applies it), metrics and status
/// ([`ControllerState`]).
pub struct Reconciler<C: Connect> {
    interval: Duration,
    poll_interval: Duration,
    state: Arc<ControllerState>,
    clients: ClientCache<C>,
    specs: SpecCache,
    failures: Failures,
    owner: String,
    locks: Locks,
    lease_ttl: Duration,
    /// The config repo's git URL (commit links in notifications).
    repo_url: Option<String>,
    /// Commits whose author and message were looked up (found or not).
    looked_up: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl<C: Connect> Reconciler<C> {
    /// A reconciler reading `location`, talking to ECS through `connect`.
    pub fn new(
        location: RepoLocation,
        settings: Settings,
        state: Arc<ControllerState>,
        connect: C,
    ) -> Self {
        let repo_url = crate::source::is_git_url(&location.repo).then(|| location.repo.clone());
        Reconciler {
            repo_url,
            looked_up: Default::default(),
            interval: settings.interval,
            poll_interval: settings.poll_interval,
            clients: ClientCache::new(connect, state.clone()),
            state,
            specs: SpecCache::new(location),
            failures: Failures::new(Backoff {
                base: settings.backoff_base,
                max: settings.backoff_max,
            }),
            owner: apply::lease::own_owner(),
            locks: settings.locks,
            lease_ttl: settings.lease_ttl,
        }
    }

    /// The lease holder name of this controller (`host:pid:nonce`).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Read the latest releases for `/status` (best effort).
    async fn refresh_releases(&self, ecs: &C::Ecs, environment: &str) {
        match crate::history::list(ecs, environment, RECENT_RELEASES).await {
            Ok(releases) => self.state.set_releases(environment, releases),
            Err(e) => tracing::warn!("reading the release history of {environment} failed: {e}"),
        }
    }

    /// Look up the author, time and message of the commits shown (each
    /// once, from the local clone) for the web UI.
    async fn learn_commits(&self, shas: Vec<String>) {
        let new: Vec<String> = {
            let mut seen = self.looked_up.lock().expect("looked-up lock");
            shas.into_iter()
                .filter(|s| seen.insert(s.clone()))
                .collect()
        };
        if new.is_empty() {
            return;
        }
        let location = self.specs.location().clone();
        let infos = tokio::task::spawn_blocking(move || {
            new.iter()
                .filter_map(|sha| {
                    crate::source::Snapshot::open_at(&location, Some(sha))
                        .ok()?
                        .commit_info()
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for info in infos {
            self.state.add_commit(info);
        }
    }

    /// Show what a reconcile saw (status and web UI); returns the pending
    /// plan's drift flag and the setting holding it back.
    async fn show(
        &self,
        env: &crate::spec::Environment,
        commit: Option<&str>,
        live: &LiveEnvironment,
        plan: &plan::Plan,
    ) -> (bool, Option<&'static str>) {
        let drift = plan.changed && crate::guard::is_drift(live, commit);
        let seen = view::observe(env, live, plan, drift);
        let held_by = seen.pending.as_ref().and_then(|p| p.held_by);
        let tagged = seen.live.services.iter().filter_map(|s| s.commit.clone());
        self.learn_commits(tagged.collect()).await;
        self.state.observe(&env.name, seen);
        (drift, held_by)
    }

    /// After a release, read ECS again so what is shown is what runs now,
    /// not what ran before (best effort: the next reconcile reads it anyway).
    async fn look_again(&self, ecs: &C::Ecs, env: &crate::spec::Environment, commit: Option<&str>) {
        let Ok(live) = live::fetch(ecs, env).await else {
            return;
        };
        if let Ok(plan) = plan::plan(env, commit, &live) {
            self.show(env, commit, &live, &plan).await;
        }
    }

    /// Consecutive failures of the current commit.
    pub fn failure_count(&self, environment: &str) -> u32 {
        self.failures.count(environment)
    }

    fn fail(
        &self,
        environment: &str,
        commit: Option<&str>,
        reason: String,
        class: ErrorClass,
    ) -> Verdict {
        let next = self
            .failures
            .record(environment, commit, &reason, class)
            .unwrap_or(self.interval);
        Verdict {
            result: ResultKind::Failed,
            reason: Some(reason),
            next,
        }
    }

    /// Reconcile `environment` at `commit`.
    pub async fn reconcile(&self, environment: &str, commit: Option<&str>) -> Verdict {
        match self.failures.gate(environment, commit) {
            Gate::Go => {}
            Gate::WaitForCommit(reason) => {
                return self.verdict(ResultKind::OutOfSync, Some(reason));
            }
            Gate::BackOff { reason, remaining } => {
                return Verdict {
                    result: ResultKind::BackingOff,
                    reason: Some(reason),
                    next: remaining,
                };
            }
        }
        if let Some(c) = commit {
            self.learn_commits(vec![c.to_owned()]).await;
        }
        let env = match self.specs.get(environment, commit).await {
            Ok(env) => env,
            Err(e) => return self.fail(environment, commit, e, ErrorClass::User),
        };
        if env.sync.suspend {
            return self.verdict(ResultKind::Suspended, Some("sync.suspend is true".into()));
        }
        let ecs = match self.clients.get(&env.reach()).await {
            Ok(ecs) => ecs,
            Err(e) => return self.fail(environment, commit, e.to_string(), e.class()),
        };
        let live = match live::fetch(&ecs, &env).await {
            Ok(live) => live,
            Err(e) => return self.fail(environment, commit, e.to_string(), e.class()),
        };
        if !self.state.has_releases(environment) {
            self.refresh_releases(&ecs, environment).await;
        }
        let plan = match plan::plan(&env, commit, &live) {
            Ok(plan) => plan,
            Err(e) => return self.fail(environment, commit, e.to_string(), ErrorClass::User),
        };
        let (drift, held_by) = self.show(&env, commit, &live, &plan).await;
        self.show_promotion(&env, &live);
        if let Some(why) = self.guarded(&ecs, &env, &live, &plan, drift).await {
            return self.verdict(ResultKind::OutOfSync, Some(why));
        }
        if !plan.changed {
            self.failures.clear(environment);
            return self.verdict(ResultKind::InSync, None);
        }
        let summary: Vec<String> = plan.steps.iter().map(Step::to_string).collect();
        let why = if drift {
            format!("drift (live changed outside git): {}", summary.join("; "))
        } else {
            format!("commit not applied yet: {}", summary.join("; "))
        };
        if let Some(setting) = held_by {
            return self.verdict(ResultKind::OutOfSync, Some(format!("{why} ({setting})")));
        }
        tracing::info!(steps = summary.len(), drift, "applying");
        self.release(&ecs, &env, &plan, commit).await
    }

    /// For an environment that takes releases from another: what `promote`
    /// would do now, from what this controller last saw of the source.
    fn show_promotion(&self, env: &crate::spec::Environment, live: &LiveEnvironment) {
        let Some(from) = &env.promotion.from else {
            return;
        };
        let source = self.state.environment(from);
        let releases = source
            .as_ref()
            .and_then(|s| s.recent_releases.clone())
            .unwrap_or_default();
        let running = source
            .as_ref()
            .and_then(|s| s.live.as_ref())
            .map(|l| l.services.iter().filter_map(|s| s.image.clone()).collect())
            .unwrap_or_default();
        let (_, freeze) = crate::guard::read(&live.cluster_tags, &env.name);
        let candidate = crate::promote::candidate_line(
            from,
            &releases,
            &running,
            env,
            live.recorded_revision.as_deref(),
            freeze.as_ref(),
            std::time::SystemTime::now(),
        );
        self.state.set_promotion(
            &env.name,
            Some(super::status::PromotionView {
                from: from.clone(),
                candidate,
            }),
        );
    }

    /// What the hold and the freeze on the environment say of applying
    /// `plan` (shown in the status either way): why not, or None to go on
    /// (lifting a hold that a commit with another image ended).
    async fn guarded(
        &self,
        ecs: &C::Ecs,
        env: &crate::spec::Environment,
        live: &LiveEnvironment,
        plan: &plan::Plan,
        drift: bool,
    ) -> Option<String> {
        use crate::guard::{self, Verdict};
        let environment = env.name.as_str();
        let (hold, freeze) = guard::read(&live.cluster_tags, environment);
        let now = std::time::SystemTime::now();
        let releasing = guard::is_release(plan, drift);
        let guards = guard::Guards {
            hold: hold.as_ref(),
            freeze: freeze.as_ref(),
            windows: &env.sync.windows,
        };
        let verdict = guard::judge(environment, &env.image, guards, releasing, now);
        let hold = match verdict {
            Verdict::Go { lift_hold: true } => {
                match guard::lift::<guard::Hold>(ecs, &env.cluster, environment).await {
                    Ok(Some(lifted)) => {
                        tracing::info!("a commit with another image arrived: the hold is over");
                        crate::apply::notify::Notifier::new(env, None, self.repo_url.as_deref())
                            .send(&crate::apply::notify::ReleaseEvent::Hold {
                                image: lifted.image,
                                put: false,
                            })
                            .await;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!("lifting the hold failed: {e}"),
                }
                None
            }
            _ => hold,
        };
        let window = guard::window::blocking(&env.sync.windows, now).map(|(w, end)| {
            super::status::WindowView {
                window: w.describe(),
                until: guard::rfc3339(end),
            }
        });
        self.state
            .set_guards(environment, hold, freeze.filter(|f| f.active(now)), window);
        match verdict {
            Verdict::Blocked(why) if plan.changed => Some(why),
            _ => None,
        }
    }

    /// Apply `plan` (the commit, or a repair of drift) and judge the result.
    async fn release(
        &self,
        ecs: &C::Ecs,
        env: &Environment,
        plan: &Plan,
        commit: Option<&str>,
    ) -> Verdict {
        let environment = env.name.as_str();
        let kind = match commit {
            Some(sha) => {
                let (location, sha) = (self.specs.location().clone(), sha.to_owned());
                tokio::task::spawn_blocking(move || {
                    crate::source::Snapshot::open_at(&location, Some(&sha))
                        .map(|s| s.release_kind())
                        .unwrap_or_default()
                })
                .await
                .unwrap_or_default()
            }
            None => crate::history::ReleaseKind::Release,
        };
        let options = ApplyOptions {
            kind,
            owner: self.owner.clone(),
            repo_url: self.repo_url.clone(),
            locks: self.locks.clone(),
            lease_ttl: self.lease_ttl,
            ..ApplyOptions::new(commit.map(str::to_owned), self.poll_interval)
        };
        self.state.release_started(environment, commit);
        let progress = Progress::quiet().with_sink(self.state.recorder(environment));
        let applied = apply::apply(ecs, env, plan, &options, &progress).await;
        self.state.release_finished(
            environment,
            match &applied {
                Ok(ApplyOutcome::NoChanges) => None,
                Ok(ApplyOutcome::Released { .. }) => Some("succeeded".into()),
                Err(e) => Some(format!("failed at {}", e.step())),
            },
        );
        if !matches!(
            applied,
            Ok(ApplyOutcome::NoChanges)
                | Err(apply::ApplyError::Preflight { .. } | apply::ApplyError::Lease(_))
        ) {
            self.refresh_releases(ecs, environment).await;
        }
        self.look_again(ecs, env, commit).await;
        match applied {
            Ok(ApplyOutcome::NoChanges) => self.verdict(ResultKind::InSync, None),
            Ok(ApplyOutcome::Released { migrated, .. }) => {
                if migrated {
                    self.state.record_migration("succeeded");
                }
                self.failures.clear(environment);
                self.verdict(ResultKind::Applied, None)
            }
            // Another deckhand (the CLI, or a replica that had this
            // environment's shard) is releasing it: not a failure of ours;
            // look again when its lease would expire.
            Err(apply::ApplyError::Lease(held)) => Verdict {
                result: ResultKind::OutOfSync,
                reason: Some(held.to_string()),
                next: Duration::from_secs(held.expires_in + 1).min(self.interval),
            },
            Err(e) => {
                if matches!(e, apply::ApplyError::MigrationFailed { .. }) {
                    self.state.record_migration("failed");
                }
                let reason = first_line(&e.to_string());
                self.fail(
                    environment,
                    commit,
                    format!("{}: {reason}", e.step()),
                    e.class(),
                )
            }
        }
    }

    /// A verdict that looks again after the interval.
    fn verdict(&self, result: ResultKind, reason: Option<String>) -> Verdict {
        Verdict {
            result,
            reason,
            next: self.interval,
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
