//! The controller's web UI in a real browser (Debian's headless Chromium)
//! against a controller over the emulator: what runs where, what will change,
//! a release as it happens, a change in ECS without a reload, nothing loaded
//! from outside 127.0.0.1, readable without JavaScript and on a phone, and
//! the password.

use crate::controller::Running;
use crate::support::browser::{Browser, Page};
use crate::support::emulator;
use crate::support::fixture::{Fixture, git};
use serde_json::{Value, json};
use std::time::Duration;

const OLD_IMAGE: &str = "shop:3f9c2e1";
const NEW_IMAGE: &str = "shop:9a8b7c6";
const SECRET_VALUE: &str = "tok-4f1d9c2e7b";
const LOG_SECRET: &str = "hunter2";

/// A JavaScript expression: is `needle` in the page's text?
fn shows(needle: &str) -> String {
    format!(
        "document.body && document.body.innerText.includes({})",
        serde_json::to_string(needle).unwrap()
    )
}

fn wait_for_text(page: &Page, needle: &str, seconds: u64) {
    assert!(
        page.wait_until(&shows(needle), Duration::from_secs(seconds)),
        "the page never showed {needle:?}; it shows:\n{}",
        page.text()
    );
}

/// Set a marker that a reload would wipe.
fn mark(page: &Page) {
    page.eval("window.__notReloaded = true");
}

fn not_reloaded(page: &Page) -> bool {
    page.eval("window.__notReloaded === true") == Value::Bool(true)
}

/// Text elements whose colour contrast with their background is below 4.5:1
/// (WCAG AA for normal text), as "text: ratio".
const LOW_CONTRAST: &str = r#"(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width <= 1 || box.height <= 1) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(el.textContent.trim().slice(0, 40) + ": " + ratio.toFixed(2));
  }
  return bad;
})()"#;

/// Two environments, both running `shop:3f9c2e1`: `fx.id` releases
/// `shop:9a8b7c6` at once (and then reports drift, not reverting it); the
/// second waits with `sync.auto: false` for a migration, a secret-looking
/// variable in its plan and a migration log that prints a password.
fn two_environments() -> (Fixture, String, String) {
    let fx = Fixture::seeded("ui");
    let second = format!("{}-b", fx.id);
    fx.add_environment(&second);
    fx.commit("add the second environment");
    fx.seed_environment(&second, Some("20261101000000"), |_| {});
    let a = std::fs::read_to_string(fx.spec_path()).unwrap();
    std::fs::write(
        fx.spec_path(),
        format!("{a}\nsync:\n  selfHeal: false\n").replace(OLD_IMAGE, NEW_IMAGE),
    )
    .unwrap();
    let b_path = fx.repo().join(format!("environments/{second}.yaml"));
    let b = std::fs::read_to_string(&b_path).unwrap();
    std::fs::write(
        &b_path,
        format!("{b}\nsync:\n  auto: false\n")
            .replace(OLD_IMAGE, NEW_IMAGE)
            .replace("20261101000000", "20261120093000")
            .replace(
                "environment: {RAILS_MAX_THREADS: \"5\"}",
                &format!("environment: {{RAILS_MAX_THREADS: \"5\", PAYMENTS_API_TOKEN: \"{SECRET_VALUE}\"}}"),
            ),
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&b_path)
            .unwrap()
            .contains(SECRET_VALUE)
    );
    git(&fx.repo(), &["add", "-A"]);
    git(
        &fx.repo(),
        &[
            "-c",
            "user.name=Grace Hopper",
            "commit",
            "-q",
            "-m",
            "Release shop 9a8b7c6 with the sku column",
        ],
    );
    let head = git(&fx.repo(), &["rev-parse", "HEAD"]);
    emulator().task_rule(json!({
        "commandContains": second, "exitCode": 0, "runSeconds": 4,
        "logLines": [
            "== 20261120093000 AddSkuToOrders: migrating ==",
            "-- add_column(:orders, :sku, :string)",
            format!("connected to postgres://shop:{LOG_SECRET}@db.internal/shop"),
            "== 20261120093000 AddSkuToOrders: migrated (0.0043s) ==",
        ],
    }));
    (fx, second, head)
}

