//! The controller's read-only web UI: `/` (every environment), and
//! `/environments/NAME` (its services, pending plan, releases, last
//! migration), with the CSS, script and icon embedded in the binary. No
//! outside request, no build step; the pages work without JavaScript, and
//! with it `<main>` is re-fetched every 2 s (`?part=main`, answered 304 while
//! nothing changed).
//!
//! Also here: HTTP Basic auth for the UI and `/status` when
//! `DECKHAND_UI_PASSWORD` is set (user `deckhand`), and the security headers
//! every response carries.

pub mod page;

use super::state::ControllerState;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use page::Board;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable holding the UI password.
pub const PASSWORD_VAR: &str = "DECKHAND_UI_PASSWORD";
/// The Basic auth user name.
pub const USER: &str = "deckhand";

const CSS: &str = include_str!("assets/ui.css");
const JS: &str = include_str!("assets/ui.js");
const ICON: &str = include_str!("assets/favicon.svg");

/// Only this origin, no frames, no plugins, no forms.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Asset URLs change with every build, so they can be cached for long.
fn asset_version() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("DECKHAND_COMMIT"))
}

/// The UI's routes: `/`, `/environments/{name}`, `/assets/{file}`.
pub fn router(state: Arc<ControllerState>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/environments/{name}", get(environment))
        .with_state(state)
}

/// The embedded assets (not behind the password: nothing in them is private).
pub fn assets() -> Router {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "ui.css" => (CSS, "text/css; charset=utf-8"),
        "ui.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// What the pages show, copied from the state (the generation read first,
/// so a change made while copying shows at the next poll).
fn board(state: &ControllerState) -> Board {
    let generation = state.generation();
    Board {
        ready: state.is_ready(),
        repo: state.repo(),
        environments: state.environments(),
        commits: state.commits(),
        generation,
        replica: state.ownership(),
    }
}

/// Did the script ask for `<main>` only (`?part=main`)?
fn wants_main_only(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "part=main"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The page, or only its `<main>` for the script; 304 when the script
/// already has this generation.
fn respond(
    board: &Board,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
    title: &str,
    main: String,
) -> Response {
    let etag = format!("\"{}\"", board.generation);
    let fragment = wants_main_only(uri);
    if fragment
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = if fragment {
        main
    } else {
        page::shell(title, board, &main, asset_version())
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

async fn overview(
    State(state): State<Arc<ControllerState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let board = board(&state);
    let main = page::overview(&board, now());
    respond(&board, &headers, &uri, StatusCode::OK, "Environments", main)
}

async fn environment(
    State(state): State<Arc<ControllerState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let board = board(&state);
    match page::environment(&board, &name, now()) {
        Some(main) => respond(&board, &headers, &uri, StatusCode::OK, &name, main),
        None => respond(
            &board,
            &headers,
            &uri,
            StatusCode::NOT_FOUND,
            "Not found",
            page::not_found(&name),
        ),
    }
}

/// The `Authorization` header value that `password` accepts.
pub fn expected_authorization(password: &str) -> String {
    format!(
        "Basic {}",
        aws_smithy_types::base64::encode(format!("{USER}:{password}"))
    )
}

/// Equal, in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware: 401 unless the request carries `expected` (Basic auth).
pub async fn require_password(
    State(expected): State<Arc<String>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if same(given, expected.as_bytes()) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [
            (
                header::WWW_AUTHENTICATE,
                "Basic realm=\"deckhand\", charset=\"UTF-8\"",
            ),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        "sign in as user deckhand with the password in DECKHAND_UI_PASSWORD\n",
    )
        .into_response()
}

/// Middleware: the security headers of every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_checked_as_basic_auth_for_user_deckhand() {
        // "deckhand:open sesame", base64.
        assert_eq!(
            expected_authorization("open sesame"),
            "Basic ZGVja2hhbmQ6b3BlbiBzZXNhbWU="
        );
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn the_policy_allows_no_other_origin_and_no_inline_code() {
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(CSP.contains(directive), "{directive}");
        }
        assert!(!CSP.contains("unsafe-inline") && !CSP.contains("http"));
    }
}
