//! How long a deployment takes at least by its configuration alone: the
//! waits of each strategy (bake times, traffic steps), for `deploy.timeout`
//! and plan output. Ranges and defaults are [`super`]'s, from ECS's docs.

use super::{
    BAKE_MINUTES, CANARY_BAKE_MINUTES, CANARY_PERCENT, DEFAULT_CANARY_BAKE_MINUTES,
    DEFAULT_CANARY_PERCENT, DEFAULT_STEP_BAKE_MINUTES, DEFAULT_STEP_PERCENT, STEP_BAKE_MINUTES,
    STEP_PERCENT, Strategy, StrategyProblem,
};
use crate::servicedef::ServiceDefinition;
use std::ops::RangeInclusive;
use std::time::Duration;

/// The waits a deployment of one strategy makes, in minutes, after ECS's
/// defaults are applied and values are clamped to ECS's ranges.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Waits {
    BlueGreen {
        bake: u64,
    },
    Linear {
        shifts: u64,
        percent: f64,
        step_bake: u64,
        bake: u64,
    },
    Canary {
        percent: f64,
        canary_bake: u64,
        bake: u64,
    },
}

impl Waits {
    fn of(def: &ServiceDefinition) -> Option<(Strategy, Waits)> {
        let strategy = Strategy::of(def)?;
        let config = def.deployment_configuration.as_ref();
        let bake = clamp_minutes(
            config.and_then(|c| c.bake_time_in_minutes),
            0,
            &BAKE_MINUTES,
        );
        let waits = match strategy {
            Strategy::Rolling => return None,
            Strategy::BlueGreen => Waits::BlueGreen { bake },
            Strategy::Linear => {
                let linear = config.and_then(|c| c.linear_configuration.as_ref());
                let percent = linear
                    .and_then(|l| l.step_percent)
                    .filter(|p| p.is_finite())
                    .unwrap_or(DEFAULT_STEP_PERCENT)
                    .clamp(*STEP_PERCENT.start(), *STEP_PERCENT.end());
                // Exact in tenths of a percent, as ECS takes them: 3.3 → 31
                // shifts (the last one of 1 %), 10.0 → 10, 12.5 → 8.
                let tenths = (percent * 10.0).round() as u64;
                Waits::Linear {
                    shifts: 1000u64.div_ceil(tenths),
                    percent,
                    step_bake: clamp_minutes(
                        linear.and_then(|l| l.step_bake_time_in_minutes),
                        DEFAULT_STEP_BAKE_MINUTES,
                        &STEP_BAKE_MINUTES,
                    ),
                    bake,
                }
            }
            Strategy::Canary => {
                let canary = config.and_then(|c| c.canary_configuration.as_ref());
                Waits::Canary {
                    percent: canary
                        .and_then(|c| c.canary_percent)
                        .filter(|p| p.is_finite())
                        .unwrap_or(DEFAULT_CANARY_PERCENT)
                        .clamp(*CANARY_PERCENT.start(), *CANARY_PERCENT.end()),
                    canary_bake: clamp_minutes(
                        canary.and_then(|c| c.canary_bake_time_in_minutes),
                        DEFAULT_CANARY_BAKE_MINUTES,
                        &CANARY_BAKE_MINUTES,
                    ),
                    bake,
                }
            }
        };
        Some((strategy, waits))
    }

    fn total_minutes(self) -> u64 {
        match self {
            Waits::BlueGreen { bake } => bake,
            Waits::Linear {
                shifts,
                step_bake,
                bake,
                ..
            } => (shifts - 1) * step_bake + bake,
            Waits::Canary {
                canary_bake, bake, ..
            } => canary_bake + bake,
        }
    }

    /// What the total is made of: "9 waits of 6m + bake 5m".
    fn breakdown(self) -> String {
        let mut parts = Vec::new();
        match self {
            Waits::BlueGreen { .. } => {}
            Waits::Linear {
                shifts, step_bake, ..
            } => {
                if shifts > 1 && step_bake > 0 {
                    let n = shifts - 1;
                    parts.push(format!("{n} wait{} of {}", plural(n), minutes(step_bake)));
                }
            }
            Waits::Canary { canary_bake, .. } => {
                if canary_bake > 0 {
                    parts.push(format!("canary {}", minutes(canary_bake)));
                }
            }
        }
        let (Waits::BlueGreen { bake } | Waits::Linear { bake, .. } | Waits::Canary { bake, .. }) =
            self;
        if bake > 0 {
            parts.push(format!("bake {}", minutes(bake)));
        }
        if parts.is_empty() {
            "no bake time".into()
        } else {
            parts.join(" + ")
        }
    }
}

