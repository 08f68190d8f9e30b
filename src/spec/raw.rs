//! The environment spec exactly as `environments/<name>.yaml` writes it.
//!
//! These types are what serde reads and what the JSON Schema
//! (`schemas/environment.schema.json`) is generated from. They accept any
//! well-typed document and reject unknown fields; everything that needs more
//! than the type system (counts ≥ 0, durations, paths, names that must refer to
//! services) is checked when they are turned into [`crate::spec::Environment`].
//!
//! Keep serde attributes simple here (no `flatten`, no `untagged`): the YAML
//! parser loses source locations inside buffered values.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, de};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// One environment: an ECS cluster, the release image, and the services that run it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "deckhand environment")]
#[schemars(extend("x-expects" = "a mapping of settings (cluster, image, services, …)", "x-example" = "`cluster: <ECS cluster name>`, `image: …` and `services: …`, each on its own line at the left margin"))]
pub struct EnvironmentFile {
    /// ECS cluster name.
    #[schemars(extend("x-expects" = "the ECS cluster name", "x-example" = "`cluster: <ECS cluster name>`"))]
    pub cluster: String,
    /// AWS region; default: the standard AWS configuration (`AWS_REGION`, profile).
    #[serde(default)]
    #[schemars(extend("x-expects" = "an AWS region name", "x-example" = "`region: eu-west-1`"))]
    pub region: Option<String>,
    /// IAM role deckhand assumes (from its own credentials) for every call on this
    /// environment, e.g. in another AWS account.
    #[serde(default)]
    #[schemars(extend("x-expects" = "an IAM role ARN", "x-example" = "`roleArn: arn:aws:iam::210987654321:role/deckhand`"))]
    pub role_arn: Option<String>,
    /// The external id `roleArn`'s trust policy asks for (`sts:ExternalId`), if it asks for one.
    #[serde(default)]
    #[schemars(extend("x-expects" = "the external id the role's trust policy names", "x-example" = "`roleExternalId: shop-7f3a`"))]
    pub role_external_id: Option<String>,
    /// The release image, set on `container` of every service's task definition.
    #[schemars(extend("x-expects" = "the release image reference", "x-example" = "`image: <registry>/<repository>:<tag>`"))]
    pub image: String,
    /// Default task-definition template (RegisterTaskDefinition input JSON), relative to the
    /// repo root. Required unless every service sets its own.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a template path relative to the repo root", "x-example" = "`taskDefinition: task-definitions/app.json`"))]
    pub task_definition: Option<String>,
    /// Default service definition (CreateService input JSON) for every service without its own,
    /// relative to the repo root: the whole ECS service, created and kept in sync.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a service-definition path relative to the repo root", "x-example" = "`serviceDefinition: service-definitions/app.json`"))]
    pub service_definition: Option<String>,
    /// Container that runs `image` (default: the template's first container).
    #[serde(default)]
    #[schemars(extend("x-expects" = "the name of a container of the template", "x-example" = "`container: app`"))]
    pub container: Option<String>,
    /// Database migration run as a one-off ECS task when `revision` differs from the recorded one.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with revision and command", "x-example" = "`migration: {revision: \"20261101000000\", command: [bin/rails, db:migrate]}`"))]
    pub migration: Option<MigrationBlock>,
    /// The ECS services of this environment, keyed by ECS service name (at least one).
    #[schemars(extend("x-expects" = "a mapping of ECS service name to settings", "x-example" = "`services: {web: {desiredCount: 2}}`, or one `<ECS service name>:` line per service under `services:`"))]
    pub services: IndexMap<String, ServiceBlock>,
    /// How service rollouts are awaited and undone.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with timeout and rollback", "x-example" = "`deploy: {timeout: 10m, rollback: true}`"))]
    pub deploy: Option<DeployBlock>,
    /// Controller policy for this environment.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with auto, selfHeal and suspend", "x-example" = "`sync: {auto: true, selfHeal: true, suspend: false}`"))]
    pub sync: Option<SyncBlock>,
    /// A one-off task run after the rollouts; it must exit 0 or the release fails.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with command, timeout and service", "x-example" = "`smokeTest: {command: [bin/rails, runner, \"Smoke.run!\"], timeout: 5m}`"))]
    pub smoke_test: Option<SmokeTestBlock>,
    /// Where releases of this environment come from (`deckhand promote`).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with from and soak", "x-example" = "`promotion: {from: staging, soak: 1h}`"))]
    pub promotion: Option<PromotionBlock>,
    /// Fields another tool owns (an APM agent, the platform team): left out of the diff
    /// and kept at their live value when a release changes the definitions.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of rules, each with service and taskDefinition or serviceDefinition pointers", "x-example" = "`- {service: web, taskDefinition: [/containerDefinitions/app/environment/NEW_RELIC_APP_NAME]}` under `ignore:`, one `- ` item per rule"))]
    pub ignore: Option<Vec<IgnoreBlock>>,
    /// Where release notifications are sent.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of targets", "x-example" = "`- slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}` under `notifications:`, one `- ` item per target"))]
    pub notifications: Option<Vec<NotificationBlock>>,
}

