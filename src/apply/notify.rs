//! Release notifications: a Slack incoming webhook (Block Kit) and a generic
//! JSON webhook carrying the same fields — environment, commit (with a link
//! when the repo is on a known forge), image, schema revision, duration,
//! result, and for failures the reason and the migration's log tail. URLs
//! come from the environment variables the spec names (never from git); each
//! target may be limited to some events. Sending is best effort: a
//! notification that fails is logged and never fails the release.

use crate::spec::raw::NotificationEvent;
use crate::spec::{Environment, Notification};
use aws_smithy_runtime_api::client::http::HttpConnector;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Slack rejects a section text over 3000 characters.
const SLACK_TEXT_LIMIT: usize = 2900;

/// What happened, for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseEvent {
    /// The release began.
    Started {
        /// Steps in words.
        steps: Vec<String>,
    },
    /// All steps done.
    Succeeded {
        /// Steps in words.
        steps: Vec<String>,
    },
    /// A step failed.
    Failed {
        /// Which step.
        step: String,
        /// Why.
        reason: String,
        /// The migration's last log lines (masked), when it failed.
        log: Vec<String>,
    },
    /// A failed rollout was undone.
    RolledBack {
        /// Why.
        reason: String,
        /// Services put back.
        services: Vec<String>,
    },
    /// `promote` wrote the commit taking `from`'s `release`.
    Promoted {
        /// The environment it came from.
        from: String,
        /// Its id there (`v12`).
        release: String,
    },
    /// `rollback` went back to `release` (commit written, or applied now).
    Rollback {
        /// The release gone back to (`v11`).
        release: String,
        /// `--reason`.
        reason: Option<String>,
    },
    /// A hold was put on `image` (`put`), or lifted.
    Hold {
        /// The image rolled back from.
        image: String,
        /// Put (true) or lifted (false).
        put: bool,
    },
    /// A freeze was put (until, by, why), or ended (None).
    Freeze {
        /// `until by: reason` when put.
        put: Option<String>,
    },
}

impl ReleaseEvent {
    fn kind(&self) -> NotificationEvent {
        match self {
            ReleaseEvent::Started { .. } => NotificationEvent::Started,
            ReleaseEvent::Succeeded { .. } => NotificationEvent::Succeeded,
            ReleaseEvent::Failed { .. } => NotificationEvent::Failed,
            ReleaseEvent::RolledBack { .. } => NotificationEvent::RolledBack,
            ReleaseEvent::Promoted { .. } => NotificationEvent::Promoted,
            ReleaseEvent::Rollback { .. } => NotificationEvent::Rollback,
            ReleaseEvent::Hold { .. } => NotificationEvent::Held,
            ReleaseEvent::Freeze { .. } => NotificationEvent::Frozen,
        }
    }

    fn name(&self) -> &'static str {
        match self.kind() {
            NotificationEvent::Started => "started",
            NotificationEvent::Succeeded => "succeeded",
            NotificationEvent::Failed => "failed",
            NotificationEvent::RolledBack => "rolled-back",
            NotificationEvent::Promoted => "promoted",
            NotificationEvent::Rollback => "rollback",
            NotificationEvent::Held => match self {
                ReleaseEvent::Hold { put: false, .. } => "hold-released",
                _ => "held",
            },
            NotificationEvent::Frozen => match self {
                ReleaseEvent::Freeze { put: None } => "unfrozen",
                _ => "frozen",
            },
        }
    }

    /// The lifecycle events (promote, rollback, hold, freeze): not a
    /// release's progress, so no duration.
    fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            ReleaseEvent::Promoted { .. }
                | ReleaseEvent::Rollback { .. }
                | ReleaseEvent::Hold { .. }
                | ReleaseEvent::Freeze { .. }
        )
    }
}

enum Kind {
    Slack,
    Webhook,
}

struct Target {
    kind: Kind,
    url: String,
    events: Option<Vec<NotificationEvent>>,
}

/// What every message says about the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// Environment name.
    pub environment: String,
    /// Config commit.
    pub commit: Option<String>,
    /// A web link to the commit, when the repo URL is a known forge's.
    pub commit_url: Option<String>,
    /// The release image.
    pub image: String,
    /// The schema revision the spec asks for.
    pub revision: Option<String>,
}