#[test]
fn the_web_ui_shows_what_runs_where_what_will_change_and_follows_ecs_live() {
    let (fx, second, head) = two_environments();
    let ctl = Running::start(&fx, &["--env", &second], &[("DECKHAND_INTERVAL", "1s")]);
    let base = format!("http://{}", ctl.addr);
    let short = &head[..12];

    let browser = Browser::launch();
    let page = browser.new_page();
    assert_eq!(page.navigate(&format!("{base}/")), 200);
    // The first environment is released at once; the second waits.
    let row = |env: &str| {
        format!(
            "(document.getElementById({}) || {{innerText: ''}}).innerText",
            serde_json::to_string(&format!("env-{env}")).unwrap()
        )
    };
    assert!(
        page.wait_until(
            &format!(
                "{}.includes('in sync') && {}.includes('out of sync')",
                row(&fx.id),
                row(&second)
            ),
            Duration::from_secs(60)
        ),
        "{}",
        page.text()
    );
    let first = page.eval(&row(&fx.id)).as_str().unwrap().to_owned();
    for fact in [
        short,
        "Release shop 9a8b7c6 with the sku column",
        "Grace Hopper",
        "9a8b7c6",
        "succeeded",
        "20261101000000",
    ] {
        assert!(first.contains(fact), "{fact:?} missing from {first}");
    }
    let waiting = page.eval(&row(&second)).as_str().unwrap().to_owned();
    assert!(
        waiting.contains("wait to be applied (sync.auto is false)"),
        "{waiting}"
    );
    assert!(
        waiting.contains("3f9c2e1") && waiting.contains("20261120093000"),
        "{waiting}"
    );
    assert!(not_reloaded_after_js_ran(&page));

    // The pending plan of the second: steps and colored diffs, secrets masked.
    let env_page = browser.new_page();
    assert_eq!(
        env_page.navigate(&format!("{base}/environments/{second}")),
        200
    );
    wait_for_text(&env_page, "Pending plan", 10);
    wait_for_text(
        &env_page,
        "migrate schema 20261101000000 → 20261120093000",
        1,
    );
    let colors = env_page.eval(
        "(() => { const c = (s, has) => { const e = [...document.querySelectorAll(s)].find(e => e.textContent.includes(has));
            return e && [e.textContent, getComputedStyle(e).color, getComputedStyle(e).backgroundColor]; };
          return {add: c('.diff .add', '\"image\"'), del: c('.diff .del', '\"image\"'), ctx: c('.diff .ctx', '')}; })()",
    );
    let (add, del, ctx) = (&colors["add"], &colors["del"], &colors["ctx"]);
    assert!(add[0].as_str().unwrap().contains(NEW_IMAGE), "{colors}");
    assert!(del[0].as_str().unwrap().contains(OLD_IMAGE), "{colors}");
    assert!(
        add[1] != ctx[1] && del[1] != ctx[1] && add[1] != del[1],
        "diff lines are colored: {colors}"
    );
    assert!(add[2] != del[2], "{colors}");
    let text = env_page.text();
    assert!(
        text.contains("PAYMENTS_API_TOKEN") && text.contains("(sensitive value"),
        "{text}"
    );
    assert!(
        !text.contains(SECRET_VALUE),
        "a secret value is shown:\n{text}"
    );

    // A change made in ECS shows up without a reload.
    let first_page = browser.new_page();
    assert_eq!(
        first_page.navigate(&format!("{base}/environments/{}", fx.id)),
        200
    );
    wait_for_text(&first_page, "in sync", 10);
    mark(&first_page);
    // What the reader opened and focused stays so across updates.
    first_page.eval("document.getElementById('release-events').open = true; document.querySelector('nav a').focus()");
    emulator().ecs(
        "console-user",
        "UpdateService",
        &json!({"cluster": fx.id, "service": "web", "desiredCount": 3}),
    );
    wait_for_text(&first_page, "Drift: ECS was changed outside git", 20);
    assert!(
        first_page.wait_until(
            "(document.getElementById('svc-web') || {innerText: ''}).innerText.includes('/ 3')",
            Duration::from_secs(10)
        ),
        "{}",
        first_page.text()
    );
    assert!(not_reloaded(&first_page), "the page was reloaded");
    assert_eq!(
        first_page.eval("[document.getElementById('release-events').open, document.activeElement.getAttribute('href')]"),
        json!([true, "/"]),
        "the update closed the details or moved the focus"
    );

    // A release as it happens, step by step, on the page already open.
    mark(&env_page);
    let b_path = fx.repo().join(format!("environments/{second}.yaml"));
    let b = std::fs::read_to_string(&b_path).unwrap();
    std::fs::write(&b_path, b.replace("sync:\n  auto: false\n", "")).unwrap();
    fx.commit("Approve the release of the second environment");
    assert!(
        env_page.wait_until(
            &format!(
                "{} && {}",
                shows("Release in progress"),
                shows("(bin/rails db:migrate")
            ),
            Duration::from_secs(40)
        ),
        "the migration step never showed while the release ran:\n{}",
        env_page.text()
    );
    assert!(
        env_page.wait_until(
            "(() => { const h = document.querySelector('h1'); return !!h && h.innerText.includes('in sync'); })()",
            Duration::from_secs(60)
        ),
        "{}",
        env_page.text()
    );
    wait_for_text(&env_page, "Last migration", 10);
    wait_for_text(&env_page, "add_column(:orders, :sku, :string)", 1);
    wait_for_text(&env_page, "20261120093000 (migrated)", 10);
    let text = env_page.text();
    assert!(
        !text.contains(LOG_SECRET) && text.contains("shop:***@db.internal"),
        "{text}"
    );
    assert!(!text.contains(SECRET_VALUE));
    assert!(not_reloaded(&env_page), "the page was reloaded");

    // Nothing was requested from anywhere but the controller.
    for p in [&page, &env_page, &first_page] {
        let requests = p.requests();
        assert!(
            requests.iter().any(|u| u.contains("part=main")),
            "the page polls: {requests:?}"
        );
        for url in requests {
            assert!(
                url.starts_with(&format!("{base}/")),
                "a request left the controller: {url}"
            );
        }
    }
}