/// The `migration` block.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MigrationBlock {
    /// Desired schema revision. A YAML integer is accepted and kept as its decimal text.
    #[schemars(extend("x-expects" = "a string or an integer", "x-example" = "`revision: \"20261101000000\"` (the schema revision the release needs)"))]
    pub revision: Revision,
    /// Command override for the migration task's container, e.g. `[bin/rails, db:migrate]`.
    #[schemars(extend("x-expects" = "a list of strings, e.g. [bin/rails, db:migrate]", "x-example" = "`command: [bin/rails, db:migrate]`"))]
    pub command: Vec<String>,
    /// How long the migration may run (humantime, e.g. `30m`); default `30m`.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a duration such as 10m", "x-example" = "`timeout: 10m`"))]
    pub timeout: Option<String>,
    /// Services scaled to 0 before the migration and restored after it.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of service names", "x-example" = "`quiesce: [worker]`"))]
    pub quiesce: Option<Vec<String>>,
    /// Service whose launch type and network configuration the migration task uses
    /// (default: the first service).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a service name", "x-example" = "`networkFrom: web`"))]
    pub network_from: Option<String>,
}

/// One entry of `services`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a mapping of service settings (command, desiredCount, …)", "x-example" = "`web: {desiredCount: 2}`"))]
pub struct ServiceBlock {
    /// Command override for `container`.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of strings, e.g. [bin/rails, server]", "x-example" = "`command: [bin/rails, server]`"))]
    pub command: Option<Vec<String>>,
    /// Desired task count; omitted = never touch the live count (autoscaled services).
    #[serde(default)]
    #[schemars(range(min = 0))]
    #[schemars(extend("x-expects" = "a non-negative integer", "x-example" = "`desiredCount: 2`"))]
    pub desired_count: Option<i64>,
    /// Per-service task-definition template, relative to the repo root.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a template path relative to the repo root", "x-example" = "`taskDefinition: task-definitions/app.json`"))]
    pub task_definition: Option<String>,
    /// Task-definition family; default: the service name.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a task-definition family name", "x-example" = "`family: shop-web`"))]
    pub family: Option<String>,
    /// Environment variables merged into `container`'s environment.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping of variable name to value", "x-example" = "`environment: {RAILS_MAX_THREADS: \"5\"}`"))]
    pub environment: Option<IndexMap<String, ScalarString>>,
    /// This service's service definition (CreateService input JSON, or describe-services
    /// output), relative to the repo root: the whole ECS service, created and kept in sync.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a service-definition path relative to the repo root", "x-example" = "`serviceDefinition: service-definitions/web.json`"))]
    pub service_definition: Option<String>,
    /// Application Auto Scaling of this service: its capacity range and
    /// target-tracking policies, created and kept in sync (excludes `desiredCount`).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a mapping with minCapacity, maxCapacity and targetTracking", "x-example" = "`autoscaling: {minCapacity: 1, maxCapacity: 8, targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 60}]}`"))]
    pub autoscaling: Option<AutoscalingBlock>,
    /// The former name of `serviceDefinition`: read only to say it was renamed.
    #[serde(default)]
    #[schemars(skip)]
    pub create: Option<String>,
}

