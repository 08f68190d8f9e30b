//! The controller's metrics: counters kept as reconciles, migrations and
//! webhooks happen, and their Prometheus text (`/metrics`, format 0.0.4)
//! together with the gauges read from the state at scrape time, encoded by
//! prometheus-client's registry (one collector per scrape).

use super::replicas::Ownership;
use super::status::ResultKind;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Reconcile duration buckets, in seconds.
const BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0];

/// The counters.
#[derive(Debug, Default, Clone)]
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
#[derive(Debug)]
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
    /// Per environment: held, frozen, in a deny window.
    pub guarded: Vec<Guarded>,
    /// The first fetch succeeded.
    pub ready: bool,
}

/// The scrape as a prometheus-client collector: the counters' copy and
/// what the state said, encoded once.
#[derive(Debug)]
struct Scrape {
    counters: Metrics,
    scraped: Scraped,
}

/// The metrics in the Prometheus text format (0.0.4), through
/// prometheus-client's registry and encoder.
pub fn render(m: &Metrics, scraped: Scraped) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape {
        counters: m.clone(),
        scraped,
    }));
    let mut out = String::new();
    prometheus_text::encode(&mut out, &registry).expect("writing to a String cannot fail");
    out
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.encode_counters(&mut encoder)?;
        self.encode_scraped(&mut encoder)
    }
}