/// Sends release events to the environment's targets.
pub struct Notifier {
    facts: ReleaseFacts,
    started: Instant,
    targets: Vec<Target>,
}

impl Notifier {
    /// Resolve the targets' URLs from the environment variables now.
    /// A target whose variable is unset is skipped with a warning.
    /// `repo_url` (the config repo's git URL) makes commit links.
    pub fn new(env: &Environment, commit: Option<&str>, repo_url: Option<&str>) -> Notifier {
        let mut targets = Vec::new();
        for n in &env.notifications {
            let (var, kind, events) = match n {
                Notification::Slack {
                    webhook_url_from,
                    events,
                } => (webhook_url_from, Kind::Slack, events),
                Notification::Webhook { url_from, events } => (url_from, Kind::Webhook, events),
            };
            match std::env::var(var) {
                Ok(url) if !url.is_empty() => targets.push(Target {
                    kind,
                    url,
                    events: events.clone(),
                }),
                _ => tracing::warn!("notification skipped: environment variable {var} is not set"),
            }
        }
        Notifier {
            facts: ReleaseFacts {
                environment: env.name.clone(),
                commit: commit.map(str::to_owned),
                commit_url: commit.and_then(|c| repo_url.and_then(|r| commit_url(r, c))),
                image: env.image.clone(),
                revision: env.migration.as_ref().map(|m| m.revision.clone()),
            },
            started: Instant::now(),
            targets,
        }
    }

    /// Send `event` to every target that wants it. Never fails.
    pub async fn send(&self, event: &ReleaseEvent) {
        let elapsed = self.started.elapsed();
        for target in &self.targets {
            if target
                .events
                .as_ref()
                .is_some_and(|wanted| !wanted.contains(&event.kind()))
            {
                continue;
            }
            let body = match target.kind {
                Kind::Slack => slack_message(&self.facts, event, elapsed),
                Kind::Webhook => webhook_body(&self.facts, event, elapsed),
            };
            if let Err(e) = post_json(&target.url, &body.to_string()).await {
                // The URL may embed a token: name the target kind, not the URL.
                let kind = match target.kind {
                    Kind::Slack => "Slack",
                    Kind::Webhook => "webhook",
                };
                tracing::warn!("{kind} notification failed (the release is not affected): {e}");
            }
        }
    }
}

