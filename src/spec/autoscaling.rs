//! `services.<name>.autoscaling` checked: the capacity range, the
//! target-tracking policies (names as AWS will have them, metrics, target
//! values, cooldowns), and that it is not combined with `desiredCount`.

use super::locate::FieldPath;
use super::raw::{AutoscalingBlock, PredefinedMetric, ServiceBlock, TargetTrackingBlock};
use super::validate::Validator;
use crate::ecs::{Autoscaling, TargetTrackingPolicy};
use std::collections::HashSet;

/// The prefix of every policy deckhand owns; others are left alone.
pub const POLICY_PREFIX: &str = "deckhand-";

/// The AWS name of policy `name` of `service`.
pub fn policy_name(service: &str, name: &str) -> String {
    format!("{POLICY_PREFIX}{service}-{name}")
}

/// The longest cooldown Application Auto Scaling takes (seconds, a 32-bit integer).
const MAX_COOLDOWN_SECONDS: u64 = i32::MAX as u64;

impl Validator<'_> {
    /// The service's declared autoscaling, or None (with problems recorded).
    pub(super) fn autoscaling(&mut self, name: &str, block: &ServiceBlock) -> Option<Autoscaling> {
        let scaling = block.autoscaling.as_ref()?;
        let at = |key: &str| FieldPath::keys(&["services", name, "autoscaling", key]);
        if block.desired_count.is_some() {
            self.problem_at(
                &FieldPath::keys(&["services", name, "autoscaling"]),
                "a service with `autoscaling` takes its count from the scaler, so it cannot also set `desiredCount`",
                "remove desiredCount (a new service starts at minCapacity)",
            );
        }
        let (min, max) = self.capacity(scaling, &at)?;
        let mut seen = HashSet::new();
        let mut policies = Vec::new();
        for (i, policy) in scaling.target_tracking.iter().flatten().enumerate() {
            let field =
                FieldPath::keys(&["services", name, "autoscaling", "targetTracking"]).index(i);
            if !seen.insert(policy.name.clone()) {
                self.problem_at(
                    &field.clone().key("name"),
                    format!("policy name '{}' is used twice", policy.name),
                    "give each policy of a service its own name",
                );
            }
            if let Some(p) = self.policy(name, policy, &field) {
                policies.push(p);
            }
        }
        Some(Autoscaling {
            min_capacity: min,
            max_capacity: max,
            policies,
        })
    }

    /// minCapacity ≤ maxCapacity, both counts ECS takes.
    fn capacity(
        &mut self,
        scaling: &AutoscalingBlock,
        at: &dyn Fn(&str) -> FieldPath,
    ) -> Option<(i32, i32)> {
        let mut count = |key: &str, n: i64| match i32::try_from(n) {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                self.problem_at(
                    &at(key),
                    format!("expected a task count from 0 to {}, found {n}", i32::MAX),
                    "set a number of tasks, e.g. 1",
                );
                None
            }
        };
        let min = count("minCapacity", scaling.min_capacity);
        let max = count("maxCapacity", scaling.max_capacity);
        let (min, max) = (min?, max?);
        if max < min {
            self.problem_at(
                &at("maxCapacity"),
                format!("maxCapacity {max} is below minCapacity {min}"),
                "raise maxCapacity or lower minCapacity",
            );
            return None;
        }
        Some((min, max))
    }

    /// One target-tracking policy, as AWS will have it.
    fn policy(
        &mut self,
        service: &str,
        policy: &TargetTrackingBlock,
        field: &FieldPath,
    ) -> Option<TargetTrackingPolicy> {
        let mut ok = true;
        let full = policy_name(service, &policy.name);
        let valid_name = !policy.name.is_empty()
            && policy
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && full.len() <= 256;
        if !valid_name {
            self.problem_at(
                &field.clone().key("name"),
                format!("'{}' is not a policy name deckhand can use", policy.name),
                "use letters, digits, `-` and `_` (it becomes deckhand-<service>-<name> in AWS, at most 256 characters)",
            );
            ok = false;
        }
        let percent = matches!(
            policy.predefined_metric,
            PredefinedMetric::Cpu | PredefinedMetric::Memory
        );
        let value = policy.target_value;
        if !(value.is_finite() && value > 0.0 && (!percent || value <= 100.0)) {
            self.problem_at(
                &field.clone().key("targetValue"),
                format!("targetValue {value} is out of range"),
                if percent {
                    "a CPU or memory target is a percentage above 0 and at most 100, e.g. 60"
                } else {
                    "a request count per target above 0, e.g. 1000"
                },
            );
            ok = false;
        }
        let alb = policy.predefined_metric == PredefinedMetric::AlbRequestCountPerTarget;
        if alb != policy.resource_label.is_some() {
            self.problem_at(
                &field.clone().key(if alb { "predefinedMetric" } else { "resourceLabel" }),
                if alb {
                    "ALBRequestCountPerTarget needs `resourceLabel`, the load balancer and target group it counts"
                } else {
                    "`resourceLabel` is only for ALBRequestCountPerTarget"
                },
                "resourceLabel: app/<load-balancer>/<id>/targetgroup/<target-group>/<id>",
            );
            ok = false;
        }
        let scale_in = self.cooldown(
            field,
            "scaleInCooldown",
            policy.scale_in_cooldown.as_deref(),
        );
        let scale_out = self.cooldown(
            field,
            "scaleOutCooldown",
            policy.scale_out_cooldown.as_deref(),
        );
        let (scale_in, scale_out) = (scale_in.ok()?, scale_out.ok()?);
        ok.then(|| TargetTrackingPolicy {
            name: full,
            predefined_metric: policy.predefined_metric.as_str().to_owned(),
            resource_label: policy.resource_label.clone(),
            target_value: value,
            scale_in_cooldown: scale_in,
            scale_out_cooldown: scale_out,
            disable_scale_in: policy.disable_scale_in.unwrap_or(false),
        })
    }

    /// A cooldown in whole seconds (zero allowed).
    fn cooldown(
        &mut self,
        field: &FieldPath,
        key: &str,
        value: Option<&str>,
    ) -> Result<Option<i32>, ()> {
        let Some(text) = value else {
            return Ok(None);
        };
        match humantime::parse_duration(text) {
            Ok(d) if d.as_secs() <= MAX_COOLDOWN_SECONDS && d.subsec_nanos() == 0 => {
                Ok(Some(d.as_secs() as i32))
            }
            Ok(_) => {
                self.problem_at(
                    &field.clone().key(key),
                    format!("{key} '{text}' is not a whole number of seconds AWS takes"),
                    "e.g. 60s, 5m",
                );
                Err(())
            }
            Err(e) => {
                self.problem_at(
                    &field.clone().key(key),
                    format!("'{text}' is not a duration ({e})"),
                    "write a duration such as 60s or 5m",
                );
                Err(())
            }
        }
    }
}
