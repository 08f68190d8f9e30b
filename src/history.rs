//! Release history, kept in ECS itself: every release that changed
//! something is recorded as one revision of the task-definition family
//! `deckhand-<environment>-releases`, whose one (never run) container carries
//! the record as JSON in its environment. Revisions are immutable, numbered
//! in order, kept by ECS for as long as the family exists, and readable from
//! any machine with the same credentials — no store beyond ECS.
//!
//! Writing is one RegisterTaskDefinition per release; reading the newest N is
//! one ListTaskDefinitions and N DescribeTaskDefinition calls (immutable, so
//! cached by ARN). Records are never deleted; `history --limit` bounds what is
//! read.

use crate::ecs::{AwsError, Ecs};
use crate::taskdef::model::{ContainerDefinition, KeyValuePair, TaskDefinitionSpec};
use serde::{Deserialize, Serialize};

/// The variable holding the record.
const RECORD_VARIABLE: &str = "DECKHAND_RELEASE";
/// The image of the record's container (never pulled: nothing runs it).
const RECORD_IMAGE: &str = "deckhand/release-record";

/// Where a release came from: a commit people wrote, or one that `promote`
/// or `rollback` wrote (told by its trailer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseKind {
    /// An ordinary commit.
    #[default]
    Release,
    /// A commit `deckhand promote` wrote (`Deckhand-Promote:` trailer).
    Promotion,
    /// A commit `deckhand rollback` wrote (`Deckhand-Rollback:` trailer).
    Rollback,
}

/// The trailer `deckhand promote` writes on its commits.
pub const PROMOTE_TRAILER: &str = "Deckhand-Promote";
/// The trailer `deckhand rollback` writes on its commits.
pub const ROLLBACK_TRAILER: &str = "Deckhand-Rollback";

impl ReleaseKind {
    /// The kind of a release of the commit with this message: by its
    /// trailers (the last paragraph's `Key: value` lines).
    pub fn of_commit_message(message: &str) -> ReleaseKind {
        let trailers = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
        let has = |key: &str| {
            trailers.lines().any(|line| {
                line.split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            })
        };
        if has(ROLLBACK_TRAILER) {
            ReleaseKind::Rollback
        } else if has(PROMOTE_TRAILER) {
            ReleaseKind::Promotion
        } else {
            ReleaseKind::Release
        }
    }

    /// `release`, `promotion` or `rollback`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseKind::Release => "release",
            ReleaseKind::Promotion => "promotion",
            ReleaseKind::Rollback => "rollback",
        }
    }
}

/// A release as the history lists it: its id (`v7`, the revision of its
/// record) and the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    /// `v<N>`: N increases with every release of the environment.
    pub id: String,
    /// The record.
    #[serde(flatten)]
    pub release: Release,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// `release`, `promotion` or `rollback` (records written before kinds
    /// existed read as `release`).
    #[serde(default)]
    pub kind: ReleaseKind,
    /// When it started (RFC 3339, seconds).
    pub started: String,
    /// When it ended.
    pub finished: String,
    /// The config commit (None for a plain directory).
    pub commit: Option<String>,
    /// The release image.
    pub image: String,
    /// The schema revision the spec asked for (None without a migration block).
    pub revision: Option<String>,
    /// Whether a migration ran and exited 0 in this release.
    pub migrated: bool,
    /// `succeeded`, `failed:<step>` or `rolled-back`.
    pub result: String,
    /// Why it failed (first line).
    pub reason: Option<String>,
    /// Who released it (the lease owner: host and process).
    pub by: String,
}

impl Release {
    /// The step a failed release failed at (its result is `failed:<step>`).
    pub fn failed_step(&self) -> Option<&str> {
        self.result.strip_prefix("failed:")
    }
}

/// The family that holds `environment`'s records.
pub fn family(environment: &str) -> String {
    format!("deckhand-{environment}-releases")
}

