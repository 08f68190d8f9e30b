//! Moving a release between environments, and back: `deckhand promote
//! FROM TO` and `deckhand rollback ENV [vN]` ([`rollback`]).
//!
//! [`prepare`] reads what it needs (FROM's history and what its services
//! run, TO's recorded schema revision, the image in ECR), picks the release
//! and checks the gates ([`gate`], pure), and computes TO's environment file
//! with only `image` and `migration.revision` changed, in place
//! ([`crate::spec::edit`]), validated as a spec. The command writes it as
//! one commit ([`crate::source::write`]); the controller (or `apply`)
//! releases it like any other commit, recorded with the kind `promotion`.

pub mod gate;
pub mod rollback;

use crate::ecs::{AwsError, Ecs, Lookups};
use crate::history::{self, PROMOTE_TRAILER, Recorded};
use crate::source::{Snapshot, short_sha};
use crate::spec::edit::{EditError, set_scalar};
use crate::spec::locate::FieldPath;
use crate::spec::{Environment, SpecError};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// How many of an environment's newest releases are read first when
/// looking for the release to promote or roll back to (each is one
/// DescribeTaskDefinition the first time) ...
pub const HISTORY_FIRST_LOOK: usize = 10;
/// ... and how many when it is not among those.
pub const HISTORY_SEARCH: usize = 50;

/// `pick` from the newest [`HISTORY_FIRST_LOOK`] releases of `environment`,
/// reading up to [`HISTORY_SEARCH`] only when it finds nothing there;
/// returns what was read and what was picked.
pub(crate) async fn pick_from_history<E: Ecs>(
    ecs: &E,
    environment: &str,
    pick: impl Fn(&[Recorded]) -> Result<Recorded, PromoteError>,
) -> Result<(Vec<Recorded>, Recorded), PromoteError> {
    let history = history::list(ecs, environment, HISTORY_FIRST_LOOK).await?;
    match pick(&history) {
        Ok(found) => Ok((history, found)),
        Err(_) if history.len() == HISTORY_FIRST_LOOK => {
            let history = history::list(ecs, environment, HISTORY_SEARCH).await?;
            let found = pick(&history)?;
            Ok((history, found))
        }
        Err(e) => Err(e),
    }
}