/// A web link to `commit` of a GitHub, GitLab or Bitbucket repo URL
/// (`https://host/org/repo(.git)`, `git@host:org/repo.git`, `ssh://git@host/org/repo`).
pub fn commit_url(repo: &str, commit: &str) -> Option<String> {
    let (host, path) = if let Some(rest) = repo.strip_prefix("https://") {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        rest.split_once('/')?
    } else if let Some(rest) = repo.strip_prefix("ssh://") {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (host, path) = rest.split_once('/')?;
        (host.split(':').next()?, path)
    } else if let Some((user_host, path)) = repo.split_once(':') {
        (
            user_host.rsplit_once('@').map_or(user_host, |(_, h)| h),
            path,
        )
    } else {
        return None;
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let link = match host {
        "github.com" => format!("https://github.com/{path}/commit/{commit}"),
        h if h == "gitlab.com" || h.starts_with("gitlab.") => {
            format!("https://{h}/{path}/-/commit/{commit}")
        }
        "bitbucket.org" => format!("https://bitbucket.org/{path}/commits/{commit}"),
        _ => return None,
    };
    Some(link)
}

fn headline(facts: &ReleaseFacts, event: &ReleaseEvent) -> String {
    let env = &facts.environment;
    match event {
        ReleaseEvent::Started { .. } => format!(":rocket: deckhand: releasing *{env}*"),
        ReleaseEvent::Succeeded { .. } => format!(":white_check_mark: deckhand: *{env}* released"),
        ReleaseEvent::Failed { step, .. } => format!(":x: deckhand: *{env}* failed at {step}"),
        ReleaseEvent::RolledBack { services, .. } => format!(
            ":leftwards_arrow_with_hook: deckhand: *{env}* rolled back ({})",
            services.join(", ")
        ),
        ReleaseEvent::Promoted { from, release } => {
            format!(":arrow_up: deckhand: {from} {release} promoted to *{env}*")
        }
        ReleaseEvent::Rollback { release, .. } => {
            format!(":rewind: deckhand: *{env}* rolled back to {release}")
        }
        ReleaseEvent::Hold { image, put: true } => format!(
            ":pause_button: deckhand: *{env}* held: commits with `{}` are not applied until `deckhand release-hold {env}` or a commit with another image",
            image.rsplit('/').next().unwrap_or(image)
        ),
        ReleaseEvent::Hold { put: false, .. } => {
            format!(":arrow_forward: deckhand: the hold on *{env}* was released")
        }
        ReleaseEvent::Freeze { put: Some(what) } => {
            format!(":snowflake: deckhand: *{env}* frozen until {what}")
        }
        ReleaseEvent::Freeze { put: None } => format!(":sunny: deckhand: *{env}* unfrozen"),
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= SLACK_TEXT_LIMIT {
        return text.to_owned();
    }
    let kept: String = text.chars().take(SLACK_TEXT_LIMIT).collect();
    format!("{kept}…")
}

/// The Slack message: a fallback `text` and Block Kit `blocks`: pure.
pub fn slack_message(facts: &ReleaseFacts, event: &ReleaseEvent, elapsed: Duration) -> Value {
    let commit = match (&facts.commit, &facts.commit_url) {
        (Some(c), Some(url)) => format!("<{url}|{}>", crate::source::short_sha(c)),
        (Some(c), None) => format!("`{}`", crate::source::short_sha(c)),
        (None, _) => "working directory".to_owned(),
    };
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*Environment*\n{}", facts.environment)}),
        json!({"type": "mrkdwn", "text": format!("*Commit*\n{commit}")}),
        json!({"type": "mrkdwn", "text": format!("*Image*\n`{}`", facts.image)}),
    ];
    if let Some(revision) = &facts.revision {
        fields.push(json!({"type": "mrkdwn", "text": format!("*Schema revision*\n{revision}")}));
    }
    if !matches!(event, ReleaseEvent::Started { .. }) && !event.is_lifecycle() {
        fields
            .push(json!({"type": "mrkdwn", "text": format!("*Duration*\n{}s", elapsed.as_secs())}));
    }
    fields.push(json!({"type": "mrkdwn", "text": format!("*Result*\n{}", event.name())}));
    let title = headline(facts, event);
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": title}}),
        json!({"type": "section", "fields": fields}),
    ];
    match event {
        ReleaseEvent::Started { steps } | ReleaseEvent::Succeeded { steps }
            if !steps.is_empty() =>
        {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&format!("• {}", steps.join("\n• ")))}}));
        }
        ReleaseEvent::Failed { reason, log, .. } => {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&format!("*Why*\n{reason}"))}}));
            if !log.is_empty() {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&format!("*Migration log (last lines)*\n```{}```", log.join("\n")))}}));
            }
        }
        ReleaseEvent::RolledBack { reason, .. }
        | ReleaseEvent::Rollback {
            reason: Some(reason),
            ..
        } => {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&format!("*Why*\n{reason}"))}}));
        }
        _ => {}
    }
    let text = match event {
        ReleaseEvent::Failed { reason, .. } | ReleaseEvent::RolledBack { reason, .. } => {
            format!("{title}: {}", reason.lines().next().unwrap_or_default())
        }
        _ => title.clone(),
    };
    json!({"text": text, "blocks": blocks})
}

/// The JSON webhook's body: pure.
pub fn webhook_body(facts: &ReleaseFacts, event: &ReleaseEvent, elapsed: Duration) -> Value {
    let mut body = json!({
        "environment": facts.environment,
        "commit": facts.commit,
        "commitUrl": facts.commit_url,
        "image": facts.image,
        "revision": facts.revision,
        "event": event.name(),
    });
    if !matches!(event, ReleaseEvent::Started { .. }) && !event.is_lifecycle() {
        body["durationSeconds"] = json!(elapsed.as_secs());
    }
    match event {
        ReleaseEvent::Started { steps } | ReleaseEvent::Succeeded { steps } => {
            body["steps"] = json!(steps);
        }
        ReleaseEvent::Failed { step, reason, log } => {
            body["step"] = json!(step);
            body["reason"] = json!(reason);
            body["log"] = json!(log);
        }
        ReleaseEvent::RolledBack { reason, services } => {
            body["reason"] = json!(reason);
            body["services"] = json!(services);
        }
        ReleaseEvent::Promoted { from, release } => {
            body["from"] = json!(from);
            body["release"] = json!(release);
        }
        ReleaseEvent::Rollback { release, reason } => {
            body["release"] = json!(release);
            body["reason"] = json!(reason);
        }
        ReleaseEvent::Hold { image, .. } => body["heldImage"] = json!(image),
        ReleaseEvent::Freeze { put } => body["freeze"] = json!(put),
    }
    body
}