/// The least time a deployment of `def` takes by its configuration alone,
/// before any task has to start, pass health checks or drain:
///
/// | strategy | minimum |
/// |---|---|
/// | ROLLING (or none), or an unknown one | 0 |
/// | BLUE_GREEN | `bakeTimeInMinutes` |
/// | LINEAR | (⌈100 / `stepPercent`⌉ − 1) × `stepBakeTimeInMinutes` + `bakeTimeInMinutes` |
/// | CANARY | `canaryBakeTimeInMinutes` + `bakeTimeInMinutes` |
///
/// LINEAR moves traffic ⌈100 / `stepPercent`⌉ times and waits the step bake
/// after each move but the last ("This bake time is not applied after
/// reaching 100 percent traffic", SDK `_linear_configuration.rs`; CFN's
/// LinearConfiguration page counts the steps the same way). Unset values take
/// ECS's defaults (`stepPercent` 10.0, step bake 6, canary bake 10, bake 0);
/// values outside ECS's ranges are clamped into them ([`check`] reports them).
/// Not counted, since it needs live state: an NLB adds 10 minutes to each
/// traffic-shift stage (developer guide, nlb-resources-for-blue-green).
pub fn minimum_duration(def: &ServiceDefinition) -> Duration {
    Waits::of(def).map_or(Duration::ZERO, |(_, waits)| {
        Duration::from_secs(waits.total_minutes() * 60)
    })
}

/// A one-line estimate for plan output, e.g. `BLUE_GREEN: at least 10m (bake 10m)`,
/// `LINEAR: 10 steps of 10% every 6m, at least 59m (9 waits of 6m + bake 5m)`,
/// `CANARY: 5% for 10m, then the rest, at least 15m (canary 10m + bake 5m)`;
/// None for ROLLING (and for a strategy ECS does not know).
pub fn estimate(def: &ServiceDefinition) -> Option<String> {
    let (strategy, waits) = Waits::of(def)?;
    let shape = match waits {
        Waits::BlueGreen { .. } => None,
        Waits::Linear {
            shifts,
            percent,
            step_bake,
            ..
        } => Some(if shifts == 1 {
            "1 step of 100%".to_owned()
        } else if step_bake == 0 {
            format!("{shifts} steps of {} without waits", percent_text(percent))
        } else {
            format!(
                "{shifts} steps of {} every {}",
                percent_text(percent),
                minutes(step_bake)
            )
        }),
        Waits::Canary {
            percent,
            canary_bake,
            ..
        } => Some(format!(
            "{} for {}, then the rest",
            percent_text(percent),
            minutes(canary_bake)
        )),
    };
    let total = waits.total_minutes();
    let least = if total == 0 {
        "no waits by configuration".to_owned()
    } else {
        format!("at least {} ({})", minutes(total), waits.breakdown())
    };
    Some(match shape {
        Some(shape) => format!("{strategy}: {shape}, {least}"),
        None => format!("{strategy}: {least}"),
    })
}

/// The problem with `deploy.timeout` when it cannot cover the minimum of
/// `service`'s deployment ([`minimum_duration`]): deckhand would stop the
/// deployment before the configuration lets it finish. `path` is
/// `deploy.timeout`, in the environment file.
pub fn timeout_problem(
    service: &str,
    def: &ServiceDefinition,
    timeout: Duration,
) -> Option<StrategyProblem> {
    let (strategy, waits) = Waits::of(def)?;
    let least = Duration::from_secs(waits.total_minutes() * 60);
    if least.is_zero() || timeout > least {
        return None;
    }
    let longest = crate::spec::limits::MAX_DURATION;
    let headroom = Duration::from_secs(15 * 60);
    let hint = if least + headroom <= longest {
        format!(
            "set deploy.timeout above {}, e.g. {} (the waits plus time for tasks to start and pass health checks), or shorten the bake times in {service}'s service definition",
            human(least),
            human(least + headroom)
        )
    } else {
        format!(
            "deckhand waits at most {}: shorten the bake times in {service}'s service definition so that they add up to well under that",
            human(longest)
        )
    };
    Some(StrategyProblem::new(
        "deploy.timeout",
        format!(
            "{} is too short for service {service}: its {strategy} deployment takes at least {} by its configuration alone ({}), so deckhand would stop it before it finishes",
            human(timeout),
            human(least),
            waits.breakdown()
        ),
        hint,
    ))
}

fn clamp_minutes(value: Option<i32>, default: i32, range: &RangeInclusive<i32>) -> u64 {
    u64::try_from(value.unwrap_or(default).clamp(*range.start(), *range.end())).unwrap_or(0)
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `10%`, `3.3%`.
fn percent_text(percent: f64) -> String {
    let tenths = (percent * 10.0).round();
    if tenths % 10.0 == 0.0 {
        format!("{}%", tenths / 10.0)
    } else {
        format!("{:.1}%", tenths / 10.0)
    }
}

/// `0m`, `45m`, `1h`, `1h30m`, `792h`.
pub(super) fn minutes(total: u64) -> String {
    match (total / 60, total % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// A duration as a spec writes one: `90s`, `10m`, `1h14m`, `1h0m30s`.
pub(super) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs % 60 {
        0 => minutes(secs / 60),
        s if secs < 60 => format!("{s}s"),
        s => {
            let m = minutes(secs / 60);
            let m = if m.ends_with('h') {
                format!("{m}0m")
            } else {
                m
            };
            format!("{m}{s}s")
        }
    }
}
