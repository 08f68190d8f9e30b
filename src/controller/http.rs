//! The controller's HTTP endpoints: `/healthz`, `/readyz` (ready after the
//! first successful fetch), `/metrics` (Prometheus text), `/status` (JSON per
//! environment), the web UI ([`ui`]: `/`, `/environments/NAME`, `/assets/*`;
//! it and `/status` behind `DECKHAND_UI_PASSWORD` when set) and `POST /hooks/git`, a GitHub-style push webhook verified
//! with `X-Hub-Signature-256` (HMAC-SHA256 of the body, secret in
//! `DECKHAND_WEBHOOK_SECRET`). A missing or wrong signature — or no secret
//! configured — gets 401 and changes nothing.

use super::Wakeups;
use super::state::ControllerState;
use super::ui;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Environment variable holding the webhook secret.
pub const WEBHOOK_SECRET_VAR: &str = "DECKHAND_WEBHOOK_SECRET";

#[derive(Clone)]
struct App {
    state: Arc<ControllerState>,
    wakeups: Arc<Wakeups>,
    secret: Option<Vec<u8>>,
}

/// Bind `addr` and serve until `cancel`; returns the server task.
pub async fn serve(
    addr: SocketAddr,
    state: Arc<ControllerState>,
    wakeups: Arc<Wakeups>,
    cancel: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let app = App {
        state,
        wakeups,
        secret: std::env::var(WEBHOOK_SECRET_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes),
    };
    if app.secret.is_none() {
        tracing::warn!("{WEBHOOK_SECRET_VAR} is not set: every webhook will be rejected");
    }
    let state = app.state.clone();
    let open = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/hooks/git", post(hook))
        .with_state(app.clone());
    let mut private = Router::new()
        .route("/status", get(status))
        .with_state(app)
        .merge(ui::router(state));
    match std::env::var(ui::PASSWORD_VAR)
        .ok()
        .filter(|p| !p.is_empty())
    {
        Some(password) => {
            let expected = Arc::new(ui::expected_authorization(&password));
            private = private.layer(axum::middleware::from_fn_with_state(
                expected,
                ui::require_password,
            ));
        }
        None => tracing::info!(
            "{} is not set: the web UI and /status are open to anyone who can reach {}",
            ui::PASSWORD_VAR,
            listener.local_addr()?
        ),
    }
    let router = open
        .merge(private)
        .merge(ui::assets())
        .layer(axum::middleware::from_fn(ui::security_headers));
    Ok(tokio::spawn(async move {
        let shutdown = cancel.cancelled_owned();
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!("HTTP server stopped: {e}");
        }
    }))
}

async fn readyz(State(app): State<App>) -> Response {
    if app.state.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first fetch of the config repo\n",
        )
            .into_response()
    }
}

async fn metrics(State(app): State<App>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        app.state.prometheus(),
    )
        .into_response()
}

async fn status(State(app): State<App>) -> Response {
    axum::Json(serde_json::json!({
        "ready": app.state.is_ready(),
        "repo": app.state.repo(),
        "replica": app.state.ownership(),
        "environments": app.state.environments(),
    }))
    .into_response()
}

/// Does `signature` (`sha256=<hex>`) sign `body` with `secret`? Constant-time.
pub fn signature_is_valid(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(hex_digest) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn hook(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let valid = app
        .secret
        .as_deref()
        .is_some_and(|secret| signature_is_valid(secret, &body, signature));
    if !valid {
        app.state.record_webhook("rejected");
        tracing::warn!("webhook rejected: missing or wrong X-Hub-Signature-256");
        return (StatusCode::UNAUTHORIZED, "invalid signature\n").into_response();
    }
    app.state.record_webhook("accepted");
    app.wakeups.fetch.notify_one();
    (StatusCode::ACCEPTED, "fetching\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::signature_is_valid;

    #[test]
    fn github_signatures_are_checked() {
        // HMAC-SHA256("It's a Secret to Everybody", "Hello, World!"), from GitHub's docs.
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_is_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            good
        ));
        assert!(!signature_is_valid(
            b"another secret",
            b"Hello, World!",
            good
        ));
        assert!(!signature_is_valid(
            b"It's a Secret to Everybody",
            b"Hello, World?",
            good
        ));
        assert!(!signature_is_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            ""
        ));
        assert!(!signature_is_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            "sha256=zz"
        ));
    }
}