/// `services.<name>.autoscaling`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalingBlock {
    /// The fewest tasks the scaler may run.
    #[schemars(range(min = 0), extend("x-expects" = "a non-negative integer", "x-example" = "`minCapacity: 1`"))]
    pub min_capacity: i64,
    /// The most tasks the scaler may run (at least minCapacity).
    #[schemars(range(min = 0), extend("x-expects" = "a non-negative integer", "x-example" = "`maxCapacity: 8`"))]
    pub max_capacity: i64,
    /// Target-tracking policies; in AWS each is named `deckhand-<service>-<name>`,
    /// and policies with other names are left alone.
    #[serde(default)]
    pub target_tracking: Option<Vec<TargetTrackingBlock>>,
}

/// One entry of `autoscaling.targetTracking`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetTrackingBlock {
    /// The policy's short name (letters, digits, `-`, `_`), unique in the service.
    #[schemars(extend("x-expects" = "a policy name", "x-example" = "`name: cpu`"))]
    pub name: String,
    /// The metric kept at `targetValue`.
    #[schemars(extend("x-expects" = "a predefined metric", "x-example" = "`predefinedMetric: ECSServiceAverageCPUUtilization`"))]
    pub predefined_metric: PredefinedMetric,
    /// The metric's target value (a percentage for CPU and memory, requests per target for ALBRequestCountPerTarget).
    #[schemars(extend("x-expects" = "a number", "x-example" = "`targetValue: 60`"))]
    pub target_value: f64,
    /// For ALBRequestCountPerTarget: `app/<load-balancer>/<id>/targetgroup/<target-group>/<id>`.
    #[serde(default)]
    pub resource_label: Option<String>,
    /// Wait after a scale-in before the next (humantime, e.g. `5m`).
    #[serde(default)]
    pub scale_in_cooldown: Option<String>,
    /// Wait after a scale-out before the next (humantime, e.g. `1m`).
    #[serde(default)]
    pub scale_out_cooldown: Option<String>,
    /// Only scale out. Default false.
    #[serde(default)]
    pub disable_scale_in: Option<bool>,
}

/// A predefined metric of Application Auto Scaling for ECS services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PredefinedMetric {
    /// Average CPU of the service's tasks, in percent.
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    Cpu,
    /// Average memory of the service's tasks, in percent.
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    Memory,
    /// Requests per target of an ALB target group.
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

impl PredefinedMetric {
    /// As AWS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PredefinedMetric::Cpu => "ECSServiceAverageCPUUtilization",
            PredefinedMetric::Memory => "ECSServiceAverageMemoryUtilization",
            PredefinedMetric::AlbRequestCountPerTarget => "ALBRequestCountPerTarget",
        }
    }
}

/// The `deploy` block.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployBlock {
    /// How long to wait for a rollout (humantime); default `10m`.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a duration such as 10m", "x-example" = "`timeout: 10m`"))]
    pub timeout: Option<String>,
    /// On a failed rollout, put the services back on their previous task definitions; default true.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a boolean (true or false)", "x-example" = "`rollback: true`"))]
    pub rollback: Option<bool>,
}

/// The `smokeTest` block: a one-off task after the rollouts, on a service's
/// task definition and network, whose exit code gates the release.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmokeTestBlock {
    /// Command override for the service's container.
    #[schemars(extend("x-expects" = "a list of strings", "x-example" = "`command: [bin/rails, runner, \"Smoke.run!\"]`"))]
    pub command: Vec<String>,
    /// How long it may run before it is stopped and the release fails (default 5m).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a duration", "x-example" = "`timeout: 5m`"))]
    pub timeout: Option<String>,
    /// The service whose task definition, launch type and network it uses
    /// (default: migration.networkFrom, else the first service).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a service of this environment", "x-example" = "`service: web`"))]
    pub service: Option<String>,
}

