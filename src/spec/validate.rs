//! Semantic validation: a parsed spec (`raw`) becomes an [`Environment`], with
//! defaults applied, durations parsed, every referenced file resolved inside the
//! repo and loaded, and every rule a type cannot express checked. All problems
//! of a file are collected, each as a [`Diagnostic`] with file, line, field and
//! a hint.

use super::diagnostic::{self, Diagnostic, SpecError};
use super::limits;
use super::locate::{self, FieldPath};
use super::*;
use crate::source::{Snapshot, SourceError};
use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

mod ignore;

pub(super) struct Validator<'a> {
    snapshot: &'a Snapshot,
    name: &'a str,
    file: &'a str,
    text: &'a str,
    problems: Vec<Diagnostic>,
    templates: HashMap<String, Option<Arc<TaskDefinitionSpec>>>,
    /// Service definitions read so far, by resolved path (None: it had a problem).
    service_definitions: HashMap<String, Option<ServiceDefinitionFile>>,
    /// Templates whose container problem is reported (once, not per service).
    container_reported: HashSet<String>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(snapshot: &'a Snapshot, name: &'a str, file: &'a str, text: &'a str) -> Self {
        Validator {
            snapshot,
            name,
            file,
            text,
            problems: Vec::new(),
            templates: HashMap::new(),
            service_definitions: HashMap::new(),
            container_reported: HashSet::new(),
        }
    }

    fn problem(&mut self, field: &[&str], message: impl Into<String>, hint: impl Into<String>) {
        let diagnostic = self.diagnostic(&FieldPath::keys(field), message, hint);
        self.problems.push(diagnostic);
    }

    /// A problem with `field` (a path with indexes), at its line.
    pub(super) fn problem_at(
        &mut self,
        field: &FieldPath,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let diagnostic = self.diagnostic(field, message, hint);
        self.problems.push(diagnostic);
    }

    /// A problem with `field`, at its line.
    fn diagnostic(
        &self,
        field: &FieldPath,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::semantic(
            self.file,
            self.text,
            locate::locate(self.text, field),
            field.to_string(),
            message.into(),
            hint.into(),
        )
    }

    fn duration(&mut self, field: &[&str], value: Option<&str>, default: Duration) -> Duration {
        let Some(text) = value else { return default };
        match humantime::parse_duration(text) {
            Ok(d) if let Some(why) = limits::duration(d) => {
                self.problem(field, why, "e.g. 90s, 10m, 1h30m");
                default
            }
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.problem(
                    field,
                    "the duration must be longer than zero",
                    "e.g. 90s, 10m, 1h30m",
                );
                default
            }
            Err(e) => {
                self.problem(
                    field,
                    format!("'{}' is not a duration ({e})", clip(text)),
                    "write a duration such as 90s, 10m or 1h30m",
                );
                default
            }
        }
    }

    /// Resolve and parse a template, once per path.
    fn template(
        &mut self,
        field: &[&str],
        path: &str,
    ) -> Option<(String, Arc<TaskDefinitionSpec>)> {
        let resolved = match self.snapshot.resolve(path) {
            Ok(p) => p,
            Err(e) => {
                self.path_problem(field, path, &e);
                return None;
            }
        };
        if let Some(cached) = self.templates.get(&resolved) {
            return cached.clone().map(|t| (resolved, t));
        }
        let parsed = match self.snapshot.read(&resolved) {
            Ok(text) if text.len() > limits::MAX_TASK_DEFINITION_BYTES => {
                self.problem(
                    field,
                    format!(
                        "{resolved} is {} KiB; ECS accepts task definitions up to {} KiB",
                        text.len() / 1024,
                        limits::MAX_TASK_DEFINITION_BYTES / 1024
                    ),
                    "a task definition is a few kilobytes: check that this is the right file",
                );
                None
            }
            Ok(text) if is_wrapped_describe_output(&text) => {
                self.problems.push(Diagnostic::semantic(
                    &resolved,
                    &text,
                    Some((1, 1)),
                    "taskDefinition".into(),
                    "this is saved `aws ecs describe-task-definition` output, wrapped in {\"taskDefinition\": …}".into(),
                    "save only the inner object (`aws ecs describe-task-definition --task-definition NAME --query taskDefinition`), or move the object's fields to the top level".into(),
                ));
                None
            }
            Ok(text) => match crate::taskdef::model::parse_task_definition(&text) {
                Ok(spec)
                    if spec
                        .container_definitions
                        .as_ref()
                        .is_some_and(|c| c.len() > limits::MAX_CONTAINERS) =>
                {
                    self.problem(
                        field,
                        format!(
                            "{resolved} has {} containers; ECS allows {} per task definition",
                            spec.container_definitions.as_ref().map_or(0, Vec::len),
                            limits::MAX_CONTAINERS
                        ),
                        "split the containers over several services",
                    );
                    None
                }
                Ok(spec) => Some(Arc::new(spec)),
                Err(e) => {
                    self.definition_problem(
                        &resolved,
                        &text,
                        &e,
                        crate::spec::diagnostic::TASK_DEFINITION_INPUT,
                    );
                    None
                }
            },
            Err(e) => {
                self.path_problem(field, path, &e);
                None
            }
        };
        self.templates.insert(resolved.clone(), parsed.clone());
        parsed.map(|t| (resolved, t))
    }

    /// A definition file's read error, with what such a file is (`about`).
    fn definition_problem(
        &mut self,
        file: &str,
        text: &str,
        error: &crate::taskdef::model::TaskDefinitionError,
        about: &str,
    ) {
        self.problems
            .push(Diagnostic::from_definition_error(file, text, error, about));
    }

    fn path_problem(&mut self, field: &[&str], path: &str, error: &SourceError) {
        let (message, hint) = match error {
            SourceError::OutsideRepo { reason, .. } => (
                format!("'{path}': {reason}"),
                "paths are relative to the repo root and must stay inside it",
            ),
            SourceError::NotFound { .. } => (
                format!("'{path}': no such file in the config repo"),
                "check the file name, and that the file is committed",
            ),
            SourceError::IsDirectory { .. } => (
                format!("'{path}' is a directory, not a file"),
                "name a JSON file in it, e.g. task-definitions/app.json",
            ),
            other => (other.to_string(), ""),
        };
        self.problem(field, message, hint);
    }

    pub(super) fn validate(mut self, raw: raw::EnvironmentFile) -> Result<Environment, SpecError> {
        self.basics(&raw);
        let default_template = raw
            .task_definition
            .as_deref()
            .and_then(|p| self.template(&["taskDefinition"], p));

        let mut services = Vec::with_capacity(raw.services.len());
        for (name, block) in &raw.services {
            if let Some(service) = self.service(&raw, name, block, default_template.as_ref()) {
                services.push(service);
            }
        }

        let migration = raw.migration.as_ref().map(|m| self.migration(m, &raw));
        let deploy = self.deploy(raw.deploy.clone().unwrap_or_default());
        self.strategy_timeouts(&services, deploy.timeout);
        let sync = self.sync(raw.sync.clone().unwrap_or_default());
        let notifications = self.notifications(raw.notifications.as_deref().unwrap_or(&[]));
        let promotion = self.promotion(raw.promotion.as_ref());
        let role_arn = self.role_arn(raw.role_arn.as_deref());
        let role_external_id = self.role_external_id(&raw);
        let smoke_test = raw
            .smoke_test
            .as_ref()
            .map(|s| self.smoke_test(s, &raw, migration.as_ref()));

        let ignore = self.ignore(raw.ignore.as_deref().unwrap_or(&[]), &services);

        if !self.problems.is_empty() {
            return Err(SpecError::Invalid(self.problems));
        }
        Ok(Environment {
            name: self.name.to_owned(),
            file: self.file.to_owned(),
            cluster: raw.cluster,
            region: raw.region,
            image: raw.image,
            migration,
            services,
            deploy,
            sync,
            notifications,
            promotion,
            smoke_test,
            role_arn,
            role_external_id,
            ignore,
            signer: None,
        })
    }

    /// The cluster, the image and that there are services.
    fn basics(&mut self, raw: &raw::EnvironmentFile) {
        if raw.cluster.trim().is_empty() {
            self.problem(
                &["cluster"],
                "the cluster name is empty",
                "write the ECS cluster name",
            );
        } else if let Some(why) = limits::cluster(&raw.cluster) {
            self.problem(
                &["cluster"],
                why,
                "write the cluster's name as ECS shows it, or its ARN",
            );
        }
        if raw.image.trim().is_empty() {
            self.problem(
                &["image"],
                "the image is empty",
                "write the release image reference",
            );
        } else if let Some(why) = limits::image(&raw.image) {
            self.problem(
                &["image"],
                why,
                "write an image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1",
            );
        }
        if raw.services.is_empty() {
            self.problem(
                &["services"],
                "at least one service is required",
                "add a service keyed by its ECS service name",
            );
        }
    }

    /// `arn:<partition>:iam::<12 digits>:role/[path/]name`.
    fn role_arn(&mut self, arn: Option<&str>) -> Option<String> {
        let arn = arn?;
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = matches!(
            parts.as_slice(),
            ["arn", partition, "iam", "", account, resource]
                if partition.starts_with("aws")
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && resource
                        .strip_prefix("role/")
                        .is_some_and(|name| !name.is_empty() && !name.ends_with('/')
                            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b)))
        );
        if !ok {
            self.problem(
                &["roleArn"],
                format!("'{}' is not an IAM role ARN", clip(arn)),
                "write it as arn:aws:iam::<12-digit account>:role/<name>, e.g. arn:aws:iam::210987654321:role/deckhand",
            );
        }
        Some(arn.to_owned())
    }

    /// 2 to 1224 of `[A-Za-z0-9+=,.@:/-]`, and only with a `roleArn`.
    fn role_external_id(&mut self, raw: &raw::EnvironmentFile) -> Option<String> {
        let id = raw.role_external_id.as_deref()?;
        let ok = (2..=1224).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
        if raw.role_arn.is_none() {
            self.problem(
                &["roleExternalId"],
                "roleExternalId is sent when assuming roleArn, and there is no roleArn",
                "add `roleArn: arn:aws:iam::<account>:role/<name>`, or remove roleExternalId",
            );
        } else if !ok {
            self.problem(
                &["roleExternalId"],
                format!("'{}' is not an external id", clip(id)),
                "write 2 to 1224 letters, digits or + = , . @ : / - _, as the role's trust policy names it (sts:ExternalId)",
            );
        }
        Some(id.to_owned())
    }

    fn smoke_test(
        &mut self,
        block: &raw::SmokeTestBlock,
        raw: &raw::EnvironmentFile,
        migration: Option<&Migration>,
    ) -> SmokeTest {
        if block.command.is_empty() || block.command.iter().all(|c| c.trim().is_empty()) {
            self.problem(
                &["smokeTest", "command"],
                "the smoke test command is empty",
                "write the command to run, e.g. `command: [bin/rails, runner, \"Smoke.run!\"]`",
            );
        }
        let timeout = self.duration(
            &["smokeTest", "timeout"],
            block.timeout.as_deref(),
            DEFAULT_SMOKE_TEST_TIMEOUT,
        );
        let service = match &block.service {
            Some(s) if raw.services.contains_key(s) => s.clone(),
            Some(s) => {
                self.problem(
                    &["smokeTest", "service"],
                    format!("'{s}' is not a service of this environment"),
                    format!("name one of: {}", service_names(raw)),
                );
                s.clone()
            }
            None => migration
                .map(|m| m.network_from.clone())
                .or_else(|| raw.services.keys().next().cloned())
                .unwrap_or_default(),
        };
        SmokeTest {
            command: block.command.clone(),
            timeout,
            service,
        }
    }

    fn deploy(&mut self, deploy: raw::DeployBlock) -> DeployPolicy {
        DeployPolicy {
            timeout: self.duration(
                &["deploy", "timeout"],
                deploy.timeout.as_deref(),
                DEFAULT_DEPLOY_TIMEOUT,
            ),
            rollback: deploy.rollback.unwrap_or(true),
        }
    }

    fn sync(&mut self, sync: raw::SyncBlock) -> SyncPolicy {
        SyncPolicy {
            auto: sync.auto.unwrap_or(true),
            self_heal: sync.self_heal.unwrap_or(true),
            suspend: sync.suspend.unwrap_or(false),
            windows: self.windows(sync.windows.as_deref().unwrap_or(&[])),
        }
    }

    fn windows(&mut self, blocks: &[raw::WindowBlock]) -> Vec<crate::guard::window::Window> {
        use crate::guard::window::Window;
        let mut out = Vec::new();
        for (i, w) in blocks.iter().enumerate() {
            let at = |key: &str| FieldPath::keys(&["sync", "windows"]).index(i).key(key);
            if w.kind != "deny" {
                self.problem_at(
                    &at("kind"),
                    format!(
                        "'{}' is not a window kind: deckhand has deny windows",
                        clip(&w.kind)
                    ),
                    "write `kind: deny`",
                );
                continue;
            }
            match (&w.schedule, &w.from) {
                (Some(schedule), None) => {
                    if w.until.is_some() {
                        self.problem_at(&at("until"), "until belongs to a fixed window (from, until)", "a recurring window has schedule, duration and timeZone");
                        continue;
                    }
                    let Some(duration) = &w.duration else {
                        self.problem_at(&at("schedule"), "a window with a schedule needs a duration", "add e.g. `duration: 62h`");
                        continue;
                    };
                    let Ok(duration) = humantime::parse_duration(duration) else {
                        self.problem_at(&at("duration"), format!("'{}' is not a duration", clip(duration)), "write a duration such as 2h or 62h");
                        continue;
                    };
                    let zone = w.time_zone.as_deref().unwrap_or("UTC");
                    match Window::recurring(schedule, duration, zone) {
                        Ok(window) => out.push(window),
                        Err(why) => {
                            let field = if why.contains("time zone") {
                                "timeZone"
                            } else if why.contains("duration") {
                                "duration"
                            } else {
                                "schedule"
                            };
                            self.problem_at(&at(field), why, "e.g. `{kind: deny, schedule: \"0 18 * * FRI\", duration: 62h, timeZone: Europe/Berlin}`");
                        }
                    }
                }
                (None, Some(from)) => {
                    let time = |text: &str| humantime::parse_rfc3339_weak(text).ok();
                    let (Some(start), Some(end)) = (time(from), w.until.as_deref().and_then(time)) else {
                        let field = if time(from).is_none() { "from" } else { "until" };
                        self.problem_at(&at(field), "a fixed window needs from and until as RFC 3339 times", "e.g. `{kind: deny, from: 2026-12-23T00:00:00Z, until: 2027-01-04T08:00:00Z}`");
                        continue;
                    };
                    if end <= start {
                        self.problem_at(&at("until"), "until must be after from", "swap them, or fix the dates");
                        continue;
                    }
                    out.push(Window::Fixed { from: start, until: end });
                }
                (Some(_), Some(_)) => self.problem_at(&at("from"), "a window has either a schedule or from and until, not both", "split it into two windows"),
                (None, None) => self.problem_at(&at("kind"), "a window needs a schedule (with duration) or from and until", "e.g. `{kind: deny, schedule: \"0 18 * * FRI\", duration: 62h, timeZone: Europe/Berlin}`"),
            }
        }
        out
    }

    fn promotion(&mut self, block: Option<&raw::PromotionBlock>) -> PromotionPolicy {
        let Some(block) = block else {
            return PromotionPolicy::default();
        };
        if let Some(from) = &block.from {
            if let Some(why) = limits::environment_name(from) {
                self.problem(
                    &["promotion", "from"],
                    why,
                    "name the environment releases come from, as in environments/<name>.yaml",
                );
            } else if from == self.name {
                self.problem(
                    &["promotion", "from"],
                    "an environment cannot be promoted from itself",
                    "name the environment releases come from, e.g. `from: staging`",
                );
            }
        }
        PromotionPolicy {
            from: block.from.clone(),
            soak: block.soak.as_deref().map(|_| {
                self.duration(
                    &["promotion", "soak"],
                    block.soak.as_deref(),
                    Duration::ZERO,
                )
            }),
        }
    }

    fn service(
        &mut self,
        raw: &raw::EnvironmentFile,
        name: &str,
        block: &raw::ServiceBlock,
        default_template: Option<&(String, Arc<TaskDefinitionSpec>)>,
    ) -> Option<Service> {
        if let Some(why) = limits::ecs_name("service", name) {
            self.problem(
                &["services", name],
                why,
                "key each service by its ECS service name",
            );
        }
        let desired_count = block
            .desired_count
            .and_then(|n| self.desired_count(name, n));
        let template = match &block.task_definition {
            Some(path) => self.template(&["services", name, "taskDefinition"], path),
            None if raw.task_definition.is_none() => {
                self.problem(
                    &["services", name],
                    "no task-definition template: neither the environment nor the service sets taskDefinition",
                    "set taskDefinition at the top level or in this service",
                );
                None
            }
            None => default_template.cloned(),
        };
        if block.create.is_some() {
            self.problem(
                &["services", name, "create"],
                "`create` was renamed to `serviceDefinition`",
                "rename the key: the file now declares the whole service, created from it and kept in sync with it",
            );
        }
        let autoscaling = self.autoscaling(name, block);
        let service_definition = match (&block.service_definition, &raw.service_definition) {
            (Some(path), _) => {
                self.service_definition(&["services", name, "serviceDefinition"], path)
            }
            (None, Some(path)) => self.service_definition(&["serviceDefinition"], path),
            (None, None) => None,
        };
        if let Some(cmd) = &block.command
            && cmd.is_empty()
        {
            self.problem(
                &["services", name, "command"],
                "the command is empty",
                "remove command to keep the template's, or list the program and its arguments",
            );
        }
        let family = self.family(name, block);
        let (template_path, template) = template?;
        let template_field: &[&str] = match block.task_definition {
            Some(_) => &["services", name, "taskDefinition"],
            None => &["taskDefinition"],
        };
        let container = self.container(raw, template_field, &template_path, &template)?;
        Some(Service {
            name: name.to_owned(),
            family,
            desired_count,
            container,
            command: block.command.clone(),
            environment: block
                .environment
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
            template_path,
            template,
            service_definition,
            autoscaling,
        })
    }

    /// A service's `desiredCount`, when ECS would take it.
    fn desired_count(&mut self, name: &str, n: i64) -> Option<i32> {
        let field = ["services", name, "desiredCount"];
        if n < 0 {
            self.problem(
                &field,
                format!("expected a non-negative integer, found {n}"),
                "set 0 or more, or remove desiredCount to leave the live count alone",
            );
            return None;
        }
        let count = i32::try_from(n).ok();
        if count.is_none() {
            self.problem(
                &field,
                format!("{n} is larger than ECS allows"),
                TOO_LARGE_HINT,
            );
        }
        count
    }

    /// A service's task-definition family (default: its name).
    fn family(&mut self, name: &str, block: &raw::ServiceBlock) -> String {
        let family = block.family.clone().unwrap_or_else(|| name.to_owned());
        // A family defaulted from an invalid service name is reported once, as the name.
        let name_reported = block.family.is_none() && limits::ecs_name("service", name).is_some();
        if !name_reported && limits::ecs_name("family", &family).is_some() {
            self.problem(
                &["services", name, "family"],
                format!("'{family}' is not a valid task-definition family"),
                "use up to 255 letters, digits, hyphens and underscores",
            );
        }
        family
    }

    /// The container running the image: the spec's `container`, or the
    /// template's first. A problem is reported once per template, at
    /// `template_field` (the taskDefinition the service's template comes from).
    fn container(
        &mut self,
        raw: &raw::EnvironmentFile,
        template_field: &[&str],
        template_path: &str,
        template: &TaskDefinitionSpec,
    ) -> Option<String> {
        let names: Vec<String> = template
            .container_definitions
            .iter()
            .flatten()
            .filter_map(|c| c.name.clone())
            .collect();
        if let Some(found) = match &raw.container {
            Some(wanted) => names.iter().find(|n| *n == wanted),
            None => names.first(),
        } {
            return Some(found.clone());
        }
        if !self.container_reported.insert(template_path.to_owned()) {
            return None;
        }
        match &raw.container {
            Some(wanted) => self.problem(
                &["container"],
                format!(
                    "container '{wanted}' is not in {template_path}; it has: {}",
                    if names.is_empty() {
                        "no containers".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
                "name one of the template's containers, or give the services their own template",
            ),
            None => self.problem(
                template_field,
                format!("{template_path} has no named container definitions"),
                "add containerDefinitions with a name to the template",
            ),
        }
        None
    }

    /// A deployment deckhand would stop before its configuration lets it
    /// finish (skipped when deploy.timeout itself is wrong).
    fn strategy_timeouts(&mut self, services: &[Service], timeout: Duration) {
        if self.problems.iter().any(|d| d.field == "deploy.timeout") {
            return;
        }
        for service in services {
            if let Some(file) = &service.service_definition
                && let Some(p) = crate::servicedef::strategy::timeout_problem(
                    &service.name,
                    &file.definition,
                    timeout,
                )
            {
                self.problem(&["deploy", "timeout"], p.message, p.hint);
            }
        }
    }

    /// The service definition at `path` (`field` names where it was given),
    /// parsed once per file.
    fn service_definition(&mut self, field: &[&str], path: &str) -> Option<ServiceDefinitionFile> {
        let resolved = match self.snapshot.resolve(path) {
            Ok(p) => p,
            Err(e) => {
                self.path_problem(field, path, &e);
                return None;
            }
        };
        if let Some(cached) = self.service_definitions.get(&resolved) {
            return cached.clone();
        }
        let parsed = match self.snapshot.read(&resolved) {
            Ok(text) => match crate::servicedef::parse_service_definition(&text) {
                Ok(definition) => {
                    // Strategy ranges and combinations (servicedef::strategy).
                    // A file with problems is not kept, so its invalid values
                    // are not timed against deploy.timeout as well.
                    let problems = crate::servicedef::strategy::check(&definition);
                    if problems.is_empty() {
                        Some(ServiceDefinitionFile {
                            path: resolved.clone(),
                            definition: Arc::new(definition),
                        })
                    } else {
                        for p in problems {
                            self.problems.push(Diagnostic::semantic(
                                &resolved,
                                &text,
                                Some(p.position(&text)),
                                p.path,
                                p.message,
                                p.hint,
                            ));
                        }
                        None
                    }
                }
                Err(e) => {
                    self.definition_problem(
                        &resolved,
                        &text,
                        &e,
                        crate::spec::diagnostic::SERVICE_DEFINITION_INPUT,
                    );
                    None
                }
            },
            Err(e) => {
                self.path_problem(field, path, &e);
                None
            }
        };
        self.service_definitions.insert(resolved, parsed.clone());
        parsed
    }

    fn migration(&mut self, m: &raw::MigrationBlock, raw: &raw::EnvironmentFile) -> Migration {
        if m.revision.0.trim().is_empty() {
            self.problem(
                &["migration", "revision"],
                "the revision is empty",
                "write the schema revision the release needs, e.g. \"20261120093000\"",
            );
        } else if let Some(why) = limits::tag_value("revision", &m.revision.0) {
            self.problem(
                &["migration", "revision"],
                why,
                "the revision is recorded as a cluster tag: write it like \"20261120093000\"",
            );
        }
        if m.command.is_empty() {
            self.problem(
                &["migration", "command"],
                "the migration command is empty",
                "e.g. [bin/rails, db:migrate]",
            );
        }
        let timeout = self.duration(
            &["migration", "timeout"],
            m.timeout.as_deref(),
            DEFAULT_MIGRATION_TIMEOUT,
        );
        let quiesce = m.quiesce.clone().unwrap_or_default();
        for q in &quiesce {
            if !raw.services.contains_key(q) {
                self.problem(
                    &["migration", "quiesce"],
                    format!("'{q}' is not a service of this environment"),
                    format!("name one of: {}", service_names(raw)),
                );
            }
        }
        let network_from = match &m.network_from {
            Some(s) if raw.services.contains_key(s) => s.clone(),
            Some(s) => {
                self.problem(
                    &["migration", "networkFrom"],
                    format!("'{s}' is not a service of this environment"),
                    format!("name one of: {}", service_names(raw)),
                );
                s.clone()
            }
            None => raw.services.keys().next().cloned().unwrap_or_default(),
        };
        Migration {
            revision: m.revision.0.clone(),
            command: m.command.clone(),
            timeout,
            quiesce,
            network_from,
        }
    }

    fn notifications(&mut self, blocks: &[raw::NotificationBlock]) -> Vec<Notification> {
        let mut out = Vec::new();
        for (index, block) in blocks.iter().enumerate() {
            let (kind, key, example, var, n) = match block {
                raw::NotificationBlock::Slack(s) => (
                    "slack",
                    "webhookUrlFrom",
                    "SLACK_WEBHOOK_URL",
                    &s.webhook_url_from,
                    Notification::Slack {
                        webhook_url_from: s.webhook_url_from.clone(),
                        events: s.events.clone(),
                    },
                ),
                raw::NotificationBlock::Webhook(w) => (
                    "webhook",
                    "urlFrom",
                    "DEPLOY_HOOK_URL",
                    &w.url_from,
                    Notification::Webhook {
                        url_from: w.url_from.clone(),
                        events: w.events.clone(),
                    },
                ),
            };
            if !valid_env_var_name(var) {
                let field = FieldPath::keys(&["notifications"])
                    .index(index)
                    .key(kind)
                    .key(key);
                // A URL here is a secret committed to git: never print it back.
                let diagnostic = if var.contains("://") {
                    self.diagnostic(
                        &field,
                        "this is not an environment variable name: it looks like a URL",
                        format!(
                            "name the environment variable that holds the URL (e.g. {example}) \
                             and set it where deckhand runs; the URL is now in the repo's history, so replace it"
                        ),
                    )
                    .redact(var)
                } else {
                    self.diagnostic(
                        &field,
                        format!("'{var}' is not an environment variable name"),
                        format!(
                            "name the environment variable that holds the URL, e.g. {example} \
                             (letters, digits and underscores, not starting with a digit)"
                        ),
                    )
                };
                self.problems.push(diagnostic);
            }
            out.push(n);
        }
        out
    }
}

/// Is this `{"taskDefinition": {…}}` (describe-task-definition output as saved)?
fn is_wrapped_describe_output(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("taskDefinition").map(serde_json::Value::is_object))
        .unwrap_or(false)
}

/// At most 80 characters of `text`, for echoing it in an error.
fn clip(text: &str) -> String {
    diagnostic::clip(text, 80)
}

fn service_names(raw: &raw::EnvironmentFile) -> String {
    raw.services.keys().cloned().collect::<Vec<_>>().join(", ")
}

fn valid_env_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