/// The script has run (it writes the live line) and the page is the one loaded.
fn not_reloaded_after_js_ran(page: &Page) -> bool {
    mark(page);
    page.wait_until(
        "document.getElementById('live').innerText.length > 0",
        Duration::from_secs(5),
    ) && not_reloaded(page)
}

#[test]
fn the_pages_read_without_javascript_on_a_phone_and_by_keyboard() {
    let fx = Fixture::seeded("uia11y");
    let ctl = Running::start(&fx, &[], &[("DECKHAND_INTERVAL", "1s")]);
    let base = format!("http://{}", ctl.addr);
    ctl.wait_for(Duration::from_secs(30), "a reconcile", || {
        ctl.get("/status").1.contains("in-sync")
    });
    let browser = Browser::launch();

    // Without JavaScript the page is complete, only static.
    let plain = browser.new_page();
    plain.set_javascript(false);
    assert_eq!(plain.navigate(&format!("{base}/")), 200);
    let text = plain.text();
    assert!(text.contains(&fx.id) && text.contains("in sync"), "{text}");
    assert_eq!(
        plain.navigate(&format!("{base}/environments/{}", fx.id)),
        200
    );
    let text = plain.text();
    assert!(
        text.contains("Services") && text.contains("2 / 2"),
        "{text}"
    );

    // On a phone: no sideways scrolling, every field labelled.
    let phone = browser.new_page();
    phone.set_viewport(390, 844, true);
    for path in ["/".to_owned(), format!("/environments/{}", fx.id)] {
        assert_eq!(phone.navigate(&format!("{base}{path}")), 200);
        let width = phone
            .eval("document.documentElement.scrollWidth")
            .as_i64()
            .unwrap();
        assert!(width <= 390, "{path} is {width} px wide on a 390 px phone");
        let label = phone.eval(
            "getComputedStyle(document.querySelector('td[data-label=\"Image\"]'), '::before').content",
        );
        assert_eq!(label, "\"Image\"", "{path}: fields are labelled on a phone");
    }

    // Semantics, contrast and the keyboard.
    let page = browser.new_page();
    assert_eq!(page.navigate(&format!("{base}/")), 200);
    assert_eq!(page.eval("document.documentElement.lang"), "en");
    assert_eq!(
        page.eval("[...document.querySelectorAll('table')].every(t => t.caption && t.querySelector('th[scope]'))"),
        true
    );
    let low = page.eval(LOW_CONTRAST);
    assert_eq!(low, json!([]), "text below 4.5:1 contrast");
    page.press_tab();
    assert_eq!(
        page.eval("document.activeElement.textContent"),
        "Skip to content"
    );
    let target = format!("/environments/{}", fx.id);
    let mut reached = false;
    for _ in 0..6 {
        page.press_tab();
        if page.eval("document.activeElement.getAttribute('href')") == Value::String(target.clone())
        {
            reached = true;
            break;
        }
    }
    assert!(reached, "the environment's link is not reachable by Tab");
    assert_eq!(page.navigate(&format!("{base}{target}")), 200);
    let low = page.eval(LOW_CONTRAST);
    assert_eq!(low, json!([]), "text below 4.5:1 contrast");
    // The check itself finds faint text.
    page.eval("(() => { const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#bbbbbb'; document.body.append(p); })()");
    let low = page.eval(LOW_CONTRAST);
    assert!(
        low[0].as_str().is_some_and(|s| s.starts_with("faint: 1.")),
        "{low}"
    );
    // The dark scheme too.
    page.set_dark_scheme(true);
    for path in ["/", target.as_str()] {
        assert_eq!(page.navigate(&format!("{base}{path}")), 200);
        assert_eq!(
            page.eval("getComputedStyle(document.body).backgroundColor"),
            "rgb(13, 17, 23)"
        );
        assert_eq!(
            page.eval(LOW_CONTRAST),
            json!([]),
            "{path}: dark text below 4.5:1"
        );
    }
    // Without a password the controller says so.
    let (code, log) = ctl.terminate();
    assert_eq!(code, 0);
    assert!(log.contains("DECKHAND_UI_PASSWORD is not set"), "{log}");
}

