//! The environment spec: `environments/<name>.yaml` read from a config repo
//! snapshot, checked, and turned into a validated [`Environment`].
//!
//! `raw` is what the YAML says (serde + JSON Schema); this module applies the
//! defaults, parses durations, resolves and loads every referenced file
//! (templates, CreateService inputs) inside the repo, and checks what types
//! cannot: at least one service, counts ≥ 0, names that must refer to services,
//! the container present in each template. Every problem becomes a
//! [`Diagnostic`] naming the file, line and field, with a hint; all problems of
//! a file are reported together.
//!
//! Not for: rendering task definitions ([`render`]) or anything that talks to ECS.

mod autoscaling;
pub mod diagnostic;
pub mod edit;
pub mod ignore;
pub mod limits;
pub mod locate;
pub mod raw;
pub mod reference;
pub mod render;
pub mod schema;
pub use autoscaling::policy_name;
mod validate;

use crate::source::{Snapshot, SourceError};
use crate::taskdef::model::TaskDefinitionSpec;
pub use diagnostic::{Diagnostic, SpecError};
use indexmap::IndexMap;
pub use locate::FieldPath;

use std::time::Duration;

/// Default `migration.timeout`.
pub const DEFAULT_MIGRATION_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default `deploy.timeout`.
pub const DEFAULT_DEPLOY_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The hint for a count too large for ECS (or for any integer type).
const TOO_LARGE_HINT: &str = "set a realistic task count";

/// A validated environment: every default applied, every file loaded.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The environment name (the spec file's stem).
    pub name: String,
    /// The spec file, repo-relative (`environments/staging.yaml`).
    pub file: String,
    /// ECS cluster name.
    pub cluster: String,
    /// AWS region, when the spec sets one.
    pub region: Option<String>,
    /// The release image.
    pub image: String,
    /// The migration, when the spec has one.
    pub migration: Option<Migration>,
    /// Services in spec order.
    pub services: Vec<Service>,
    /// Rollout policy.
    pub deploy: DeployPolicy,
    /// Controller policy.
    pub sync: SyncPolicy,
    /// Notification targets.
    pub notifications: Vec<Notification>,
    /// Where releases may be promoted from.
    pub promotion: PromotionPolicy,
    /// The IAM role assumed for every call on this environment.
    pub role_arn: Option<String>,
    /// The external id sent when assuming it.
    pub role_external_id: Option<String>,
    /// The smoke test run after the rollouts.
    pub smoke_test: Option<SmokeTest>,
    /// Fields kept at their live value (`ignore:`).
    pub ignore: Vec<ignore::IgnoreRule>,
    /// Who signed the commit the spec was read from, under `--trust`.
    pub signer: Option<String>,
}

/// One ECS service of an environment.
#[derive(Debug, Clone)]
pub struct Service {
    /// ECS service name.
    pub name: String,
    /// Task-definition family.
    pub family: String,
    /// Desired task count; None = leave the live count alone.
    pub desired_count: Option<i32>,
    /// The container that runs the release image.
    pub container: String,
    /// Command override for `container`.
    pub command: Option<Vec<String>>,
    /// Environment variables merged into `container`.
    pub environment: IndexMap<String, String>,
    /// The template file, repo-relative.
    pub template_path: String,
    /// The parsed template (shared by the services that use the same file).
    pub template: std::sync::Arc<TaskDefinitionSpec>,
    /// The service definition: the whole ECS service, created from it and
    /// kept in sync with it (None: only the task definition and count are
    /// managed, and a missing service is an error).
    pub service_definition: Option<ServiceDefinitionFile>,
    /// Declared Application Auto Scaling (policy names as in AWS); None:
    /// not managed.
    pub autoscaling: Option<crate::ecs::Autoscaling>,
}

/// A service-definition file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDefinitionFile {
    /// Repo-relative path.
    pub path: String,
    /// CreateService input without the fields the spec owns.
    pub definition: std::sync::Arc<crate::servicedef::ServiceDefinition>,
}

/// The migration of an environment.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Desired schema revision.
    pub revision: String,
    /// Command override for the migration container.
    pub command: Vec<String>,
    /// How long the task may run before it is stopped and the apply fails.
    pub timeout: Duration,
    /// Services scaled to 0 while the migration runs.
    pub quiesce: Vec<String>,
    /// Service whose template, launch type and network the task uses.
    pub network_from: String,
}