/// POST a JSON body; Ok on a 2xx answer.
async fn post_json(url: &str, body: &str) -> Result<(), String> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_runtime_api::http::Request;
    use aws_smithy_types::body::SdkBody;
    let connector = aws_smithy_http_client::Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build();
    let request = http::Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("deckhand/", env!("CARGO_PKG_VERSION")),
        )
        .body(SdkBody::from(body.to_owned()))
        .map_err(|_| "invalid URL".to_owned())?;
    let request = Request::try_from(request).map_err(|_| "invalid request".to_owned())?;
    let response = tokio::time::timeout(Duration::from_secs(10), connector.call(request))
        .await
        .map_err(|_| "timed out after 10s".to_owned())?
        .map_err(|e| {
            format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        })?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(commit_url: Option<&str>) -> ReleaseFacts {
        ReleaseFacts {
            environment: "production".into(),
            commit: Some("3f9c2e1aa5b6c7d8e9f00011223344556677889a".into()),
            commit_url: commit_url.map(str::to_owned),
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1".into(),
            revision: Some("20261201000000".into()),
        }
    }

    #[test]
    fn commit_links_for_the_usual_forges() {
        let c = "abc123";
        let cases = [
            (
                "https://github.com/acme/deploy-config.git",
                Some("https://github.com/acme/deploy-config/commit/abc123"),
            ),
            (
                "git@github.com:acme/deploy-config.git",
                Some("https://github.com/acme/deploy-config/commit/abc123"),
            ),
            (
                "ssh://git@github.com/acme/deploy-config",
                Some("https://github.com/acme/deploy-config/commit/abc123"),
            ),
            (
                "https://oauth2@gitlab.com/acme/ops/config.git",
                Some("https://gitlab.com/acme/ops/config/-/commit/abc123"),
            ),
            (
                "git@bitbucket.org:acme/config.git",
                Some("https://bitbucket.org/acme/config/commits/abc123"),
            ),
            ("https://git.internal.example/acme/config.git", None),
            ("/srv/config", None),
        ];
        for (repo, expected) in cases {
            assert_eq!(commit_url(repo, c).as_deref(), expected, "{repo}");
        }
    }

    #[test]
    fn a_failed_migration_message_has_the_reason_and_the_log_tail() {
        let event = ReleaseEvent::Failed {
            step: "migrate".into(),
            reason: "migration to schema revision 20261201000000 failed: exit code 1".into(),
            log: vec!["PG::DuplicateTable: ERROR".into()],
        };
        let slack = slack_message(
            &facts(Some("https://github.com/acme/c/commit/3f9c")),
            &event,
            Duration::from_secs(95),
        );
        let text = slack.to_string();
        assert!(
            slack["text"]
                .as_str()
                .unwrap()
                .starts_with(":x: deckhand: *production* failed at migrate: migration"),
            "{text}"
        );
        assert!(
            text.contains("<https://github.com/acme/c/commit/3f9c|3f9c2e1aa5b6>"),
            "{text}"
        );
        assert!(text.contains("*Duration*\\n95s"), "{text}");
        assert!(text.contains("```PG::DuplicateTable: ERROR```"), "{text}");
        let hook = webhook_body(&facts(None), &event, Duration::from_secs(95));
        assert_eq!(hook["event"], "failed");
        assert_eq!(hook["durationSeconds"], 95);
        assert_eq!(hook["log"], json!(["PG::DuplicateTable: ERROR"]));
        assert_eq!(hook["revision"], "20261201000000");
    }

    #[test]
    fn long_texts_are_clipped_under_slacks_limit() {
        let event = ReleaseEvent::Failed {
            step: "rollout".into(),
            reason: "x".repeat(10_000),
            log: Vec::new(),
        };
        let slack = slack_message(&facts(None), &event, Duration::ZERO);
        for block in slack["blocks"].as_array().unwrap() {
            if let Some(t) = block["text"]["text"].as_str() {
                assert!(t.chars().count() <= 3000);
            }
        }
    }
}
