//! Progress of a release while it runs: the step, elapsed time,
//! running/desired counts and new ECS service events. Text lines on stderr for
//! a terminal, one JSON object per line with `--log-format json` (for CI); in
//! the controller, log lines plus a [`ProgressSink`] that the web UI reads.

use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

/// Receives a release's progress as it happens (the controller's status).
pub trait ProgressSink: Send + Sync {
    /// One event of `step`, `elapsed_seconds` after the release started.
    fn event(&self, elapsed_seconds: u64, step: &str, message: &str);
    /// The migration task `task` for `revision` stopped; `lines` is the end of
    /// its log, secrets masked.
    fn migration_log(&self, revision: &str, task: &str, succeeded: bool, lines: &[String]);
}

/// Where progress goes.
#[derive(Clone)]
pub struct Progress {
    json: bool,
    quiet: bool,
    start: Instant,
    sink: Option<Arc<dyn ProgressSink>>,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("json", &self.json)
            .field("quiet", &self.quiet)
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl Progress {
    /// Text or JSON lines on stderr.
    pub fn new(json: bool) -> Progress {
        Progress {
            json,
            quiet: false,
            start: Instant::now(),
            sink: None,
        }
    }

    /// No output at all (the controller logs through tracing instead).
    pub fn quiet() -> Progress {
        Progress {
            json: false,
            quiet: true,
            start: Instant::now(),
            sink: None,
        }
    }

    /// Also hand every event to `sink`.
    pub fn with_sink(mut self, sink: Arc<dyn ProgressSink>) -> Progress {
        self.sink = Some(sink);
        self
    }

    /// Report one event of `step`.
    pub fn say(&self, step: &str, message: impl AsRef<str>) {
        let message = message.as_ref();
        let elapsed = self.start.elapsed().as_secs();
        if let Some(sink) = &self.sink {
            sink.event(elapsed, step, message);
        }
        if self.quiet {
            // The controller: progress is an ordinary log line in its reconcile span.
            tracing::info!(step, "{message}");
            return;
        }
        let line = if self.json {
            serde_json::json!({"elapsedSeconds": elapsed, "step": step, "message": message})
                .to_string()
        } else {
            format!("[{:>4}s] {step:<10} {message}", elapsed)
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// Report the end of a migration task's log (each line also as an event).
    pub fn migration_log(&self, revision: &str, task: &str, succeeded: bool, lines: &[String]) {
        if let Some(sink) = &self.sink {
            sink.migration_log(revision, task, succeeded, lines);
        }
        for line in lines {
            self.say("migrate", format!("| {line}"));
        }
    }
}
