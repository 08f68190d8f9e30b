//! `deckhand controller`: keeps every environment of the config repo equal to
//! git, continuously.
//!
//! The controller owns *when*; [`reconcile`] owns *what*. One fetch loop
//! fetches the repo (no re-clone) every interval, or at once on a webhook
//! (or when another replica announces one); one loop per environment
//! reconciles it on its own schedule (interval ± 10% jitter, or sooner when
//! a reconcile asks, e.g. a backoff), is woken when a new commit arrives,
//! and never runs two reconciles of its environment at once. A semaphore
//! bounds reconciles across environments.
//!
//! Shutdown is two-stage: the first SIGTERM/SIGINT stops new work and waits
//! up to the grace period for running reconciles (a migration in progress is
//! awaited); whatever is still running then is left recorded in ECS (the
//! migration task by `startedBy`, quiesced services by their
//! `deckhand:quiesced-from` tag), so the next start converges. A second signal
//! exits at once.
//!
//! With a lock table (`--lock-table`) controllers run as replicas
//! ([`replicas`]): a loop per environment still exists in every replica, but
//! it reconciles only while this replica holds the environment's shard, and
//! otherwise waits for the shards to move. At shutdown a replica gives its
//! shards up, so the others take over at once.

pub mod clients;
pub mod fetch;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod policy;
pub mod reconcile;
pub mod replicas;
pub mod specs;
pub mod state;
pub mod status;
pub mod ui;
pub mod view;

use crate::apply::lease::Locks;
use crate::source::{self, RepoLocation, short_sha};
use clients::{Connect, SdkConnect};
use fetch::{RepoHead, environment_names, fetch};
use reconcile::{Reconciler, Settings};
use replicas::Replica;
use state::{ControllerState, ReplicaOf, ResultKind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// The config repo.
    pub location: RepoLocation,
    /// Only these environments (empty: all of environments/*.yaml).
    pub environments: Vec<String>,
    /// Reconcile settings.
    pub settings: Settings,
    /// Serve HTTP here.
    pub listen: Option<SocketAddr>,
    /// One cycle, then exit.
    pub once: bool,
    /// Most reconciles at once.
    pub concurrency: usize,
    /// How long shutdown waits for running reconciles.
    pub shutdown_grace: Duration,
}

/// Errors that stop the controller.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// The repo could not be read on the first fetch of `--once`.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The HTTP listener could not start.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// `--once`: some environments failed.
    #[error("{0} environment(s) failed to reconcile")]
    Failed(usize),
}

/// Messages from the webhook (and, with replicas, from the lock table) to
/// the fetch loop.
#[derive(Debug, Default)]
pub struct Wakeups {
    /// Fetch now: a webhook came.
    pub fetch: Notify,
    /// Fetch now: another replica announced a commit a webhook brought it.
    pub peer: Notify,
}

/// ±10% jitter, so many environments do not poll ECS in lockstep.
fn jitter(d: Duration, seed: &str) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let hash = seed
        .bytes()
        .fold(nanos, |h, b| h.rotate_left(5) ^ u32::from(b));
    let fraction = f64::from(hash % 2001) / 1000.0 - 1.0; // -1.0 ..= 1.0
    d.mul_f64(1.0 + fraction * 0.1)
}

/// Run the controller until shutdown (or one cycle with `once`).
pub async fn run(config: ControllerConfig) -> Result<(), ControllerError> {
    let state = Arc::new(ControllerState::default());
    let reconciler = Arc::new(Reconciler::new(
        config.location.clone(),
        config.settings.clone(),
        state.clone(),
        SdkConnect,
    ));
    let replica = match &config.settings.locks {
        Locks::Table(table) => {
            state.track_lock_calls(table.calls());
            Some(Arc::new(Replica::new(
                table.clone(),
                reconciler.owner().to_owned(),
                config.settings.lease_ttl,
            )))
        }
        Locks::Tags => None,
    };
    if config.once {
        return run_once(&config, &state, &reconciler).await;
    }
    let cancel = CancellationToken::new();
    let keeper_stop = CancellationToken::new();
    let wakeups = Arc::new(Wakeups::default());
    let keeper = replica.clone().map(|replica| {
        tokio::spawn(keep_shards(
            replica,
            state.clone(),
            wakeups.clone(),
            keeper_stop.clone(),
        ))
    });
    spawn_signal_handler(cancel.clone());
    let server = match config.listen {
        Some(addr) => Some(
            http::serve(addr, state.clone(), wakeups.clone(), cancel.clone())
                .await
                .map_err(|source| ControllerError::Listen { addr, source })?,
        ),
        None => None,
    };

    let loops = fetch_and_reconcile(
        &config,
        &state,
        &reconciler,
        replica.as_ref(),
        &wakeups,
        &cancel,
    )
    .await;
    shut_down(
        config.shutdown_grace,
        loops,
        replica.as_deref(),
        keeper.map(|keeper| (keeper, keeper_stop)),
        &state,
    )
    .await;
    if let Some(server) = server {
        let _ = server.await;
    }
    Ok(())
}