/// The `promotion` block: the environment `promote` may take releases from,
/// and how long a release must have run there first.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromotionBlock {
    /// The only environment releases may be promoted from.
    #[serde(default)]
    #[schemars(extend("x-expects" = "an environment name", "x-example" = "`from: staging`"))]
    pub from: Option<String>,
    /// How long a release must have run in `from` before it may be promoted.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a duration", "x-example" = "`soak: 1h`"))]
    pub soak: Option<String>,
}

/// The `sync` block (controller policy).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncBlock {
    /// Apply new commits automatically; false = plan only. Default true.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a boolean (true or false)", "x-example" = "`auto: true`"))]
    pub auto: Option<bool>,
    /// Revert live drift (console edits) on the next cycle. Default true.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a boolean (true or false)", "x-example" = "`selfHeal: true`"))]
    pub self_heal: Option<bool>,
    /// Skip this environment entirely. Default false.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a boolean (true or false)", "x-example" = "`suspend: false`"))]
    pub suspend: Option<bool>,
    /// Deny windows: while one is open, releases wait (a release already started finishes).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of windows", "x-example" = "`- {kind: deny, schedule: \"0 18 * * FRI\", duration: 62h, timeZone: Europe/Berlin}` under `windows:`"))]
    pub windows: Option<Vec<WindowBlock>>,
}

/// One ignore rule: JSON Pointers (RFC 6901) into a service's task and
/// service definitions; containers, environment variables, secrets and port
/// mappings are addressed by name, tags by key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a rule: service with taskDefinition or serviceDefinition pointers", "x-example" = "`{service: web, serviceDefinition: [/loadBalancers]}`"))]
pub struct IgnoreBlock {
    /// The service the rule is for, or `"*"` for every service.
    #[schemars(extend("x-expects" = "a service name or \"*\"", "x-example" = "`service: web`"))]
    pub service: String,
    /// Pointers into the task definition (RegisterTaskDefinition JSON), e.g.
    /// `/containerDefinitions/app/environment/NEW_RELIC_APP_NAME`.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of JSON Pointers", "x-example" = "`taskDefinition: [/containerDefinitions/app/environment/NEW_RELIC_APP_NAME]`"))]
    pub task_definition: Option<Vec<String>>,
    /// Pointers into the service definition (CreateService JSON), e.g. `/loadBalancers`.
    #[serde(default)]
    #[schemars(extend("x-expects" = "a list of JSON Pointers", "x-example" = "`serviceDefinition: [/loadBalancers]`"))]
    pub service_definition: Option<Vec<String>>,
}

/// One deploy window: recurring (`schedule`, `duration`, `timeZone`) or
/// fixed (`from`, `until`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a window: kind with schedule and duration, or with from and until", "x-example" = "`{kind: deny, schedule: \"0 18 * * FRI\", duration: 62h, timeZone: Europe/Berlin}`"))]
pub struct WindowBlock {
    /// `deny`: releases wait while the window is open.
    #[schemars(extend("x-expects" = "deny", "x-example" = "`kind: deny`"))]
    pub kind: String,
    /// When it opens: a five-field cron expression (minute hour day-of-month month day-of-week).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a cron expression in quotes", "x-example" = "`schedule: \"0 18 * * FRI\"`"))]
    pub schedule: Option<String>,
    /// How long each opening lasts (with `schedule`).
    #[serde(default)]
    #[schemars(extend("x-expects" = "a duration", "x-example" = "`duration: 62h`"))]
    pub duration: Option<String>,
    /// The IANA time zone of `schedule` (default UTC).
    #[serde(default)]
    #[schemars(extend("x-expects" = "an IANA time zone name", "x-example" = "`timeZone: Europe/Berlin`"))]
    pub time_zone: Option<String>,
    /// Start of a fixed window (RFC 3339).
    #[serde(default)]
    #[schemars(extend("x-expects" = "an RFC 3339 time", "x-example" = "`from: 2026-12-23T00:00:00Z`"))]
    pub from: Option<String>,
    /// End of a fixed window (RFC 3339).
    #[serde(default)]
    #[schemars(extend("x-expects" = "an RFC 3339 time", "x-example" = "`until: 2027-01-04T08:00:00Z`"))]
    pub until: Option<String>,
}

