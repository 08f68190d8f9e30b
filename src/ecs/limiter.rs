//! The client-side rate limit of mutating calls: one token bucket per
//! operation, sized to ECS's per-account limits (RegisterTaskDefinition 1/s,
//! UpdateService, CreateService, RunTask and StopTask 5/s, tagging 10/s), so a
//! release of many services never trips ECS's throttling in the first place.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Sustained requests per second ECS allows per account, by operation; the
/// bucket holds as many tokens as one second's worth (the burst).
fn ecs_rate(operation: &str) -> f64 {
    match operation {
        "RegisterTaskDefinition" => 1.0,
        "UpdateService" | "CreateService" | "RunTask" | "StopTask" => 5.0,
        _ => 10.0,
    }
}

/// One token bucket per operation.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<&'static str, (f64, Instant)>>,
}

impl RateLimiter {
    /// Wait until a call of `operation` fits its bucket, and take the token.
    pub async fn acquire(&self, operation: &'static str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("rate limiter lock");
                let rate = ecs_rate(operation);
                let now = Instant::now();
                let (tokens, last) = buckets.entry(operation).or_insert((rate, now));
                *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
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

    #[tokio::test(start_paused = true)]
    async fn register_task_definition_is_held_to_one_per_second() {
        let limiter = RateLimiter::default();
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            limiter.acquire("RegisterTaskDefinition").await;
        }
        // One token to start with, then one per second.
        assert_eq!(start.elapsed().as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn update_service_allows_a_burst_of_five() {
        let limiter = RateLimiter::default();
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire("UpdateService").await;
        }
        assert_eq!(start.elapsed().as_millis(), 0);
        limiter.acquire("UpdateService").await;
        assert_eq!(start.elapsed().as_millis(), 200);
    }
}
