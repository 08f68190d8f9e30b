//! Release notifications: a Slack incoming webhook and a generic JSON webhook,
//! their URLs read from the environment variables the spec names (never from
//! git). Sending is best effort: a notification that fails is logged and never
//! fails the release.

use crate::spec::{Environment, Notification};
use aws_smithy_runtime_api::client::http::HttpConnector;
use serde_json::json;
use std::time::Duration;

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
    },
    /// A failed rollout was undone.
    RolledBack {
        /// Why.
        reason: String,
        /// Services put back.
        services: Vec<String>,
    },
}

impl ReleaseEvent {
    fn name(&self) -> &'static str {
        match self {
            ReleaseEvent::Started { .. } => "started",
            ReleaseEvent::Succeeded { .. } => "succeeded",
            ReleaseEvent::Failed { .. } => "failed",
            ReleaseEvent::RolledBack { .. } => "rolled-back",
        }
    }
}

enum Target {
    Slack(String),
    Webhook(String),
}

/// Sends release events to the environment's targets.
pub struct Notifier {
    environment: String,
    commit: Option<String>,
    targets: Vec<Target>,
}

impl Notifier {
    /// Resolve the targets' URLs from the environment variables now.
    /// A target whose variable is unset is skipped with a warning.
    pub fn new(env: &Environment, commit: Option<&str>) -> Notifier {
        let mut targets = Vec::new();
        for n in &env.notifications {
            let (var, make): (&str, fn(String) -> Target) = match n {
                Notification::Slack { webhook_url_from } => (webhook_url_from, Target::Slack),
                Notification::Webhook { url_from } => (url_from, Target::Webhook),
            };
            match std::env::var(var) {
                Ok(url) if !url.is_empty() => targets.push(make(url)),
                _ => tracing::warn!("notification skipped: environment variable {var} is not set"),
            }
        }
        Notifier {
            environment: env.name.clone(),
            commit: commit.map(str::to_owned),
            targets,
        }
    }

    fn slack_text(&self, event: &ReleaseEvent) -> String {
        let at = self
            .commit
            .as_deref()
            .map(|c| format!(" @ `{}`", crate::source::short_sha(c)))
            .unwrap_or_default();
        let env = &self.environment;
        match event {
            ReleaseEvent::Started { steps } => {
                format!(
                    ":rocket: deckhand: releasing *{env}*{at}\n• {}",
                    steps.join("\n• ")
                )
            }
            ReleaseEvent::Succeeded { .. } => {
                format!(":white_check_mark: deckhand: *{env}*{at} released")
            }
            ReleaseEvent::Failed { step, reason } => {
                format!(":x: deckhand: *{env}*{at} failed at {step}: {reason}")
            }
            ReleaseEvent::RolledBack { reason, services } => format!(
                ":leftwards_arrow_with_hook: deckhand: *{env}*{at} rolled back ({}): {reason}",
                services.join(", ")
            ),
        }
    }

    /// Send `event` to every target. Never fails.
    pub async fn send(&self, event: &ReleaseEvent) {
        for target in &self.targets {
            let (url, body) = match target {
                Target::Slack(url) => (url, json!({"text": self.slack_text(event)})),
                Target::Webhook(url) => {
                    let mut body = json!({
                        "environment": self.environment,
                        "commit": self.commit,
                        "event": event.name(),
                    });
                    match event {
                        ReleaseEvent::Started { steps } | ReleaseEvent::Succeeded { steps } => {
                            body["steps"] = json!(steps);
                        }
                        ReleaseEvent::Failed { step, reason } => {
                            body["step"] = json!(step);
                            body["reason"] = json!(reason);
                        }
                        ReleaseEvent::RolledBack { reason, services } => {
                            body["reason"] = json!(reason);
                            body["services"] = json!(services);
                        }
                    }
                    (url, body)
                }
            };
            if let Err(e) = post_json(url, &body.to_string()).await {
                // The URL may embed a token: name the target kind, not the URL.
                let kind = match target {
                    Target::Slack(_) => "Slack",
                    Target::Webhook(_) => "webhook",
                };
                tracing::warn!("{kind} notification failed (the release is not affected): {e}");
            }
        }
    }
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