/// One GET; the status, the headers (lower-cased names) and the body.
fn request(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, String) {
    emulator::http_with_headers(addr, "GET", path, headers, "")
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_password_guards_the_ui_and_status_and_nothing_else() {
    let fx = Fixture::seeded("uiauth");
    let password = "correct horse battery staple";
    let ctl = Running::start(
        &fx,
        &[],
        &[
            ("DECKHAND_UI_PASSWORD", password),
            ("DECKHAND_INTERVAL", "1s"),
        ],
    );
    let basic =
        |credentials: &str| format!("Basic {}", aws_smithy_types::base64::encode(credentials));
    let good = basic(&format!("deckhand:{password}"));
    let wrong = basic("deckhand:guess");
    let env_page = format!("/environments/{}", fx.id);
    // An environment's page exists once the controller has reconciled it.
    ctl.wait_for(Duration::from_secs(30), "the first reconcile", || {
        request(&ctl.addr, &env_page, &[("Authorization", &good)]).0 == 200
    });
    for path in ["/", env_page.as_str(), "/status", "/?part=main"] {
        let (status, headers, body) = request(&ctl.addr, path, &[]);
        assert_eq!(status, 401, "{path} without a password");
        assert!(
            header(&headers, "www-authenticate").is_some_and(|v| v.starts_with("Basic realm="))
        );
        assert!(!body.contains(&fx.id), "{path} leaks: {body}");
        assert_eq!(
            request(&ctl.addr, path, &[("Authorization", &wrong)]).0,
            401
        );
        assert_eq!(
            request(&ctl.addr, path, &[("Authorization", &good)]).0,
            200,
            "{path}"
        );
    }
    for path in ["/healthz", "/readyz", "/metrics", "/assets/ui.css"] {
        assert_eq!(request(&ctl.addr, path, &[]).0, 200, "{path} stays open");
    }
    // The webhook keeps its own check: a signature, not the password.
    let (status, body) = emulator::http(
        &ctl.addr,
        "POST",
        "/hooks/git",
        &[("Authorization", &good)],
        "{}",
    );
    assert_eq!((status, body.as_str()), (401, "invalid signature\n"));

    // Security headers on every response: a page, an open endpoint, a 401.
    for (path, auth) in [("/", good.as_str()), ("/healthz", ""), ("/status", "")] {
        let (_, headers, _) = request(&ctl.addr, path, &[("Authorization", auth)]);
        let csp = header(&headers, "content-security-policy").expect("a CSP");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
        assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"));
    }

    // In the browser: refused without, shown (and kept current) with.
    let browser = Browser::launch();
    let page = browser.new_page();
    assert_eq!(page.navigate(&format!("http://{}/", ctl.addr)), 401);
    page.set_extra_headers(&[("Authorization", &good)]);
    assert_eq!(page.navigate(&format!("http://{}/", ctl.addr)), 200);
    wait_for_text(&page, &fx.id, 30);
    // Its script polls with the same credentials: each reconcile shows.
    wait_for_text(&page, "Updated", 20);
}