/// A smoke test: a one-off task after the rollouts that must exit 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeTest {
    /// Command override for the service's container.
    pub command: Vec<String>,
    /// How long it may run.
    pub timeout: Duration,
    /// Service whose task definition, launch type and network it uses.
    pub service: String,
}

/// How long a smoke test may run when `timeout` is not given.
pub const DEFAULT_SMOKE_TEST_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// `deploy:` with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployPolicy {
    /// Rollout wait.
    pub timeout: Duration,
    /// Put services back on a failed rollout.
    pub rollback: bool,
}

/// `sync:` with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPolicy {
    /// Apply new commits automatically.
    pub auto: bool,
    /// Revert live drift.
    pub self_heal: bool,
    /// Skip the environment.
    pub suspend: bool,
    /// Deny windows: releases wait while one is open.
    pub windows: Vec<crate::guard::window::Window>,
}

/// Where releases of an environment may be promoted from (`promotion:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromotionPolicy {
    /// The only environment `promote` may take releases from; None = any.
    pub from: Option<String>,
    /// How long a release must have run in the source first.
    pub soak: Option<Duration>,
}

/// A notification target; holds the *name* of the env var with the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// Slack incoming webhook.
    Slack {
        webhook_url_from: String,
        /// The events sent (None: all).
        events: Option<Vec<raw::NotificationEvent>>,
    },
    /// Generic JSON webhook.
    Webhook {
        url_from: String,
        /// The events sent (None: all).
        events: Option<Vec<raw::NotificationEvent>>,
    },
}

