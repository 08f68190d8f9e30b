//! Why a release failed, in the words a person needs: the last lines of the
//! migration's log (with secret-looking values masked), and what the stopped
//! tasks of a failed rollout said, grouped and counted. Pure functions, plus
//! the two reads that feed them.

use crate::ecs::{DesiredStatus, Ecs, Lookups, ServiceEvent, Task};
use crate::plan::MigrationRun;
use crate::taskdef::model::TaskDefinitionSpec;
use std::collections::BTreeMap;

/// Lines of the migration log shown with a failure.
pub const LOG_TAIL_LINES: usize = 20;

/// The awslogs stream of `container` in `task`: `prefix/container/task-id`,
/// with the group and region (None when the container does not log to
/// CloudWatch with a stream prefix).
pub fn log_stream(
    task_definition: &TaskDefinitionSpec,
    container_name: &str,
    task: &str,
    default_region: &str,
) -> Option<(String, String, String)> {
    let container = task_definition
        .container_definitions
        .iter()
        .flatten()
        .find(|c| c.name.as_deref() == Some(container_name))?;
    let log = container.log_configuration.as_ref()?;
    if log.log_driver.as_deref() != Some("awslogs") {
        return None;
    }
    let options = log.options.as_ref()?;
    let group = options.get("awslogs-group")?.clone();
    let prefix = options.get("awslogs-stream-prefix")?;
    let region = options
        .get("awslogs-region")
        .cloned()
        .unwrap_or_else(|| default_region.to_owned());
    let task_id = task.rsplit('/').next().unwrap_or(task);
    Some((
        region,
        group,
        format!("{prefix}/{container_name}/{task_id}"),
    ))
}

/// The migration's last log lines, masked; empty when it has none or they
/// cannot be read (the failure is reported either way).
pub async fn migration_log<E: Lookups>(ecs: &E, run: &MigrationRun, task: &str) -> Vec<String> {
    task_log(ecs, &run.task_definition, &run.container, task).await
}

/// The last log lines of `container` in one-off `task` of
/// `task_definition` (the migration's, the smoke test's), masked; empty
/// when it has none or they cannot be read.
pub async fn task_log<E: Lookups>(
    ecs: &E,
    task_definition: &TaskDefinitionSpec,
    container: &str,
    task: &str,
) -> Vec<String> {
    let region = ecs.region().unwrap_or_default();
    let Some((region, group, stream)) = log_stream(task_definition, container, task, &region)
    else {
        return Vec::new();
    };
    match ecs.log_tail(&region, &group, &stream, LOG_TAIL_LINES).await {
        Ok(lines) => lines.iter().map(|l| mask(l)).collect(),
        Err(e) => {
            tracing::warn!("could not read the log {group}/{stream}: {e}");
            Vec::new()
        }
    }
}

/// Words that mark the value after them as a secret.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "private_key",
    "credential",
    "authorization",
];

/// `line` with secret-looking values replaced by `***`: credentials in URLs
/// (`postgres://user:…@`), values after `password=`/`token: `/…, bearer
/// tokens, and AWS access key IDs.
pub fn mask(line: &str) -> String {
    let out = mask_url_credentials(line);
    let out = mask_words(&out);
    mask_after_keys(&out)
}

fn mask_url_credentials(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => {
                let user = authority[..at].split(':').next().unwrap_or("");
                out.push_str(user);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn mask_after_keys(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let found = SECRET_KEYS
            .iter()
            .filter_map(|k| lower[i..].find(k).map(|at| (i + at, k.len())))
            .min();
        let Some((at, len)) = found else { break };
        let mut j = at + len;
        // The rest of the key word (`DB_PASSWORD_FILE`), then `=`, `:` or `: `.
        while j < line.len()
            && (line.as_bytes()[j].is_ascii_alphanumeric() || line.as_bytes()[j] == b'_')
        {
            j += 1;
        }
        let sep_start = j;
        while j < line.len() && matches!(line.as_bytes()[j], b'=' | b':' | b' ' | b'"' | b'\'') {
            j += 1;
        }
        let separated = line[sep_start..j].contains(['=', ':']);
        let value_end = line[j..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '&' | ')'))
            .map_or(line.len(), |e| j + e);
        out.push_str(&line[i..j]);
        if separated && value_end > j && &line[j..value_end] != "***" {
            out.push_str("***");
            i = value_end;
        } else {
            i = j;
        }
    }
    out.push_str(&line[i.min(line.len())..]);
    out
}

