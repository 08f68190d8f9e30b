//! The controller's metrics: counters kept as reconciles, migrations and
//! webhooks happen, and their Prometheus text (`/metrics`) together with
//! the gauges read from the state at scrape time.

use super::replicas::Ownership;
use super::status::ResultKind;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Reconcile duration buckets, in seconds.
const BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0];

/// The counters.
#[derive(Debug, Default)]
pub struct Metrics {
    reconciles: BTreeMap<(String, ResultKind), u64>,
    buckets: Vec<u64>,
    duration_sum: f64,
    duration_count: u64,
    migrations: BTreeMap<&'static str, u64>,
    webhooks: BTreeMap<&'static str, u64>,
}

impl Metrics {
    /// Count a reconcile of `environment` that ended in `result` after `took`.
    pub fn reconciled(&mut self, environment: &str, result: ResultKind, took: Duration) {
        *self
            .reconciles
            .entry((environment.to_owned(), result))
            .or_default() += 1;
        if self.buckets.is_empty() {
            self.buckets = vec![0; BUCKETS.len()];
        }
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.buckets[i] += 1;
            }
        }
        self.duration_sum += secs;
        self.duration_count += 1;
    }
}

impl Metrics {
    /// Count a migration by result (`succeeded`, `failed`).
    pub fn migration(&mut self, result: &'static str) {
        *self.migrations.entry(result).or_default() += 1;
    }

    /// Count a webhook delivery by result (`accepted`, `rejected`).
    pub fn webhook(&mut self, result: &'static str) {
        *self.webhooks.entry(result).or_default() += 1;
    }
}

/// What a scrape reads from the state besides the counters.
pub struct Scraped {
    /// ECS requests by operation, over every client.
    pub ecs_calls: BTreeMap<String, u64>,
    /// Lock-table requests by operation, with a lock table.
    pub lock_calls: Option<Vec<(String, u64)>>,
    /// The replica's shards, with a lock table.
    pub ownership: Option<Ownership>,
    /// Per environment a replica knows of: reconciled here or not.
    pub reconciled_here: Vec<(String, bool)>,
    /// Environments in sync.
    pub in_sync: usize,
    /// Environments out of sync.
    pub out_of_sync: usize,
    /// The first fetch succeeded.
    pub ready: bool,
}

/// The metrics as Prometheus text.
pub fn render(m: &Metrics, scraped: &Scraped) -> String {
    let mut out = String::new();
    counters(&mut out, m);
    gauges(&mut out, scraped);
    out
}

/// The counters and the histogram.
fn counters(out: &mut String, m: &Metrics) {
    family(
        out,
        "deckhand_reconciles_total",
        "counter",
        "Reconciles by environment and result.",
    );
    for ((env, result), n) in &m.reconciles {
        sample(
            out,
            "deckhand_reconciles_total",
            &format!(
                "environment=\"{}\",result=\"{}\"",
                escape(env),
                result.as_str()
            ),
            *n as f64,
        );
    }
    family(
        out,
        "deckhand_reconcile_duration_seconds",
        "histogram",
        "How long reconciles take, releases included.",
    );
    for (i, le) in BUCKETS.iter().enumerate() {
        let n = m.buckets.get(i).copied().unwrap_or(0);
        sample(
            out,
            "deckhand_reconcile_duration_seconds_bucket",
            &format!("le=\"{le}\""),
            n as f64,
        );
    }
    sample(
        out,
        "deckhand_reconcile_duration_seconds_bucket",
        "le=\"+Inf\"",
        m.duration_count as f64,
    );
    sample(
        out,
        "deckhand_reconcile_duration_seconds_sum",
        "",
        m.duration_sum,
    );
    sample(
        out,
        "deckhand_reconcile_duration_seconds_count",
        "",
        m.duration_count as f64,
    );
    for (name, help, counts, keys) in [
        (
            "deckhand_migrations_total",
            "Migrations by result.",
            &m.migrations,
            ["succeeded", "failed"],
        ),
        (
            "deckhand_webhooks_total",
            "Webhook deliveries by result.",
            &m.webhooks,
            ["accepted", "rejected"],
        ),
    ] {
        family(out, name, "counter", help);
        for key in keys {
            let n = counts.get(key).copied().unwrap_or(0);
            sample(out, name, &format!("result=\"{key}\""), n as f64);
        }
    }
}

/// The ECS and lock-table request counters, and the gauges read at scrape time.
fn gauges(out: &mut String, scraped: &Scraped) {
    family(
        out,
        "deckhand_ecs_calls_total",
        "counter",
        "ECS API requests by operation (retries included).",
    );
    for (op, n) in &scraped.ecs_calls {
        sample(
            out,
            "deckhand_ecs_calls_total",
            &format!("operation=\"{op}\""),
            *n as f64,
        );
    }
    if let Some(calls) = &scraped.lock_calls {
        family(
            out,
            "deckhand_lock_table_calls_total",
            "counter",
            "DynamoDB lock table requests by operation (retries included).",
        );
        for (op, n) in calls {
            sample(
                out,
                "deckhand_lock_table_calls_total",
                &format!("operation=\"{op}\""),
                *n as f64,
            );
        }
    }
    if let Some(ownership) = &scraped.ownership {
        family(
            out,
            "deckhand_replica_shards_held",
            "gauge",
            "Shards of the lock table this replica holds (it reconciles their environments).",
        );
        sample(
            out,
            "deckhand_replica_shards_held",
            &format!("replica=\"{}\"", escape(&ownership.me)),
            ownership.held.len() as f64,
        );
        family(
            out,
            "deckhand_replicas",
            "gauge",
            "Live replicas on the lock table, as this one last saw it.",
        );
        sample(
            out,
            "deckhand_replicas",
            "",
            ownership.replicas.len() as f64,
        );
        family(
            out,
            "deckhand_environment_reconciled_here",
            "gauge",
            "1 for the environments this replica reconciles, 0 for the others.",
        );
        for (environment, here) in &scraped.reconciled_here {
            sample(
                out,
                "deckhand_environment_reconciled_here",
                &format!("environment=\"{}\"", escape(environment)),
                f64::from(u8::from(*here)),
            );
        }
    }
    family(
        out,
        "deckhand_environments",
        "gauge",
        "Environments by sync state.",
    );
    for (state, n) in [
        ("in-sync", scraped.in_sync),
        ("out-of-sync", scraped.out_of_sync),
    ] {
        sample(
            out,
            "deckhand_environments",
            &format!("state=\"{state}\""),
            n as f64,
        );
    }
    family(
        out,
        "deckhand_ready",
        "gauge",
        "1 after the first successful fetch of the config repo.",
    );
    sample(
        out,
        "deckhand_ready",
        "",
        f64::from(u8::from(scraped.ready)),
    );
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One sample line; `labels` without braces, may be empty.
fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
