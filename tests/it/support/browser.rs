//! A minimal driver of Debian's headless Chromium for tests that open pages in
//! a real browser: it speaks the Chrome DevTools Protocol over
//! `--remote-debugging-pipe` (NUL-terminated JSON messages; the browser reads
//! fd 3 and writes fd 4), so it needs no websocket client and no chromedriver.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, PipeReader, PipeWriter, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a command may take, and a navigation may take to load.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Chromium's flags besides the profile dir and the pipe. `--hide-scrollbars`
/// because a full-page screenshot is laid out without the scrollbar but would
/// be clipped to the (narrower) content width measured with it.
const FLAGS: &str = "--headless --no-sandbox --disable-gpu --no-first-run \
    --no-default-browser-check --disable-background-networking --disable-component-update \
    --disable-sync --disable-extensions --disable-features=Translate,MediaRouter,OptimizationHints \
    --metrics-recording-only --password-store=basic --use-mock-keychain --hide-scrollbars";

/// What the reader thread has received so far.
#[derive(Default)]
struct State {
    /// Command responses not yet picked up, by id.
    responses: HashMap<u64, Value>,
    /// Every event, in arrival order (page events carry their `sessionId`).
    events: Vec<Value>,
    /// The browser closed its end of the pipe.
    closed: bool,
}