fn mask_words(line: &str) -> String {
    let mut out = Vec::new();
    let mut bearer = false;
    for word in line.split(' ') {
        let aws_key = word.len() == 20
            && (word.starts_with("AKIA") || word.starts_with("ASIA"))
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if bearer && !word.is_empty() {
            out.push("***".to_owned());
        } else if aws_key {
            out.push(format!("{}***", &word[..4]));
        } else {
            out.push(word.to_owned());
        }
        bearer = word.eq_ignore_ascii_case("bearer");
    }
    out.join(" ")
}

/// What a failed rollout's stopped tasks of `task_definition` said:
/// "2 tasks stopped: CannotPullContainerError: … (×2)"; None when none did.
pub fn stopped_tasks(tasks: &[Task], task_definition: &str) -> Option<String> {
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = 0;
    for task in tasks.iter().filter(|t| {
        t.desired_status == "STOPPED"
            && (task_definition.is_empty() || t.task_definition == task_definition)
    }) {
        count += 1;
        // A container's own reason says most (CannotPullContainerError,
        // OutOfMemoryError); then its exit code; then the task's reason.
        let container = task
            .containers
            .iter()
            .find(|c| c.reason.is_some() || c.exit_code.is_some_and(|code| code != 0));
        let reason = match container {
            Some(c) => match (&c.reason, c.exit_code) {
                (Some(r), Some(code)) => format!("{}: {r} (exit code {code})", c.name),
                (Some(r), None) => format!("{}: {r}", c.name),
                (None, Some(code)) => format!(
                    "{}: exit code {code}{}",
                    c.name,
                    task.stopped_reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
                (None, None) => unreachable!("found by reason or exit code"),
            },
            None => task
                .stopped_reason
                .clone()
                .or_else(|| task.stop_code.clone())
                .unwrap_or_else(|| "no reason given".into()),
        };
        *reasons.entry(reason).or_default() += 1;
    }
    if count == 0 {
        return None;
    }
    let mut grouped: Vec<(String, usize)> = reasons.into_iter().collect();
    grouped.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let parts: Vec<String> = grouped
        .iter()
        .map(|(r, n)| {
            if *n > 1 {
                format!("{r} (×{n})")
            } else {
                r.clone()
            }
        })
        .collect();
    Some(format!(
        "{count} task{} stopped: {}",
        if count == 1 { "" } else { "s" },
        parts.join("; ")
    ))
}

/// Service events shown with a failed rollout.
const EVENTS_SHOWN: usize = 3;

/// The service's latest events, newest first: "latest events: …".
pub fn latest_events(events: &[ServiceEvent]) -> Option<String> {
    let shown: Vec<&str> = events
        .iter()
        .take(EVENTS_SHOWN)
        .map(|e| e.message.as_str())
        .collect();
    (!shown.is_empty()).then(|| format!("latest events: {}", shown.join(" | ")))
}

/// The stopped tasks of `service` running `task_definition`, explained, and
/// the service's latest events; None when ECS says nothing more.
pub async fn rollout_failure<E: Ecs>(
    ecs: &E,
    cluster: &str,
    service: &str,
    task_definition: &str,
) -> Option<String> {
    let arns = ecs
        .list_service_tasks(cluster, service, DesiredStatus::Stopped)
        .await
        .map_err(|e| tracing::warn!("could not list the stopped tasks of {service}: {e}"))
        .unwrap_or_default();
    let tasks = if arns.is_empty() {
        Vec::new()
    } else {
        ecs.describe_tasks(cluster, &arns)
            .await
            .map_err(|e| tracing::warn!("could not describe the stopped tasks of {service}: {e}"))
            .unwrap_or_default()
    };
    let events = ecs
        .describe_services(cluster, &[service.to_owned()])
        .await
        .map_err(|e| tracing::warn!("could not read the events of {service}: {e}"))
        .unwrap_or_default()
        .into_iter()
        .next()
        .and_then(|s| latest_events(&s.events));
    let parts: Vec<String> = [stopped_tasks(&tasks, task_definition), events]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::TaskContainer;

    #[test]
    fn secrets_in_log_lines_are_masked() {
        let cases = [
            (
                "connecting to postgres://shop:s3cr3t@db.internal:5432/shop",
                "connecting to postgres://shop:***@db.internal:5432/shop",
            ),
            (
                "DB_PASSWORD=hunter2 rake db:migrate",
                "DB_PASSWORD=*** rake db:migrate",
            ),
            (
                "{\"api_key\": \"abc123\", \"ok\": true}",
                "{\"api_key\": \"***\", \"ok\": true}",
            ),
            ("Authorization: Bearer eyJhbGciOi", "Authorization: *** ***"),
            ("curl -H Bearer eyJhbGciOi", "curl -H Bearer ***"),
            ("using AKIAIOSFODNN7EXAMPLE", "using AKIA***"),
            (
                "== 20261120093000 AddIndexToOrders: migrating ======",
                "== 20261120093000 AddIndexToOrders: migrating ======",
            ),
            (
                "PG::DuplicateTable: ERROR:  relation \"index_orders_on_sku\" already exists",
                "PG::DuplicateTable: ERROR:  relation \"index_orders_on_sku\" already exists",
            ),
            ("token refresh failed", "token refresh failed"),
        ];
        for (line, expected) in cases {
            assert_eq!(mask(line), expected, "{line}");
        }
    }

    fn stopped(td: &str, reason: Option<&str>, exit: Option<i32>, task_reason: &str) -> Task {
        Task {
            arn: "arn:task".into(),
            desired_status: "STOPPED".into(),
            last_status: "STOPPED".into(),
            task_definition: td.into(),
            stopped_reason: Some(task_reason.into()),
            containers: vec![TaskContainer {
                name: "app".into(),
                exit_code: exit,
                reason: reason.map(str::to_owned),
            }],
            ..Task::default()
        }
    }

    #[test]
    fn the_latest_three_events_are_shown() {
        let events: Vec<ServiceEvent> = (1..=5)
            .map(|i| ServiceEvent {
                id: i.to_string(),
                message: format!("event {i}"),
            })
            .collect();
        assert_eq!(
            latest_events(&events).as_deref(),
            Some("latest events: event 1 | event 2 | event 3")
        );
        assert_eq!(latest_events(&[]), None);
    }

    #[test]
    fn stopped_tasks_are_grouped_and_counted() {
        let pull = "CannotPullContainerError: failed to resolve ref shop:nope: not found";
        let tasks = [
            stopped("td:2", Some(pull), None, pull),
            stopped("td:2", Some(pull), None, pull),
            stopped("td:2", None, Some(1), "Essential container in task exited"),
            stopped("td:1", Some("old"), None, "old"),
        ];
        assert_eq!(
            stopped_tasks(&tasks, "td:2").as_deref(),
            Some(
                "3 tasks stopped: app: CannotPullContainerError: failed to resolve ref shop:nope: not found (×2); app: exit code 1 (Essential container in task exited)"
            )
        );
        let oom = [stopped(
            "td:3",
            Some("OutOfMemoryError: Container killed due to memory usage"),
            Some(137),
            "Essential container in task exited",
        )];
        assert_eq!(
            stopped_tasks(&oom, "td:3").as_deref(),
            Some(
                "1 task stopped: app: OutOfMemoryError: Container killed due to memory usage (exit code 137)"
            )
        );
        assert_eq!(stopped_tasks(&tasks, "td:9"), None);
    }
}