/// Why a promotion was refused: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    /// FROM and TO are the same.
    #[error(
        "cannot promote {environment} to itself: name the environment the release goes to, e.g. `deckhand promote staging production`"
    )]
    SameEnvironment {
        /// The environment.
        environment: String,
    },
    /// `--release` names no release of FROM.
    #[error("{environment} has no release {id}{}: pick one with `deckhand history --env {environment}`", known_ids(.known))]
    NoSuchRelease {
        /// FROM.
        environment: String,
        /// What was asked.
        id: String,
        /// FROM's newest ids.
        known: Vec<String>,
    },
    /// The release asked for did not succeed.
    #[error(
        "{environment} {id} did not succeed ({result}): only a release that succeeded can be promoted; pick one with `deckhand history --env {environment}`"
    )]
    NotSucceeded {
        /// FROM.
        environment: String,
        /// The release.
        id: String,
        /// Its result.
        result: String,
    },
    /// FROM runs no release that succeeded.
    #[error("{environment} runs no release that succeeded (its services run {}{}): release it first, or name one with --release vN", if .running.is_empty() { "nothing".to_owned() } else { .running.join(", ") }, .newest.as_ref().map(|(id, result)| format!("; its newest, {id}, ended {result}")).unwrap_or_default())]
    NothingToPromote {
        /// FROM.
        environment: String,
        /// The images its services run.
        running: Vec<String>,
        /// Its newest release and result.
        newest: Option<(String, String)>,
    },
    /// TO's `promotion.from` names another environment.
    #[error(
        "{to} takes releases from {allowed} only (promotion.from), not from {from}: promote from {allowed}, or change promotion.from in {to}'s spec"
    )]
    NotFromThere {
        /// TO.
        to: String,
        /// Its `promotion.from`.
        allowed: String,
        /// FROM.
        from: String,
    },
    /// The release has not run in FROM for TO's soak time.
    #[error("{from} {id} has run for less than {} (promotion.soak of {to}): it may be promoted from {} (in {})", humantime::format_duration(*.soak), humantime::format_rfc3339_seconds(*.until), humantime::format_duration(*.left))]
    Soaking {
        /// FROM.
        from: String,
        /// TO.
        to: String,
        /// The release.
        id: String,
        /// TO's soak.
        soak: Duration,
        /// When it may go.
        until: SystemTime,
        /// How long that is from now.
        left: Duration,
    },
    /// TO's schema is newer than the release's.
    #[error(
        "{to}'s schema is at revision {to_revision}, newer than {from} {id}'s {release_revision}: promoting would run {from}'s older code against a newer schema and move the revision backwards; promote a newer release of {from}"
    )]
    SchemaBackwards {
        /// FROM.
        from: String,
        /// TO.
        to: String,
        /// The release.
        id: String,
        /// Its revision.
        release_revision: String,
        /// TO's recorded revision.
        to_revision: String,
    },
    /// The release's image is no longer in ECR.
    #[error(
        "{from} {id}'s image {image} is no longer in ECR (a lifecycle policy may have expired it): push it again, or promote a newer release"
    )]
    ImageGone {
        /// FROM.
        from: String,
        /// The release.
        id: String,
        /// The image.
        image: String,
    },
    /// TO's file cannot be edited in place.
    #[error("{file}: {source}; deckhand changes only that line and keeps the rest of the file")]
    Edit {
        /// TO's environment file.
        file: String,
        /// Why.
        #[source]
        source: EditError,
    },
    /// The edited file is not a valid spec.
    #[error("{to} with {from} {id}'s image would not be a valid spec:\n{source}")]
    Invalid {
        /// FROM.
        from: String,
        /// TO.
        to: String,
        /// The release.
        id: String,
        /// The diagnostics.
        #[source]
        source: Box<SpecError>,
    },
    /// TO is frozen.
    #[error("{0}; nothing was promoted")]
    Frozen(String),
    /// No earlier release to roll back to.
    #[error(
        "{environment} has no release that succeeded with another image than {image} to roll back to: name one with `deckhand rollback {environment} vN` (see `deckhand history --env {environment}`)"
    )]
    NothingToRollBackTo {
        /// The environment.
        environment: String,
        /// What it runs now.
        image: String,
    },
    /// The release came from a plain directory: no commit to restore.
    #[error(
        "{environment} {id} was released from a plain directory, so there is no commit to restore it from: pick a release made from a git commit"
    )]
    NoCommit {
        /// The environment.
        environment: String,
        /// The release.
        id: String,
    },
    /// The release ran an older schema than the one recorded now.
    #[error(
        "{environment} {id} ran schema revision {release_revision}, older than the recorded {recorded}: its image would run against the newer schema (deckhand never migrates backwards). If that image works with revision {recorded} (the migrations since only added to the schema), pass --accept-schema"
    )]
    SchemaNewer {
        /// The environment.
        environment: String,
        /// The release.
        id: String,
        /// Its revision.
        release_revision: String,
        /// The revision recorded now.
        recorded: String,
    },
    /// The release's commit cannot be read, or its spec does not load.
    #[error("{environment} {id}: its commit {} cannot be restored: {source}", short_sha(.commit))]
    OldCommit {
        /// The environment.
        environment: String,
        /// The release.
        id: String,
        /// Its commit.
        commit: String,
        /// Why.
        #[source]
        source: Box<SpecError>,
    },
    /// AWS failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

fn known_ids(known: &[String]) -> String {
    if known.is_empty() {
        " (none is recorded)".to_owned()
    } else {
        format!(" (the newest: {})", known.join(", "))
    }
}

/// A promotion ready to be written.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// FROM.
    pub from: String,
    /// TO.
    pub to: String,
    /// The release of FROM.
    pub release: Recorded,
    /// TO's environment file.
    pub file: String,
    /// Its text now.
    pub before: String,
    /// Its text with the release.
    pub after: String,
    /// What the user should know (names only; never values).
    pub warnings: Vec<String>,
}

impl Promotion {
    /// Whether TO's file already has the release's image and revision.
    pub fn unchanged(&self) -> bool {
        self.before == self.after
    }

    /// The commit message: what, from where, and the trailer that makes the
    /// release of this commit a `promotion`.
    pub fn message(&self) -> String {
        let r = &self.release.release;
        let mut body = format!("Image: {}\n", r.image);
        if let Some(revision) = &r.revision {
            body += &format!("Schema revision: {revision}\n");
        }
        body += &format!(
            "From {}'s release {}{}.\n",
            self.from,
            self.release.id,
            r.commit
                .as_deref()
                .map(|c| format!(" of commit {}", short_sha(c)))
                .unwrap_or_default()
        );
        format!(
            "Promote {from} {id} to {to}\n\n{body}\n{PROMOTE_TRAILER}: {from} {id} -> {to}\n",
            from = self.from,
            id = self.release.id,
            to = self.to,
        )
    }