/// The pipe to one browser, shared by the `Browser` and its `Page`s.
struct Conn {
    writer: Mutex<PipeWriter>,
    next_id: AtomicU64,
    state: Mutex<State>,
    changed: Condvar,
    log: PathBuf,
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-runs `check` after every message until it returns `Some`, the
    /// browser goes away or `timeout` passes.
    fn wait_for<T, F>(&self, timeout: Duration, mut check: F) -> Option<T>
    where
        F: FnMut(&mut State) -> Option<T>,
    {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(found) = check(&mut state) {
                return Some(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if state.closed || left.is_zero() {
                return None;
            }
            let waited = self.changed.wait_timeout(state, left);
            state = waited.unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Writes one command (to the browser if `session` is empty, else to that
    /// tab) and returns its id.
    fn send(&self, session: &str, method: &str, params: Value) -> io::Result<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !session.is_empty() {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(&bytes).and_then(|()| writer.flush())?;
        Ok(id)
    }

    /// Sends a command and waits for its result, or says why there is none.
    fn try_call(&self, session: &str, method: &str, params: Value) -> Result<Value, String> {
        let log = self.log.display();
        let id = self
            .send(session, method, params)
            .map_err(|e| format!("cannot send {method} to chromium ({e}); see {log}"))?;
        let Some(mut response) = self.wait_for(TIMEOUT, |state| state.responses.remove(&id)) else {
            let closed = self.lock().closed;
            let why = if closed { "exited" } else { "timed out" };
            return Err(format!(
                "no response to {method}: chromium {why}; see {log}"
            ));
        };
        match response["error"]["message"].as_str() {
            Some(error) => Err(format!("{method} failed: {error}")),
            None => Ok(response["result"].take()),
        }
    }

    /// `try_call`, panicking on failure.
    fn call(&self, session: &str, method: &str, params: Value) -> Value {
        self.try_call(session, method, params)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Reads NUL-terminated messages from the browser until it closes the pipe.
fn read_messages(conn: &Conn, pipe: PipeReader) {
    let mut pipe = BufReader::new(pipe);
    let mut buf = Vec::new();
    while matches!(pipe.read_until(0, &mut buf), Ok(n) if n > 0) {
        let json = buf.strip_suffix(&[0]).unwrap_or(&buf);
        if let Ok(message) = serde_json::from_slice::<Value>(json) {
            let mut state = conn.lock();
            match message["id"].as_u64() {
                Some(id) => drop(state.responses.insert(id, message)),
                None => state.events.push(message),
            }
            conn.changed.notify_all();
        }
        buf.clear();
    }
    conn.lock().closed = true;
    conn.changed.notify_all();
}

/// In the forked child, before exec: put the command pipe on fd 3 and the
/// reply pipe on fd 4. Both are first copied above 9 so that neither `dup2`
/// can clobber the other; `dup2` leaves 3 and 4 open across exec, and the
/// close-on-exec copies vanish.
fn attach_pipes(commands: RawFd, replies: RawFd) -> io::Result<()> {
    // SAFETY: only async-signal-safe fcntl/dup2 calls on fds we own.
    let ok = unsafe {
        let commands = libc::fcntl(commands, libc::F_DUPFD_CLOEXEC, 10);
        let replies = libc::fcntl(replies, libc::F_DUPFD_CLOEXEC, 10);
        commands >= 0 && replies >= 0 && libc::dup2(commands, 3) >= 0 && libc::dup2(replies, 4) >= 0
    };
    if ok {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One headless Chromium process, killed (and its profile dir removed) on drop.
pub struct Browser {
    conn: Arc<Conn>,
    child: Child,
    // Dropped after `Drop::drop` has stopped the browser.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Launch /usr/bin/chromium (or $CHROMIUM if set) headless, with a fresh
    /// profile and its stdout/stderr in `chromium.log` inside that profile.
    /// Panics, naming the binary, if it cannot start.
    pub fn launch() -> Browser {
        let binary = std::env::var_os("CHROMIUM").map_or("/usr/bin/chromium".into(), PathBuf::from);
        let cannot = |why: String| -> ! {
            let binary = binary.display();
            panic!(
                "cannot start {binary} ({why}); install Debian's chromium package or set $CHROMIUM"
            )
        };
        let profile = tempfile::Builder::new()
            .prefix("deckhand-chromium-")
            .tempdir();
        let profile = profile.expect("a temporary directory for the chromium profile can be made");
        let log_path = profile.path().join("chromium.log");
        let log = File::create(&log_path).expect("the chromium log file can be created");
        let log2 = log
            .try_clone()
            .expect("the chromium log file handle can be cloned");
        let (commands_in, commands_out) = io::pipe().expect("a pipe to chromium can be made");
        let (replies_in, replies_out) = io::pipe().expect("a pipe from chromium can be made");
        let (commands_fd, replies_fd) = (commands_in.as_raw_fd(), replies_out.as_raw_fd());

        let mut command = Command::new(&binary);
        command.args(FLAGS.split_whitespace());
        command.arg(format!("--user-data-dir={}", profile.path().display()));
        command.arg("--remote-debugging-pipe");
        command.stdin(Stdio::null()).stdout(log).stderr(log2);
        // SAFETY: `attach_pipes` only calls async-signal-safe functions.
        unsafe { command.pre_exec(move || attach_pipes(commands_fd, replies_fd)) };
        let child = command.spawn().unwrap_or_else(|e| cannot(e.to_string()));
        // The child has its copies; unless ours are closed we never see EOF.
        drop((commands_in, replies_out));

        let conn = Arc::new(Conn {
            writer: Mutex::new(commands_out),
            next_id: AtomicU64::new(1),
            state: Mutex::default(),
            changed: Condvar::new(),
            log: log_path,
        });
        let reader = Arc::clone(&conn);
        std::thread::Builder::new()
            .name("chromium-cdp".into())
            .spawn(move || read_messages(&reader, replies_in))
            .expect("the CDP reader thread can be spawned");
        let browser = Browser {
            conn,
            child,
            _profile: profile,
        };
        if let Err(e) = browser.conn.try_call("", "Browser.getVersion", json!({})) {
            cannot(e);
        }
        browser
    }

    /// A new tab (Target.createTarget about:blank, then Target.attachToTarget
    /// with flatten:true), with Page, Network and Runtime domains enabled so
    /// its requests are recorded from the start.
    pub fn new_page(&self) -> Page {
        let blank = json!({ "url": "about:blank" });
        let target = self.conn.call("", "Target.createTarget", blank)["targetId"].take();
        let attach = json!({ "targetId": target, "flatten": true });
        let session = self.conn.call("", "Target.attachToTarget", attach)["sessionId"].take();
        let session = session
            .as_str()
            .expect("Target.attachToTarget returns a sessionId");
        let page = Page {
            conn: Arc::clone(&self.conn),
            session: session.to_owned(),
        };
        for domain in ["Page", "Network", "Runtime"] {
            page.call(&format!("{domain}.enable"), json!({}));
        }
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely first, and give it a few seconds to close its pipe.
        if self.conn.send("", "Browser.close", json!({})).is_ok() {
            let five_seconds = Duration::from_secs(5);
            self.conn
                .wait_for(five_seconds, |state| state.closed.then_some(()));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tab.
pub struct Page {
    conn: Arc<Conn>,
    session: String,
}

impl Page {
    fn call(&self, method: &str, params: Value) -> Value {
        self.conn.call(&self.session, method, params)
    }

    /// Is `event` this tab's `method` event?
    fn is(&self, event: &Value, method: &str) -> bool {
        event["method"] == method && event["sessionId"] == self.session.as_str()
    }

    /// Network.setExtraHTTPHeaders for every later request of this tab (e.g.
    /// an Authorization header).
    pub fn set_extra_headers(&self, headers: &[(&str, &str)]) {
        let headers: HashMap<_, _> = headers.iter().copied().collect();
        self.call("Network.setExtraHTTPHeaders", json!({ "headers": headers }));
    }

    /// Emulation.setDeviceMetricsOverride (deviceScaleFactor 1) — a phone is
    /// (390, 844, true). With `mobile`, a page without a
    /// `<meta name="viewport" content="width=device-width">` is laid out 980
    /// CSS pixels wide, as on a real phone.
    pub fn set_viewport(&self, width: u32, height: u32, mobile: bool) {
        let mut metrics = json!({ "width": width, "height": height, "deviceScaleFactor": 1 });
        metrics["mobile"] = json!(mobile);
        self.call("Emulation.setDeviceMetricsOverride", metrics);
    }

    /// Emulation.setScriptExecutionDisabled(!enabled), for "works without
    /// JavaScript" checks (`eval` keeps working).
    pub fn set_javascript(&self, enabled: bool) {
        let disabled = json!({ "value": !enabled });
        self.call("Emulation.setScriptExecutionDisabled", disabled);
    }

    /// Emulation.setEmulatedMedia: `prefers-color-scheme: dark` or light.
    pub fn set_dark_scheme(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        let features = json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] });
        self.call("Emulation.setEmulatedMedia", features);
    }

    /// Page.navigate and wait (up to 30 s, else panic) for this navigation's
    /// Page.loadEventFired; returns the HTTP status code of the main document
    /// response (Network.responseReceived of type "Document" for the
    /// navigation's frame and loaderId), e.g. 200 or 401.
    pub fn navigate(&self, url: &str) -> u16 {
        let nav = self.call("Page.navigate", json!({ "url": url }));
        let (frame, loader) = (&nav["frameId"], &nav["loaderId"]);
        assert!(
            loader.is_string(),
            "navigating to {url} loaded no new document: {nav}"
        );
        // A failed navigation (`errorText`) may still have had a response, e.g.
        // an empty-bodied 401 that chromium replaces with its own error page.
        let failed = nav["errorText"].as_str();
        let timeout = failed.map_or(TIMEOUT, |_| Duration::from_secs(2));
        let status = self.conn.wait_for(timeout, |state| {
            let events = &state.events;
            let response = events.iter().position(|e| {
                let p = &e["params"];
                self.is(e, "Network.responseReceived")
                    && p["type"] == "Document"
                    && (&p["frameId"], &p["loaderId"]) == (frame, loader)
            })?;
            let load_fired = events[response..]
                .iter()
                .any(|e| self.is(e, "Page.loadEventFired"));
            let status = &events[response]["params"]["response"]["status"];
            load_fired.then(|| status.as_u64().and_then(|code| u16::try_from(code).ok()))
        });
        match (status, failed) {
            (Some(Some(status)), _) => status,
            (Some(None), _) => panic!("the response to {url} has no HTTP status"),
            (None, Some(error)) => panic!("navigating to {url} failed: {error}"),
            (None, None) => panic!("{url} did not load within {timeout:?}"),
        }
    }

    /// Runtime.evaluate, or the exception text if the expression throws.
    fn try_eval(&self, expression: &str) -> Result<Value, String> {
        let params =
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true });
        let mut result = self.call("Runtime.evaluate", params);
        match result.get("exceptionDetails") {
            Some(details) => Err(match details["exception"]["description"].as_str() {
                Some(description) => description.to_owned(),
                None => details["text"].to_string(),
            }),
            None => Ok(result["result"]["value"].take()),
        }
    }

    /// Runtime.evaluate with returnByValue:true, awaitPromise:true; returns
    /// result.value (serde_json::Value::Null for undefined). Panics with the
    /// exception text if the expression throws.
    pub fn eval(&self, expression: &str) -> Value {
        let result = self.try_eval(expression);
        result.unwrap_or_else(|e| panic!("evaluating `{expression}` threw: {e}"))
    }

    /// Evaluate `expression` every 100 ms until it returns JSON `true`, up to
    /// `timeout`; returns whether it did. A throwing expression counts as not
    /// (yet) true.
    pub fn wait_until(&self, expression: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.try_eval(expression) == Ok(Value::Bool(true)) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// document.body.innerText.
    pub fn text(&self) -> String {
        let text = self.eval("document.body ? document.body.innerText : ''");
        text.as_str().expect("innerText is a string").to_owned()
    }

    /// The URLs of every request this tab has sent so far
    /// (Network.requestWillBeSent, including redirects, fetch()/XHR, scripts,
    /// styles, images, favicon), in order.
    pub fn requests(&self) -> Vec<String> {
        let state = self.conn.lock();
        let sent = state
            .events
            .iter()
            .filter(|e| self.is(e, "Network.requestWillBeSent"));
        sent.filter_map(|e| Some(e["params"]["request"]["url"].as_str()?.to_owned()))
            .collect()
    }

    /// Press and release Tab (Input.dispatchKeyEvent keyDown + keyUp with key
    /// "Tab", code "Tab", windowsVirtualKeyCode 9), for keyboard-navigation
    /// checks.
    pub fn press_tab(&self) {
        for kind in ["keyDown", "keyUp"] {
            let mut key = json!({ "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9 });
            key["type"] = json!(kind);
            self.call("Input.dispatchKeyEvent", key);
        }
    }
}