impl Environment {
    /// Where its AWS clients reach: its region, as its `roleArn` (session
    /// `deckhand-<environment>`) when it has one.
    pub fn reach(&self) -> crate::ecs::session::Reach {
        crate::ecs::session::Reach {
            region: self.region.clone(),
            role: self.role_arn.as_ref().map(|arn| crate::ecs::session::Role {
                arn: arn.clone(),
                session: format!("deckhand-{}", self.name),
                external_id: self.role_external_id.clone(),
            }),
        }
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Family of the migration task definition.
    pub fn migration_family(&self) -> String {
        format!("{}-migrate", self.name)
    }

    /// Name of the cluster tag that records the applied schema revision.
    pub fn revision_tag(&self) -> String {
        crate::tags::schema_revision(&self.name)
    }

    /// Name of the cluster tag that records the last release's result.
    pub fn last_release_tag(&self) -> String {
        crate::tags::last_release(&self.name)
    }

    /// Name of the cluster tag that marks a release in progress (written
    /// before its first change, removed with its lease at its end): left
    /// behind, it names a release that was interrupted.
    pub fn release_tag(&self) -> String {
        crate::tags::release_in_progress(&self.name)
    }

    /// `startedBy` of the one-off tasks deckhand starts for this environment.
    pub fn started_by(&self) -> String {
        format!("deckhand/{}", self.name)
    }
}

/// Path of an environment's spec file.
pub fn environment_file(name: &str) -> String {
    format!("environments/{name}.yaml")
}

/// Load and validate one environment from a snapshot.
pub fn load(snapshot: &Snapshot, name: &str) -> Result<Environment, SpecError> {
    if let Some(why) = limits::environment_name(name) {
        return Err(SpecError::BadEnvironmentName {
            name: diagnostic::clip(name, 80),
            why,
        });
    }
    let file = environment_file(name);
    let text = match snapshot.read(&file) {
        Ok(text) if text.len() > limits::MAX_SPEC_BYTES => {
            return Err(SpecError::SpecTooLarge {
                name: name.to_owned(),
                kib: text.len() / 1024,
                max_kib: limits::MAX_SPEC_BYTES / 1024,
            });
        }
        Ok(text) => text,
        Err(SourceError::IsDirectory { .. }) => {
            return Err(SpecError::SpecIsDirectory {
                name: name.to_owned(),
            });
        }
        Err(SourceError::NotFound { .. }) => {
            return Err(SpecError::NoSuchEnvironment {
                name: name.to_owned(),
                available: snapshot.environment_names().unwrap_or_default(),
            });
        }
        Err(e) => return Err(SpecError::Source(e)),
    };
    load_text(snapshot, name, &text)
}

/// Load environment `name` as if its file held `text` (the other files as
/// the snapshot has them): how a change deckhand writes is validated
/// before it is written.
pub fn load_text(snapshot: &Snapshot, name: &str, text: &str) -> Result<Environment, SpecError> {
    let file = environment_file(name);
    let raw = parse(&file, text)?;
    let mut env = validate::Validator::new(snapshot, name, &file, text).validate(raw)?;
    env.signer = snapshot.signer().map(str::to_owned);
    Ok(env)
}

/// Parse the YAML text of a spec file into its raw form. An error names the
/// field being read when it happened, tracked by `serde_path_to_error`.
pub fn parse(file: &str, text: &str) -> Result<raw::EnvironmentFile, SpecError> {
    let mut path = FieldPath::default();
    serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = FieldPath::from(e.path());
            e.into_inner()
        })
    })
    .map_err(|e| SpecError::Invalid(vec![Diagnostic::from_yaml_error(file, text, &e, &path)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::RepoLocation;

    const FILE: &str = "environments/t.yaml";
    const GOOD: &str = "\
cluster: c
image: i
taskDefinition: td.json
services:
  web:
    desiredCount: 2
";

    /// The single diagnostic of a spec that does not parse.
    fn parse_error(yaml: &str) -> Diagnostic {
        match parse(FILE, yaml) {
            Err(SpecError::Invalid(mut found)) if found.len() == 1 => found.remove(0),
            other => panic!("expected one diagnostic, got {other:?}"),
        }
    }

    /// The diagnostics of loading `yaml` from a repo that also holds `td.json`.
    fn load_errors(yaml: &str, template: &str) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("environments")).unwrap();
        std::fs::write(dir.path().join(FILE), yaml).unwrap();
        std::fs::write(dir.path().join("td.json"), template).unwrap();
        let snapshot = Snapshot::open(&RepoLocation {
            repo: dir.path().to_str().unwrap().to_owned(),
            git_ref: None,
            cache_dir: dir.path().join("cache"),
            auth: Default::default(),
            trust: None,
        })
        .unwrap();
        match load(&snapshot, "t") {
            Err(SpecError::Invalid(found)) => found,
            other => panic!("expected diagnostics, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_names_the_field_path_what_it_expects_and_what_was_found() {
        let d = parse_error(&GOOD.replace("desiredCount: 2", "desiredCount: two"));
        assert_eq!(d.field, "services.web.desiredCount");
        assert_eq!(d.position, Some((6, 19)));
        assert_eq!(d.message, "expected a non-negative integer, found `two`");
        assert_eq!(d.hint, "e.g. `desiredCount: 2`");
    }

    #[test]
    fn a_wrong_value_in_a_map_is_named_by_its_key() {
        let d = parse_error(&GOOD.replace("desiredCount: 2", "environment: {A: [1]}"));
        assert_eq!(d.field, "services.web.environment.A");
        assert_eq!(
            d.message,
            "expected a string, number or boolean, found a list"
        );
    }

    #[test]
    fn a_string_where_a_list_belongs_says_list() {
        let d = parse_error(&GOOD.replace("desiredCount: 2", "command: bin/rails server"));
        assert_eq!(d.field, "services.web.command");
        assert!(d.message.starts_with("expected a list of strings"), "{d}");
        assert!(d.message.ends_with("found `bin/rails server`"), "{d}");
    }

    #[test]
    fn an_integer_too_large_for_any_type_is_too_large_for_ecs() {
        let d = parse_error(&GOOD.replace("desiredCount: 2", "desiredCount: 99999999999999999999"));
        assert_eq!(d.field, "services.web.desiredCount");
        assert_eq!(d.message, "99999999999999999999 is larger than ECS allows");
        assert_eq!(d.hint, TOO_LARGE_HINT);
    }

    #[test]
    fn a_missing_field_points_at_the_mapping_that_lacks_it() {
        let yaml = format!("{GOOD}migration:\n  revision: \"1\"\n  timeout: 5m\n");
        let d = parse_error(&yaml);
        assert_eq!(d.field, "migration");
        assert_eq!(d.position, Some((7, 1)));
        assert_eq!(d.message, "missing field `command`");
        assert_eq!(d.hint, "add `command: [bin/rails, db:migrate]`");
    }

    #[test]
    fn a_missing_top_level_field_points_at_no_unrelated_line() {
        let d = parse_error(&GOOD.replace("cluster: c\n", ""));
        assert_eq!(d.position, None);
        assert_eq!(d.message, "missing field `cluster`");
        assert_eq!(d.hint, "add `cluster: <ECS cluster name>`");
    }

    #[test]
    fn a_duplicate_key_is_named_without_advice_for_programmers() {
        let d = parse_error(&format!("{GOOD}    desiredCount: 3\n"));
        assert_eq!(d.field, "services.web");
        assert_eq!(d.position.map(|p| p.0), Some(7));
        assert_eq!(d.message, "duplicate key `desiredCount`");
        assert!(!d.to_string().contains("DuplicateKeyPolicy"), "{d}");
    }

    #[test]
    fn a_misspelt_field_gets_the_nearest_known_one_as_hint() {
        let d = parse_error(&GOOD.replace("desiredCount", "desiredCont"));
        assert_eq!(d.field, "services.web");
        assert!(d.hint.starts_with("did you mean `desiredCount`?"), "{d}");
    }

    #[test]
    fn an_unclosed_bracket_is_reported_on_the_line_that_opens_it() {
        let yaml = GOOD.replace(
            "    desiredCount: 2",
            "    command: [a, b\n    desiredCount: 2",
        );
        let d = parse_error(&yaml);
        assert_eq!(d.position, Some((6, 14)));
        assert!(d.message.starts_with("this `[` is never closed"), "{d}");
        assert_eq!(d.hint, "close it with `]`, e.g. `command: [a, b]`");
    }

    #[test]
    fn a_line_indented_between_two_levels_is_called_an_indentation_problem() {
        let yaml = format!("{GOOD}   worker:\n    desiredCount: 1\n");
        let d = parse_error(&yaml);
        assert!(d.message.contains("indentation"), "{d}");
        assert!(d.hint.contains("indented"), "{d}");
    }

    #[test]
    fn an_empty_file_is_called_empty() {
        let d = parse_error("# nothing yet\n");
        assert_eq!(d.message, "the file is empty");
        assert!(d.hint.contains("cluster"), "{d}");
    }

    #[test]
    fn a_document_that_is_not_a_mapping_says_mapping() {
        let d = parse_error("- cluster: c\n");
        assert_eq!(d.field, "");
        assert_eq!(d.position, Some((1, 1)));
        assert!(d.message.starts_with("expected a mapping"), "{d}");
        assert!(d.message.ends_with("found a list"), "{d}");
    }

    #[test]
    fn task_definition_errors_use_json_words_and_one_based_columns() {
        let err = crate::taskdef::model::parse_task_definition("[\n]").unwrap_err();
        let d = Diagnostic::from_definition_error(
            "td.json",
            "[\n]",
            &err,
            crate::spec::diagnostic::TASK_DEFINITION_INPUT,
        );
        assert_eq!(d.position, Some((1, 1)));
        assert_eq!(d.message, "invalid type: array, expected a JSON object");
        let json = r#"{"containerDefinitions": [{"memoryReservation": "512 MB"}]}"#;
        let err = crate::taskdef::model::parse_task_definition(json).unwrap_err();
        let d = Diagnostic::from_definition_error(
            "td.json",
            json,
            &err,
            crate::spec::diagnostic::TASK_DEFINITION_INPUT,
        );
        assert_eq!(
            d.message,
            "invalid type: string \"512 MB\", expected an integer"
        );
    }

    #[test]
    fn a_url_in_place_of_a_variable_name_is_located_and_never_printed() {
        let url = "https://hooks.slack.com/services/T0/B0/SECRET";
        let yaml = format!(
            "{GOOD}notifications:\n  - webhook: {{urlFrom: OK_VAR}}\n  - slack: {{webhookUrlFrom: {url}}}\n"
        );
        let found = load_errors(&yaml, r#"{"containerDefinitions": [{"name": "app"}]}"#);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.field, "notifications[1].slack.webhookUrlFrom");
        assert_eq!(d.position, Some((9, 5)));
        assert!(d.message.contains("looks like a URL"), "{d}");
        assert!(!d.to_string().contains("SECRET"), "{d}");
    }

    #[test]
    fn a_shared_template_without_containers_is_reported_once_at_its_own_field() {
        let yaml = format!("{GOOD}  worker: {{}}\n");
        let found = load_errors(&yaml, r#"{"containerDefinitions": []}"#);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "taskDefinition");
        assert_eq!(found[0].position, Some((3, 1)));
    }
}
