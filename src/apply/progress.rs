//! Progress of a release on stderr while it runs: the step, elapsed time,
//! running/desired counts and new ECS service events. Text lines for a
//! terminal, one JSON object per line with `--log-format json` (for CI).

use std::io::Write;
use std::time::Instant;

/// Where progress goes.
#[derive(Debug, Clone)]
pub struct Progress {
    json: bool,
    quiet: bool,
    start: Instant,
}

impl Progress {
    /// Text or JSON lines on stderr.
    pub fn new(json: bool) -> Progress {
        Progress {
            json,
            quiet: false,
            start: Instant::now(),
        }
    }

    /// No output at all (the controller logs through tracing instead).
    pub fn quiet() -> Progress {
        Progress {
            json: false,
            quiet: true,
            start: Instant::now(),
        }
    }

    /// Report one event of `step`.
    pub fn say(&self, step: &str, message: impl AsRef<str>) {
        let message = message.as_ref();
        if self.quiet {
            // The controller: progress is an ordinary log line in its reconcile span.
            tracing::info!(step, "{message}");
            return;
        }
        let elapsed = self.start.elapsed().as_secs();
        let line = if self.json {
            serde_json::json!({"elapsedSeconds": elapsed, "step": step, "message": message})
                .to_string()
        } else {
            format!("[{:>4}s] {step:<10} {message}", elapsed)
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}