/// The task definition recording `release`: pure.
pub fn record_definition(environment: &str, release: &Release) -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        family: Some(family(environment)),
        container_definitions: Some(vec![ContainerDefinition {
            name: Some("release".into()),
            image: Some(RECORD_IMAGE.into()),
            memory: Some(6),
            essential: Some(true),
            environment: Some(vec![KeyValuePair {
                name: Some(RECORD_VARIABLE.into()),
                value: Some(serde_json::to_string(release).expect("serializes")),
            }]),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

/// The release a record definition holds; None for anything else.
pub fn parse(definition: &TaskDefinitionSpec) -> Option<Release> {
    let container = definition.container_definitions.as_ref()?.first()?;
    let value = container
        .environment
        .iter()
        .flatten()
        .find(|v| v.name.as_deref() == Some(RECORD_VARIABLE))?
        .value
        .as_deref()?;
    serde_json::from_str(value).ok()
}

/// Record one release.
pub async fn record<E: Ecs>(ecs: &E, environment: &str, release: &Release) -> Result<(), AwsError> {
    ecs.register_task_definition(&record_definition(environment, release))
        .await
        .map(drop)
}

/// The newest `limit` releases of `environment`, newest first.
pub async fn list<E: Ecs>(
    ecs: &E,
    environment: &str,
    limit: usize,
) -> Result<Vec<Recorded>, AwsError> {
    let arns = ecs
        .list_task_definitions(&family(environment), limit)
        .await?;
    let described = crate::ecs::describe_task_definitions(ecs, &arns).await?;
    Ok(arns
        .iter()
        .filter_map(|arn| {
            let release = described.get(arn).and_then(|td| parse(&td.spec))?;
            Some(Recorded {
                id: format!("v{}", arn.rsplit_once(':')?.1),
                release,
            })
        })
        .collect())
}

/// `v7` → 7; None for anything else.
pub fn id_number(id: &str) -> Option<u64> {
    id.strip_prefix('v')?.parse().ok().filter(|n| *n > 0)
}

/// The releases as text, one per line, newest first.
pub fn text(environment: &str, releases: &[Recorded]) -> String {
    if releases.is_empty() {
        return format!("{environment}: no releases recorded\n");
    }
    let mut out = format!(
        "{:<5}  {:<9}  {:<20}  {:<20}  {:<12}  {:<24}  {:<25}  RESULT\n",
        "ID", "KIND", "STARTED", "FINISHED", "COMMIT", "IMAGE", "REVISION"
    );
    for Recorded { id, release: r } in releases {
        let image = r.image.rsplit('/').next().unwrap_or(&r.image);
        let revision = match (&r.revision, r.migrated) {
            (Some(rev), true) => format!("{rev} (migrated)"),
            (Some(rev), false) => rev.clone(),
            (None, _) => "-".into(),
        };
        out += &format!(
            "{:<5}  {:<9}  {:<20}  {:<20}  {:<12}  {:<24}  {:<25}  {}{}\n",
            id,
            r.kind.as_str(),
            r.started,
            r.finished,
            r.commit
                .as_deref()
                .map(crate::source::short_sha)
                .unwrap_or("-"),
            image,
            revision,
            r.result,
            r.reason
                .as_deref()
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(result: &str) -> Release {
        Release {
            kind: ReleaseKind::Release,
            started: "2026-12-01T14:00:00Z".into(),
            finished: "2026-12-01T14:03:10Z".into(),
            commit: Some("3f9c2e1aa5b6c7d8e9f0".into()),
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1".into(),
            revision: Some("20261201000000".into()),
            migrated: result == "succeeded",
            result: result.into(),
            reason: (result != "succeeded").then(|| "task stopped with exit code 1".into()),
            by: "deckhand@ci-1".into(),
        }
    }

    #[test]
    fn a_failed_record_names_its_step_and_a_finished_interrupted_one_is_classified_by_it() {
        use crate::apply::ApplyError;
        use crate::ecs::ErrorClass;
        assert_eq!(release("failed:migrate").failed_step(), Some("migrate"));
        assert_eq!(release("rolled-back").failed_step(), None);
        assert_eq!(release("succeeded").failed_step(), None);
        let ended = |result| ApplyError::EndedBefore {
            record: Box::new(release(result)),
        };
        // A failed migration waits for a new commit; anything else is retried.
        assert_eq!(ended("failed:migrate").class(), ErrorClass::Terminal);
        assert_eq!(ended("failed:rollout").class(), ErrorClass::Retryable);
        assert_eq!(ended("rolled-back").class(), ErrorClass::Retryable);
        assert!(
            ended("failed:migrate")
                .to_string()
                .contains("had already ended failed:migrate (task stopped with exit code 1)")
        );
    }

    #[test]
    fn a_commit_written_by_promote_or_rollback_is_told_by_its_trailer() {
        let kind = ReleaseKind::of_commit_message;
        assert_eq!(kind("Bump image\n"), ReleaseKind::Release);
        assert_eq!(
            kind(
                "Promote staging v12 to production\n\nImage x.\n\nDeckhand-Promote: staging v12 -> production\n"
            ),
            ReleaseKind::Promotion
        );
        assert_eq!(
            kind(
                "Roll back production to v11\n\nDeckhand-Rollback: production v13 -> v11\nDeckhand-Reason: 500s\n"
            ),
            ReleaseKind::Rollback
        );
        // Only in the trailers: a subject that mentions one is an ordinary commit.
        assert_eq!(
            kind("Deckhand-Promote: how it works\n\nA paragraph.\n"),
            ReleaseKind::Release
        );
        // Records from before kinds read as releases.
        let old = r#"{"started":"a","finished":"b","commit":null,"image":"i","revision":null,"migrated":false,"result":"succeeded","reason":null,"by":"x"}"#;
        assert_eq!(
            serde_json::from_str::<Release>(old).unwrap().kind,
            ReleaseKind::Release
        );
    }

    #[test]
    fn a_record_round_trips_through_its_definition() {
        let r = release("failed:migrate");
        let td = record_definition("staging", &r);
        assert_eq!(td.family.as_deref(), Some("deckhand-staging-releases"));
        // What ECS describes back is the same JSON: the record survives.
        let json = serde_json::to_string(&td).unwrap();
        let back: TaskDefinitionSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(parse(&back), Some(r));
    }

    #[test]
    fn the_text_lists_newest_first_with_results_and_reasons() {
        let out = text(
            "staging",
            &[
                Recorded {
                    id: "v2".into(),
                    release: release("failed:migrate"),
                },
                Recorded {
                    id: "v1".into(),
                    release: Release {
                        kind: ReleaseKind::Promotion,
                        ..release("succeeded")
                    },
                },
            ],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].contains("shop:3f9c2e1")
                && lines[1].ends_with("failed:migrate: task stopped with exit code 1"),
            "{out}"
        );
        assert!(
            lines[2].contains("20261201000000 (migrated)") && lines[2].ends_with("succeeded"),
            "{out}"
        );
        assert!(lines[1].starts_with("v2     release "), "{out}");
        assert!(lines[2].starts_with("v1     promotion "), "{out}");
        assert_eq!(text("staging", &[]), "staging: no releases recorded\n");
    }
}