/// Until `cancel`: fetch the config repo every interval (or at once when a
/// webhook or another replica wakes it), and start one reconcile loop per
/// environment the commit holds. Returns the loops.
async fn fetch_and_reconcile(
    config: &ControllerConfig,
    state: &Arc<ControllerState>,
    reconciler: &Arc<Reconciler<SdkConnect>>,
    replica: Option<&Arc<Replica>>,
    wakeups: &Wakeups,
    cancel: &CancellationToken,
) -> BTreeMap<String, tokio::task::JoinHandle<()>> {
    let (head_tx, head_rx) = watch::channel(RepoHead::NotFetched);
    let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut loops: BTreeMap<String, tokio::task::JoinHandle<()>> = BTreeMap::new();
    let mut by_webhook = false;
    loop {
        // Environments are listed only when the commit changes (a plain
        // directory has no commit: listed every time).
        if let Some(head) = fetch(&config.location, state).await
            && (head == RepoHead::Directory || *head_rx.borrow() != head)
        {
            let commit = head.commit().map(str::to_owned);
            tracing::info!(commit = commit.as_deref().map(short_sha), "config commit");
            head_tx.send_replace(head);
            if by_webhook
                && commit.is_some()
                && let Some(replica) = replica
                && let Err(e) = replica.announce().await
            {
                tracing::warn!(
                    "could not tell the other replicas of the new commit; they fetch it within --interval: {e}"
                );
            }
            for name in environment_names(&config.location, commit, &config.environments).await {
                loops.entry(name.clone()).or_insert_with(|| {
                    tokio::spawn(environment_loop(
                        name,
                        reconciler.clone(),
                        state.clone(),
                        head_rx.clone(),
                        limit.clone(),
                        cancel.clone(),
                        replica.cloned(),
                    ))
                });
            }
        }
        memory::release_free_pages();
        by_webhook = tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(jitter(config.settings.interval, "fetch")) => false,
            () = wakeups.fetch.notified() => {
                tracing::info!("woken by webhook");
                true
            }
            () = wakeups.peer.notified() => {
                tracing::info!("woken by another replica: it fetched a new commit on a webhook");
                false
            }
        };
    }

    loops
}

/// Stop: wait for the running reconciles (up to `grace`), leave the lock
/// table, and stop the shard keeper.
async fn shut_down(
    grace: Duration,
    loops: BTreeMap<String, tokio::task::JoinHandle<()>>,
    replica: Option<&Replica>,
    keeper: Option<(tokio::task::JoinHandle<()>, CancellationToken)>,
    state: &ControllerState,
) {
    tracing::info!(
        "shutting down: no new reconciles; waiting up to {} for running ones",
        humantime::format_duration(grace)
    );
    let all = futures_util::future::join_all(loops.into_values());
    if tokio::time::timeout(grace, all).await.is_err() {
        tracing::warn!(
            "grace period over with a reconcile still running; its state is recorded in ECS (migration task by startedBy, quiesced services by tag) and the next start converges"
        );
    }
    if let Some(replica) = replica {
        if let Some((keeper, stop)) = keeper {
            stop.cancel();
            let _ = keeper.await;
        }
        replica.leave().await;
        state.set_ownership(replica.ownership());
        tracing::info!("left the lock table: this replica's shards are free for the others");
    }
}

/// The replica's rounds on the lock table, until `stop`.
async fn keep_shards(
    replica: Arc<Replica>,
    state: Arc<ControllerState>,
    wakeups: Arc<Wakeups>,
    stop: CancellationToken,
) {
    let mut held = None;
    loop {
        match replica.round().await {
            Ok(announced) => {
                if announced {
                    wakeups.peer.notify_one();
                }
                let ownership = replica.ownership();
                if held.as_ref() != Some(&ownership.held) {
                    tracing::info!(
                        shards = ?ownership.held,
                        replicas = ownership.replicas.len(),
                        "lock table: shards held"
                    );
                    held = Some(ownership.held.clone());
                }
                state.set_ownership(ownership);
            }
            Err(e) => tracing::warn!(
                "lock table round failed; shards not renewed stop being reconciled here before their leases expire: {e}"
            ),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(replica.every()) => {}
        }
    }
}