    /// The changed lines, `-` before and `+` after, with their file and
    /// line numbers.
    pub fn diff(&self) -> String {
        let mut out = format!("--- {0}\n+++ {0}\n", self.file);
        for (n, (old, new)) in self.before.lines().zip(self.after.lines()).enumerate() {
            if old != new {
                out += &format!("@@ line {} @@\n-{old}\n+{new}\n", n + 1);
            }
        }
        out
    }
}

/// What `promote FROM TO` would do now, in one line for `/status` and the
/// web UI: "staging v12 can go to production", that TO already runs it,
/// or the gate that blocks it. From what the controller last saw of FROM
/// (its newest releases, the images its services run) and of TO (its
/// recorded revision, its freeze); the image's presence in ECR is checked
/// by `promote` itself.
pub fn candidate_line(
    from: &str,
    from_releases: &[Recorded],
    from_running: &BTreeSet<String>,
    to: &Environment,
    to_revision: Option<&str>,
    to_frozen: Option<&crate::guard::Freeze>,
    now: SystemTime,
) -> String {
    let release = match gate::candidate(from, from_releases, from_running, None) {
        Ok(release) => release,
        Err(e) => return e.to_string(),
    };
    if release.release.image == to.image
        && (release.release.revision.is_none()
            || to.migration.as_ref().map(|m| &m.revision) == release.release.revision.as_ref())
    {
        return format!("{} already has {from} {}", to.name, release.id);
    }
    match gate::check(from, to, release, to_revision, to_frozen, now) {
        Ok(()) => format!(
            "{from} {} can go to {}: deckhand promote {from} {}",
            release.id, to.name, to.name
        ),
        Err(e) => e.to_string(),
    }
}

/// The images the services of `env` run now (the release container's).
pub(crate) fn running_images(
    env: &Environment,
    live: &crate::live::LiveEnvironment,
) -> BTreeSet<String> {
    env.services
        .iter()
        .filter_map(|s| {
            let td = &live.services.get(&s.name)?.task_definition.spec;
            td.container_definitions
                .iter()
                .flatten()
                .find(|c| c.name.as_deref() == Some(s.container.as_str()))?
                .image
                .clone()
        })
        .collect()
}

/// Pick `from`'s release (or `asked`), check the gates of `to`, and compute
/// `to`'s file with it. `from_ecs` and `to_ecs` are the clients of their
/// regions; nothing is changed.
pub async fn prepare<F: Ecs + Lookups, T: Ecs>(
    from_ecs: &F,
    to_ecs: &T,
    snapshot: &Snapshot,
    from: &Environment,
    to: &Environment,
    asked: Option<&str>,
    now: SystemTime,
) -> Result<Promotion, PromoteError> {
    if from.name == to.name {
        return Err(PromoteError::SameEnvironment {
            environment: from.name.clone(),
        });
    }
    let (live, to_cluster) = tokio::try_join!(
        crate::live::fetch(from_ecs, from),
        to_ecs.describe_cluster(&to.cluster),
    )?;
    let (_, freeze) = crate::guard::read(&to_cluster.tags, &to.name);
    let running = running_images(from, &live);
    let (_, release) = pick_from_history(from_ecs, &from.name, |history| {
        gate::candidate(&from.name, history, &running, asked).cloned()
    })
    .await?;
    let to_revision = to_cluster.tags.get(&to.revision_tag()).cloned();
    gate::check(
        &from.name,
        to,
        &release,
        to_revision.as_deref(),
        freeze.as_ref(),
        now,
    )?;
    let mut warnings = image_check(from_ecs, &from.name, &release).await?;
    if let Some((window, end)) = crate::guard::window::blocking(&to.sync.windows, now) {
        warnings.push(format!(
            "{}'s {} is open until {}: the commit is written now, and released when it closes",
            to.name,
            window.describe(),
            crate::guard::rfc3339(end)
        ));
    }

    let r = &release.release;
    let invalid = |source| PromoteError::Invalid {
        from: from.name.clone(),
        to: to.name.clone(),
        id: release.id.clone(),
        source: Box::new(source),
    };
    let before = snapshot
        .read(&to.file)
        .map_err(|e| invalid(SpecError::Source(e)))?;
    let edit = |text: &str, path: &[&str], value: &str| {
        set_scalar(text, &FieldPath::keys(path), value).map_err(|source| PromoteError::Edit {
            file: to.file.clone(),
            source,
        })
    };
    let mut after = edit(&before, &["image"], &r.image)?;
    match (&r.revision, &to.migration) {
        (Some(revision), Some(_)) => after = edit(&after, &["migration", "revision"], revision)?,
        (Some(revision), None) => warnings.push(format!(
            "{} has no migration block: {} {}'s schema revision {revision} is not promoted; its database must already have it",
            to.name, from.name, release.id
        )),
        (None, _) => {}
    }
    crate::spec::load_text(snapshot, &to.name, &after).map_err(invalid)?;
    warnings.extend(missing_names(from, to));
    Ok(Promotion {
        from: from.name.clone(),
        to: to.name.clone(),
        release,
        file: to.file.clone(),
        before,
        after,
        warnings,
    })
}