/// One notification target. URLs are never written in git: each names the
/// environment variable that holds it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a target: slack or webhook", "x-example" = "`- slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}` or `- webhook: {urlFrom: DEPLOY_HOOK_URL}`"))]
pub enum NotificationBlock {
    /// A Slack incoming webhook.
    Slack(SlackBlock),
    /// A generic JSON webhook.
    Webhook(WebhookBlock),
}

/// `slack:` notification target.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a mapping with webhookUrlFrom", "x-example" = "`slack: {webhookUrlFrom: SLACK_WEBHOOK_URL}`"))]
pub struct SlackBlock {
    /// Name of the environment variable that holds the Slack webhook URL.
    #[schemars(extend("x-expects" = "the name of the environment variable that holds the webhook URL", "x-example" = "`webhookUrlFrom: SLACK_WEBHOOK_URL`"))]
    pub webhook_url_from: String,
    /// Only these events (default: all), e.g. `[failed, rolled-back]`.
    #[serde(default)]
    pub events: Option<Vec<NotificationEvent>>,
}

/// `webhook:` notification target.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("x-expects" = "a mapping with urlFrom", "x-example" = "`webhook: {urlFrom: DEPLOY_HOOK_URL}`"))]
pub struct WebhookBlock {
    /// Name of the environment variable that holds the webhook URL.
    #[schemars(extend("x-expects" = "the name of the environment variable that holds the webhook URL", "x-example" = "`urlFrom: DEPLOY_HOOK_URL`"))]
    pub url_from: String,
    /// Only these events (default: all), e.g. `[failed, rolled-back]`.
    #[serde(default)]
    pub events: Option<Vec<NotificationEvent>>,
}

/// A release event a notification can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotificationEvent {
    /// The release began.
    Started,
    /// It succeeded.
    Succeeded,
    /// A step failed.
    Failed,
    /// A failed rollout was rolled back.
    RolledBack,
    /// `promote` wrote a commit that takes another environment's release.
    Promoted,
    /// `rollback` went back to an earlier release.
    Rollback,
    /// A hold was put (`rollback --now`) or lifted.
    Held,
    /// A freeze was put or ended.
    Frozen,
}

/// A schema revision: a YAML string, or an integer kept as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(pub String);

impl<'de> Deserialize<'de> for Revision {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ScalarVisitor {
                expecting: "a string or an integer",
                allow_bool: false,
            })
            .map(Revision)
    }
}

impl JsonSchema for Revision {
    fn schema_name() -> Cow<'static, str> {
        "Revision".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A schema revision: a string, or an integer kept as its decimal text.",
            "type": ["string", "integer"]
        })
    }
}

/// An environment-variable value: YAML strings, numbers and booleans are all
/// accepted and kept as text (ECS stores every value as a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarString(pub String);

impl<'de> Deserialize<'de> for ScalarString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ScalarVisitor {
                expecting: "a string, number or boolean",
                allow_bool: true,
            })
            .map(ScalarString)
    }
}

impl JsonSchema for ScalarString {
    fn schema_name() -> Cow<'static, str> {
        "ScalarString".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A value kept as text: a string, number or boolean.",
            "type": ["string", "number", "boolean"],
            "x-expects": "a string, number or boolean",
            "x-example": "`RAILS_MAX_THREADS: \"5\"` (quote values to be sure they stay text)"
        })
    }
}

struct ScalarVisitor {
    expecting: &'static str,
    allow_bool: bool,
}

impl de::Visitor<'_> for ScalarVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        if self.allow_bool {
            Ok(v.to_string())
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        if self.allow_bool {
            Ok(v.to_string())
        } else {
            Err(E::invalid_type(de::Unexpected::Bool(v), &self))
        }
    }
}

/// The JSON Schema of an environment file, as checked in at `schemas/environment.schema.json`.
pub fn schema_json() -> String {
    crate::json::pretty(&schemars::schema_for!(EnvironmentFile))
}

/// The JSON Schema as a value, for the reference page and the diagnostics
/// that read the field descriptions from it.
pub fn schema_value() -> Value {
    schemars::schema_for!(EnvironmentFile).to_value()
}
