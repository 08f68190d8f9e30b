//! The client-side rate limit of mutating calls: one token bucket per
//! operation, shaped like ECS's own per-account buckets (a burst capacity,
//! refilled at the sustained rate), so a release of many services goes as
//! fast as ECS allows and never trips its throttling in the first place.
//!
//! The defaults are ECS's published buckets: RegisterTaskDefinition 20 then
//! 1/s; CreateService and UpdateService 50 then 5/s; RunTask and StopTask 100
//! then 40/s; anything else (tagging) 20 then 10/s. Several deckhands (or
//! other tools) share the account's buckets: lower ours with
//! `DECKHAND_ECS_RATE_LIMITS`, e.g. `UpdateService=10/2,RegisterTaskDefinition=5/1`
//! (`Operation=burst/rate`, rate per second).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The environment variable that overrides buckets.
pub const RATE_LIMITS_VAR: &str = "DECKHAND_ECS_RATE_LIMITS";

/// One bucket's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Tokens when full: calls that may go at once.
    pub burst: f64,
    /// Tokens added per second: the sustained rate.
    pub rate: f64,
}

/// ECS's bucket for `operation`.
fn ecs_bucket(operation: &str) -> Bucket {
    let (burst, rate) = match operation {
        "RegisterTaskDefinition" => (20.0, 1.0),
        "UpdateService" | "CreateService" => (50.0, 5.0),
        "RunTask" | "StopTask" => (100.0, 40.0),
        _ => (20.0, 10.0),
    };
    Bucket { burst, rate }
}

/// Parse `Operation=burst/rate,…`; an entry that does not parse is an error
/// naming it.
pub fn parse_overrides(text: &str) -> Result<HashMap<String, Bucket>, String> {
    let mut out = HashMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.split_once('=').and_then(|(op, shape)| {
            let (burst, rate) = shape.split_once('/')?;
            let bucket = Bucket {
                burst: burst.trim().parse().ok()?,
                rate: rate.trim().parse().ok()?,
            };
            (bucket.burst >= 1.0 && bucket.rate > 0.0).then(|| (op.trim().to_owned(), bucket))
        });
        let (op, bucket) = parsed.ok_or_else(|| {
            format!(
                "{RATE_LIMITS_VAR}: `{entry}` is not `Operation=burst/rate` with burst ≥ 1 and rate > 0 (e.g. UpdateService=50/5)"
            )
        })?;
        out.insert(op, bucket);
    }
    Ok(out)
}

/// One token bucket per operation.
#[derive(Debug, Default)]
pub struct RateLimiter {
    overrides: HashMap<String, Bucket>,
    buckets: Mutex<HashMap<&'static str, (f64, Instant)>>,
}

impl RateLimiter {
    /// ECS's buckets, with `overrides` for some operations.
    pub fn new(overrides: HashMap<String, Bucket>) -> RateLimiter {
        RateLimiter {
            overrides,
            buckets: Mutex::default(),
        }
    }

    /// ECS's buckets, overridden by [`RATE_LIMITS_VAR`] when it is set (an
    /// invalid value is warned about and ignored).
    pub fn from_env() -> RateLimiter {
        let overrides = match std::env::var(RATE_LIMITS_VAR) {
            Ok(text) => parse_overrides(&text).unwrap_or_else(|e| {
                tracing::warn!("{e}; using ECS's default limits");
                HashMap::new()
            }),
            Err(_) => HashMap::new(),
        };
        RateLimiter::new(overrides)
    }

    fn bucket(&self, operation: &str) -> Bucket {
        self.overrides
            .get(operation)
            .copied()
            .unwrap_or_else(|| ecs_bucket(operation))
    }

    /// Wait until a call of `operation` fits its bucket, and take the token.
    pub async fn acquire(&self, operation: &'static str) {
        let Bucket { burst, rate } = self.bucket(operation);
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("rate limiter lock");
                let now = Instant::now();
                let (tokens, last) = buckets.entry(operation).or_insert((burst, now));
                *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    None
                } else {
                    Some(Duration::from_secs_f64((1.0 - *tokens) / rate))
                }
            };
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn time_of(limiter: &RateLimiter, operation: &'static str, calls: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..calls {
            limiter.acquire(operation).await;
        }
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn register_task_definition_bursts_20_then_one_per_second() {
        let limiter = RateLimiter::default();
        assert_eq!(
            time_of(&limiter, "RegisterTaskDefinition", 20).await,
            Duration::ZERO
        );
        assert_eq!(
            time_of(&limiter, "RegisterTaskDefinition", 2).await,
            Duration::from_secs(2)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn update_service_bursts_50_then_five_per_second() {
        let limiter = RateLimiter::default();
        assert_eq!(time_of(&limiter, "UpdateService", 50).await, Duration::ZERO);
        assert_eq!(
            time_of(&limiter, "UpdateService", 1).await,
            Duration::from_millis(200)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn overrides_replace_the_default_bucket() {
        let overrides = parse_overrides("UpdateService=2/1, RunTask = 1/0.5").unwrap();
        let limiter = RateLimiter::new(overrides);
        assert_eq!(
            time_of(&limiter, "UpdateService", 3).await,
            Duration::from_secs(1)
        );
        assert_eq!(
            time_of(&limiter, "RunTask", 2).await,
            Duration::from_secs(2)
        );
    }

    #[test]
    fn a_malformed_override_names_the_entry() {
        let err = parse_overrides("UpdateService=50/5,RunTask=fast").unwrap_err();
        assert!(err.contains("`RunTask=fast`"), "{err}");
        assert!(parse_overrides("UpdateService=0/5").is_err());
    }
}