impl Scrape {
    /// The counters kept as things happen, and the reconcile histogram.
    fn encode_counters(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        let m = &self.counters;
        let mut family = encoder.encode_descriptor(
            "deckhand_reconciles",
            "Reconciles by environment and result.",
            None,
            MetricType::Counter,
        )?;
        for ((environment, result), n) in &m.reconciles {
            let labels = [
                ("environment", environment.as_str()),
                ("result", result.as_str()),
            ];
            counter(&mut family, &labels, *n)?;
        }
        let mut histogram = encoder.encode_descriptor(
            "deckhand_reconcile_duration_seconds",
            "How long reconciles take, releases included.",
            None,
            MetricType::Histogram,
        )?;
        // Kept cumulative; the encoder wants each bucket's own count.
        let mut below = 0;
        let buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .enumerate()
            .map(|(i, le)| {
                let cumulative = m.buckets.get(i).copied().unwrap_or(0);
                let own = cumulative - below;
                below = cumulative;
                (*le, own)
            })
            .collect();
        histogram.encode_histogram::<NoLabelSet>(
            m.duration_sum,
            m.duration_count,
            &buckets,
            None,
        )?;
        for (name, help, counts, keys) in [
            (
                "deckhand_migrations",
                "Migrations by result.",
                &m.migrations,
                ["succeeded", "failed"],
            ),
            (
                "deckhand_webhooks",
                "Webhook deliveries by result.",
                &m.webhooks,
                ["accepted", "rejected"],
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for key in keys {
                counter(
                    &mut family,
                    &[("result", key)],
                    counts.get(key).copied().unwrap_or(0),
                )?;
            }
        }
        Ok(())
    }

    /// What the state said at the scrape: request counts and gauges.
    fn encode_scraped(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        let s = &self.scraped;
        let calls = [
            (
                "deckhand_ecs_calls",
                "ECS API requests by operation (retries included).",
                Some(
                    s.ecs_calls
                        .iter()
                        .map(|(op, n)| (op.as_str(), *n))
                        .collect::<Vec<_>>(),
                ),
            ),
            (
                "deckhand_lock_table_calls",
                "DynamoDB lock table requests by operation (retries included).",
                s.lock_calls
                    .as_ref()
                    .map(|calls| calls.iter().map(|(op, n)| (op.as_str(), *n)).collect()),
            ),
        ];
        for (name, help, calls) in calls {
            let Some(calls) = calls else { continue };
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (op, n) in calls {
                counter(&mut family, &[("operation", op)], n)?;
            }
        }
        if let Some(ownership) = &s.ownership {
            let mut family = encoder.encode_descriptor(
                "deckhand_replica_shards_held",
                "Shards of the lock table this replica holds (it reconciles their environments).",
                None,
                MetricType::Gauge,
            )?;
            gauge(
                &mut family,
                &[("replica", ownership.me.as_str())],
                ownership.held.len(),
            )?;
            encoder
                .encode_descriptor(
                    "deckhand_replicas",
                    "Live replicas on the lock table, as this one last saw it.",
                    None,
                    MetricType::Gauge,
                )?
                .encode_gauge(&ownership.replicas.len())?;
            let mut family = encoder.encode_descriptor(
                "deckhand_environment_reconciled_here",
                "1 for the environments this replica reconciles, 0 for the others.",
                None,
                MetricType::Gauge,
            )?;
            for (environment, here) in &s.reconciled_here {
                gauge(
                    &mut family,
                    &[("environment", environment.as_str())],
                    usize::from(*here),
                )?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "deckhand_environments",
            "Environments by sync state.",
            None,
            MetricType::Gauge,
        )?;
        gauge(&mut family, &[("state", "in-sync")], s.in_sync)?;
        gauge(&mut family, &[("state", "out-of-sync")], s.out_of_sync)?;
        guard_gauges(encoder, &s.guarded)?;
        encoder
            .encode_descriptor(
                "deckhand_ready",
                "1 after the first successful fetch of the config repo.",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&usize::from(s.ready))
    }
}

/// What stops an environment's releases, for the gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guarded {
    /// The environment.
    pub environment: String,
    /// A rollback --now holds it.
    pub held: bool,
    /// It is frozen.
    pub frozen: bool,
    /// A deny window is open.
    pub window_open: bool,
}

/// `deckhand_environment_held`, `_frozen` and `_window_open`.
fn guard_gauges(encoder: &mut DescriptorEncoder<'_>, guarded: &[Guarded]) -> fmt::Result {
    type Pick = fn(&Guarded) -> bool;
    let gauges: [(&str, &str, Pick); 3] = [
        (
            "deckhand_environment_held",
            "1 while a rollback --now holds the environment (commits with the image rolled back from are not applied).",
            |g| g.held,
        ),
        (
            "deckhand_environment_frozen",
            "1 while the environment is frozen (no release is applied).",
            |g| g.frozen,
        ),
        (
            "deckhand_environment_window_open",
            "1 while a deny window of the environment is open (releases wait).",
            |g| g.window_open,
        ),
    ];
    for (name, help, pick) in gauges {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for g in guarded {
            gauge(
                &mut family,
                &[("environment", g.environment.as_str())],
                usize::from(pick(g)),
            )?;
        }
    }
    Ok(())
}

/// One labelled sample of a counter family.
fn counter(family: &mut MetricEncoder<'_>, labels: &[(&str, &str)], value: u64) -> fmt::Result {
    family
        .encode_family(&labels)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// One labelled sample of a gauge family.
fn gauge(family: &mut MetricEncoder<'_>, labels: &[(&str, &str)], value: usize) -> fmt::Result {
    family.encode_family(&labels)?.encode_gauge(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_is_prometheus_text_with_every_family() {
        let mut m = Metrics::default();
        m.reconciled("staging", ResultKind::Applied, Duration::from_millis(700));
        m.reconciled("prod \"x\"", ResultKind::Failed, Duration::from_secs(20));
        m.reconciled("staging", ResultKind::InSync, Duration::from_secs(2000));
        m.migration("succeeded");
        m.webhook("rejected");
        let scraped = Scraped {
            ecs_calls: [("DescribeServices".to_owned(), 7)].into(),
            lock_calls: Some(vec![("Scan".into(), 3)]),
            ownership: Some(Ownership {
                me: "vm:1:a".into(),
                replicas: vec!["a".into(), "b".into()],
                held: vec![1, 2, 3],
                ..Ownership::default()
            }),
            reconciled_here: vec![("staging".into(), true), ("prod".into(), false)],
            in_sync: 1,
            out_of_sync: 2,
            guarded: vec![
                Guarded {
                    environment: "staging".into(),
                    frozen: true,
                    ..Guarded::default()
                },
                Guarded {
                    environment: "prod".into(),
                    held: true,
                    window_open: true,
                    ..Guarded::default()
                },
            ],
            ready: true,
        };
        let expected = r#"# HELP deckhand_reconciles_total Reconciles by environment and result.
# TYPE deckhand_reconciles_total counter
deckhand_reconciles_total{environment="prod \"x\"",result="failed"} 1
deckhand_reconciles_total{environment="staging",result="in-sync"} 1
deckhand_reconciles_total{environment="staging",result="applied"} 1
# HELP deckhand_reconcile_duration_seconds How long reconciles take, releases included.
# TYPE deckhand_reconcile_duration_seconds histogram
deckhand_reconcile_duration_seconds_bucket{le="0.1"} 0
deckhand_reconcile_duration_seconds_bucket{le="0.5"} 0
deckhand_reconcile_duration_seconds_bucket{le="1"} 1
deckhand_reconcile_duration_seconds_bucket{le="5"} 1
deckhand_reconcile_duration_seconds_bucket{le="15"} 1
deckhand_reconcile_duration_seconds_bucket{le="60"} 2
deckhand_reconcile_duration_seconds_bucket{le="300"} 2
deckhand_reconcile_duration_seconds_bucket{le="900"} 2
deckhand_reconcile_duration_seconds_bucket{le="+Inf"} 3
deckhand_reconcile_duration_seconds_sum 2020.7
deckhand_reconcile_duration_seconds_count 3
# HELP deckhand_migrations_total Migrations by result.
# TYPE deckhand_migrations_total counter
deckhand_migrations_total{result="succeeded"} 1
deckhand_migrations_total{result="failed"} 0
# HELP deckhand_webhooks_total Webhook deliveries by result.
# TYPE deckhand_webhooks_total counter
deckhand_webhooks_total{result="accepted"} 0
deckhand_webhooks_total{result="rejected"} 1
# HELP deckhand_ecs_calls_total ECS API requests by operation (retries included).
# TYPE deckhand_ecs_calls_total counter
deckhand_ecs_calls_total{operation="DescribeServices"} 7
# HELP deckhand_lock_table_calls_total DynamoDB lock table requests by operation (retries included).
# TYPE deckhand_lock_table_calls_total counter
deckhand_lock_table_calls_total{operation="Scan"} 3
# HELP deckhand_replica_shards_held Shards of the lock table this replica holds (it reconciles their environments).
# TYPE deckhand_replica_shards_held gauge
deckhand_replica_shards_held{replica="vm:1:a"} 3
# HELP deckhand_replicas Live replicas on the lock table, as this one last saw it.
# TYPE deckhand_replicas gauge
deckhand_replicas 2
# HELP deckhand_environment_reconciled_here 1 for the environments this replica reconciles, 0 for the others.
# TYPE deckhand_environment_reconciled_here gauge
deckhand_environment_reconciled_here{environment="staging"} 1
deckhand_environment_reconciled_here{environment="prod"} 0
# HELP deckhand_environments Environments by sync state.
# TYPE deckhand_environments gauge
deckhand_environments{state="in-sync"} 1
deckhand_environments{state="out-of-sync"} 2
# HELP deckhand_environment_held 1 while a rollback --now holds the environment (commits with the image rolled back from are not applied).
# TYPE deckhand_environment_held gauge
deckhand_environment_held{environment="staging"} 0
deckhand_environment_held{environment="prod"} 1
# HELP deckhand_environment_frozen 1 while the environment is frozen (no release is applied).
# TYPE deckhand_environment_frozen gauge
deckhand_environment_frozen{environment="staging"} 1
deckhand_environment_frozen{environment="prod"} 0
# HELP deckhand_environment_window_open 1 while a deny window of the environment is open (releases wait).
# TYPE deckhand_environment_window_open gauge
deckhand_environment_window_open{environment="staging"} 0
deckhand_environment_window_open{environment="prod"} 1
# HELP deckhand_ready 1 after the first successful fetch of the config repo.
# TYPE deckhand_ready gauge
deckhand_ready 1
"#;
        assert_eq!(render(&m, scraped), expected);
    }
}