/// The release's image must still be in ECR; an image elsewhere, or a
/// lookup these credentials may not make, is a warning.
async fn image_check<E: Lookups>(
    ecs: &E,
    from: &str,
    release: &Recorded,
) -> Result<Vec<String>, PromoteError> {
    let image = &release.release.image;
    let Some(ecr) = crate::preflight::need::ecr_image(image) else {
        return Ok(vec![format!("image {image} is not in ECR: not checked")]);
    };
    let references = [ecr.reference.clone()];
    match ecs
        .describe_images(&ecr.region, &ecr.account, &ecr.repository, &references)
        .await
    {
        Ok(found) if found.contains(&ecr.reference) => Ok(Vec::new()),
        Ok(_) => Err(PromoteError::ImageGone {
            from: from.to_owned(),
            id: release.id.clone(),
            image: image.clone(),
        }),
        Err(AwsError::AccessDenied { action, .. }) => Ok(vec![format!(
            "could not check that {image} is in ECR: these credentials may not call {action}"
        )]),
        Err(e) => Err(e.into()),
    }
}

/// Environment variable and secret names FROM's definitions give a
/// container that TO's do not (per service both have): names only.
fn missing_names(from: &Environment, to: &Environment) -> Vec<String> {
    fn names(env: &Environment) -> BTreeMap<(String, String), BTreeSet<String>> {
        let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for r in crate::spec::render::definitions(env) {
            let service = r.service.unwrap_or_else(|| "migration".into());
            for c in r.task_definition.container_definitions.iter().flatten() {
                let entry = out
                    .entry((service.clone(), c.name.clone().unwrap_or_default()))
                    .or_default();
                let env_names = c
                    .environment
                    .iter()
                    .flatten()
                    .filter_map(|v| v.name.clone());
                let secret_names = c
                    .secrets
                    .iter()
                    .flatten()
                    .filter_map(|s| s.name.as_ref().map(|n| format!("secret {n}")));
                entry.extend(env_names.chain(secret_names));
            }
        }
        out
    }
    let theirs = names(to);
    names(from)
        .into_iter()
        .filter_map(|(key, mine)| {
            let lacking: Vec<String> = mine.difference(theirs.get(&key)?).cloned().collect();
            (!lacking.is_empty()).then(|| {
                format!(
                    "{}: container {}: {} has {} that {} does not: check that the release does not need {}",
                    key.0,
                    key.1,
                    from.name,
                    lacking.join(", "),
                    to.name,
                    if lacking.len() == 1 { "it" } else { "them" }
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_source_has_and_the_target_lacks_are_warned_of_by_name_only() {
        let mut staging = crate::testkit::environment("registry/shop:2", Some("r2"));
        staging.name = "staging".into();
        let mut production = staging.clone();
        production.name = "production".into();
        let web = staging
            .services
            .iter_mut()
            .find(|s| s.name == "web")
            .unwrap();
        web.environment
            .insert("FEATURE_CHECKOUT_V2".into(), "on-secret-value".into());
        let warnings = missing_names(&staging, &production);
        // web, and the migration (made from web's definition).
        let places: Vec<&str> = warnings
            .iter()
            .map(|w| w.split(':').next().unwrap())
            .collect();
        assert_eq!(places, ["migration", "web"], "{warnings:?}");
        assert!(
            warnings[1].starts_with(
                "web: container app: staging has FEATURE_CHECKOUT_V2 that production does not"
            ),
            "{warnings:?}"
        );
        assert!(
            !warnings.concat().contains("on-secret-value"),
            "values are never shown"
        );
        assert!(
            missing_names(&production, &staging).is_empty(),
            "the other way round: nothing lacks"
        );
    }
}