/// With a lock table: does this replica reconcile `name` now? Records the
/// answer in the status either way.
fn reconciled_here(replica: &Replica, state: &ControllerState, name: &str) -> bool {
    let here = replica.reconciles(name);
    state.set_replica_of(
        name,
        ReplicaOf {
            holder: replica.holder_of(name),
            here,
        },
    );
    here
}

async fn run_once<C: Connect>(
    config: &ControllerConfig,
    state: &Arc<ControllerState>,
    reconciler: &Arc<Reconciler<C>>,
) -> Result<(), ControllerError> {
    let head = source::resolve_head(&config.location)?;
    state.set_ready();
    let names =
        environment_names(&config.location, head.commit.clone(), &config.environments).await;
    let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let (reconciler, state, limit, commit) = (
            reconciler.clone(),
            state.clone(),
            limit.clone(),
            head.commit.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore open");
            let verdict = reconcile_and_record(&reconciler, &state, &name, commit.as_deref()).await;
            report(&name, &verdict);
            verdict.result
        });
    }
    let mut failed = 0;
    while let Some(result) = tasks.join_next().await {
        if matches!(result, Ok(ResultKind::Failed) | Err(_)) {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(ControllerError::Failed(failed));
    }
    Ok(())
}

/// Reconcile `name` at `commit` in its tracing span, and record the result.
async fn reconcile_and_record<C: Connect>(
    reconciler: &Reconciler<C>,
    state: &ControllerState,
    name: &str,
    commit: Option<&str>,
) -> reconcile::Verdict {
    let start = Instant::now();
    let span =
        tracing::info_span!("reconcile", environment = %name, commit = commit.map(short_sha));
    let verdict = reconciler.reconcile(name, commit).instrument(span).await;
    state.record(
        name,
        commit,
        verdict.result,
        verdict.reason.clone(),
        start.elapsed(),
        reconciler.failure_count(name),
    );
    verdict
}

fn report(environment: &str, verdict: &reconcile::Verdict) {
    match &verdict.reason {
        Some(reason) => tracing::warn!(environment, result = verdict.result.as_str(), "{reason}"),
        None => tracing::info!(environment, result = verdict.result.as_str(), "reconciled"),
    }
    // The one-line outcome on stdout, for `--once` in CI.
    println!(
        "{environment}: {}{}",
        verdict.result.as_str(),
        verdict
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
}

async fn environment_loop<C: Connect>(
    name: String,
    reconciler: Arc<Reconciler<C>>,
    state: Arc<ControllerState>,
    mut heads: watch::Receiver<RepoHead>,
    limit: Arc<Semaphore>,
    cancel: CancellationToken,
    replica: Option<Arc<Replica>>,
) {
    let mut shards = replica.as_ref().map(|r| r.watch());
    loop {
        if let (Some(replica), Some(shards)) = (&replica, &mut shards)
            && !reconciled_here(replica, &state, &name)
        {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = shards.changed() => {}
                () = tokio::time::sleep(replica.every()) => {}
            }
            continue;
        }
        let commit = heads.borrow_and_update().commit().map(str::to_owned);
        let verdict = {
            let Ok(_permit) = limit.acquire().await else {
                return;
            };
            if cancel.is_cancelled() {
                return;
            }
            // Boxed: a reconcile's future (a whole release) is large, and
            // only a few run at once; the loop of each environment stays small.
            Box::pin(reconcile_and_record(
                &reconciler,
                &state,
                &name,
                commit.as_deref(),
            ))
            .await
        };
        match &verdict.reason {
            Some(reason) => {
                tracing::warn!(environment = %name, result = verdict.result.as_str(), "{reason}")
            }
            None => {
                tracing::info!(environment = %name, result = verdict.result.as_str(), "reconciled")
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(jitter(verdict.next, &name)) => {}
            changed = heads.changed() => if changed.is_err() { return },
        }
    }
}

fn spawn_signal_handler(cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot listen for SIGTERM: {e}");
                    return;
                }
            };
        for stage in 0..2 {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            if stage == 0 {
                tracing::info!("signal received: finishing running work (send again to exit now)");
                cancel.cancel();
            } else {
                tracing::warn!(
                    "second signal: exiting now; ECS state is recorded for the next start"
                );
                std::process::exit(1);
            }
        }
    });
}

#[cfg(test)]
mod tests;
