//! The deployment strategy of a service definition, checked offline and
//! timed: what `validate` can tell about `deploymentConfiguration` and
//! `loadBalancers[].advancedConfiguration` without asking AWS, and how long a
//! deployment takes at least by its configuration alone.
//!
//! - [`check`]: the ranges and combinations ECS documents, each a
//!   [`StrategyProblem`] with its JSON path, what is wrong (the value and the
//!   allowed range) and how to fix it. Every rule cites where it is written.
//! - [`minimum_duration`] and [`estimate`] (in `duration.rs`): the waits the
//!   configuration imposes (bake times, traffic steps), for `deploy.timeout`
//!   and for plan output; [`timeout_problem`] words a `deploy.timeout` that
//!   cannot cover them.
//! - [`StrategyProblem::position`] (in `position.rs`): the line and column of
//!   a problem's path in the file, for the diagnostic.
//!
//! Not here: what needs live state (whether the target groups, listener
//! rules, roles and Lambda functions exist, whether the load balancer is an
//! NLB), and rules the sources disagree on (the circuit breaker with
//! BLUE_GREEN; lifecycle hooks with ROLLING, which pause hooks support since
//! May 2026). Enum strings outside the strategy (`launchType`, ...) are left
//! to ECS, as the rest of `servicedef` does.
//!
//! Sources, cited as short names below:
//! - "SDK": the doc comments of `aws-sdk-ecs` 1.157.0 (the version in
//!   Cargo.lock), `src/types/_<shape>.rs`, which are the ECS API reference
//!   text (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_<Shape>.html).
//! - "TF": hashicorp/terraform-provider-aws `internal/service/ecs/service.go`,
//!   the `aws_ecs_service` schema (blue/green added by an AWS contributor,
//!   hashicorp/terraform-provider-aws#43434).
//! - "CFN": the CloudFormation reference, `AWS::ECS::Service` property pages.

use super::{DeploymentConfiguration, DeploymentLifecycleHook, ServiceDefinition};
use std::fmt;
use std::ops::RangeInclusive;

mod duration;
mod position;
#[cfg(test)]
mod tests;

pub use duration::{estimate, minimum_duration, timeout_problem};

/// How ECS rolls out a new revision (`deploymentConfiguration.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Replace tasks a few at a time (the default).
    Rolling,
    /// Start the new revision beside the old one, move all traffic at once.
    BlueGreen,
    /// As BLUE_GREEN, moving production traffic in equal steps.
    Linear,
    /// As BLUE_GREEN, moving a share of traffic first, then the rest.
    Canary,
}

impl Strategy {
    const ALL: [Strategy; 4] = [
        Strategy::Rolling,
        Strategy::BlueGreen,
        Strategy::Linear,
        Strategy::Canary,
    ];

    /// The strategy as ECS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Rolling => "ROLLING",
            Strategy::BlueGreen => "BLUE_GREEN",
            Strategy::Linear => "LINEAR",
            Strategy::Canary => "CANARY",
        }
    }

    /// The strategy `def` asks for: ROLLING when it names none (ECS's
    /// default), None when the name is not one ECS knows.
    pub fn of(def: &ServiceDefinition) -> Option<Strategy> {
        match strategy_name(def) {
            None => Some(Strategy::Rolling),
            Some(name) => Strategy::ALL.into_iter().find(|s| s.as_str() == name),
        }
    }

    /// Whether ECS runs the new revision beside the old one and moves traffic.
    fn shifts_traffic(self) -> bool {
        self != Strategy::Rolling
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing ECS would refuse (or do otherwise than written) in a service
/// definition's deployment configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyProblem {
    /// JSON path in the file, e.g. `deploymentConfiguration.linearConfiguration.stepPercent`
    /// or `loadBalancers[0].advancedConfiguration.roleArn`.
    pub path: String,
    /// What is wrong: the value and what ECS takes.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl StrategyProblem {
    fn new(path: impl Into<String>, message: String, hint: String) -> StrategyProblem {
        StrategyProblem {
            path: path.into(),
            message,
            hint,
        }
    }

    /// The 1-based line and column in `json` (the file's text) of the key
    /// `path` names or, when that key is not written (a missing field), of
    /// its deepest ancestor that is; the file's start when none is.
    pub fn position(&self, json: &str) -> (usize, usize) {
        position::locate(json, &self.path)
    }
}

// ---------------------------------------------------------------- ranges --

/// `bakeTimeInMinutes`. The ECS API reference gives no range; TF validates
/// `IntBetween(0, 1440)`, and ECS documents the same 0–1440 ("24 hours") for
/// the step and canary bakes (SDK `_linear_configuration.rs`, `_canary_configuration.rs`).
const BAKE_MINUTES: RangeInclusive<i32> = 0..=1440;
/// `stepBakeTimeInMinutes`: "Valid values are 0 to 1440 minutes (24 hours).
/// The default value is 6." (SDK `_linear_configuration.rs`)
const STEP_BAKE_MINUTES: RangeInclusive<i32> = 0..=1440;
const DEFAULT_STEP_BAKE_MINUTES: i32 = 6;
/// `stepPercent`: "Valid values are multiples of 0.1 from 3.0 to 100.0. The
/// default value is 10.0." (SDK `_linear_configuration.rs`)
const STEP_PERCENT: RangeInclusive<f64> = 3.0..=100.0;
const DEFAULT_STEP_PERCENT: f64 = 10.0;
/// `canaryBakeTimeInMinutes`: "Valid values are 0 to 1440 minutes (24
/// hours). The default value is 10." (SDK `_canary_configuration.rs`)
const CANARY_BAKE_MINUTES: RangeInclusive<i32> = 0..=1440;
const DEFAULT_CANARY_BAKE_MINUTES: i32 = 10;
/// `canaryPercent`: "Valid values are multiples of 0.1 from 0.1 to 100.0.
/// The default value is 5.0." (SDK `_canary_configuration.rs`)
const CANARY_PERCENT: RangeInclusive<f64> = 0.1..=100.0;
const DEFAULT_CANARY_PERCENT: f64 = 5.0;
/// `timeoutConfiguration.timeoutInMinutes`: "Valid Range: Minimum value of 1.
/// Maximum value of 20160", default 1440 (API_DeploymentLifecycleHookTimeoutConfiguration).
const HOOK_TIMEOUT_MINUTES: RangeInclusive<i32> = 1..=20160;

/// `lifecycleStages` values (SDK `_deployment_lifecycle_hook_stage.rs`).
const HOOK_STAGES: [&str; 8] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

// ----------------------------------------------------------------- check --

/// Every problem ECS documents in `def`'s deployment strategy (empty when
/// there is none), in the order of the fields in ECS's API.
pub fn check(def: &ServiceDefinition) -> Vec<StrategyProblem> {
    let mut problems = Vec::new();
    // CODE_DEPLOY and EXTERNAL deploy the service themselves: there is no ECS
    // deployment for deckhand to start, watch or roll back.
    if let Some(controller) = def
        .deployment_controller
        .as_ref()
        .and_then(|c| c.r#type.as_deref())
        .filter(|t| *t != "ECS")
    {
        problems.push(StrategyProblem::new(
            "deploymentController",
            format!(
                "the {controller} deployment controller deploys the service itself; deckhand releases services that ECS deploys"
            ),
            "use the ECS controller with `deploymentConfiguration.strategy` BLUE_GREEN, LINEAR or CANARY (they replace CodeDeploy), or leave this service out of the spec".into(),
        ));
    }
    let Some(config) = &def.deployment_configuration else {
        return problems;
    };
    const DC: &str = "deploymentConfiguration";
    let strategy = Strategy::of(def);
    if strategy.is_none()
        && let Some(name) = strategy_name(def)
    {
        // The enum `DeploymentStrategy` (SDK `_deployment_strategy.rs`).
        let names = Strategy::ALL.map(Strategy::as_str);
        problems.push(StrategyProblem::new(
            format!("{DC}.strategy"),
            format!(
                "{} is not a deployment strategy; ECS takes ROLLING, BLUE_GREEN, LINEAR or CANARY",
                quoted(name)
            ),
            match nearest(name, &names) {
                Some(near) => format!("did you mean {near}?"),
                None => "write ROLLING (the default), BLUE_GREEN, LINEAR or CANARY".into(),
            },
        ));
    }
    // How messages name the strategy in force.
    let shown = match (strategy, strategy_name(def)) {
        (Some(s), None) => format!("{s} (the default)"),
        (Some(s), Some(_)) => s.to_string(),
        (None, _) => String::new(),
    };

    let bake_path = format!("{DC}.bakeTimeInMinutes");
    match config.bake_time_in_minutes {
        Some(bake) => problems.extend(minutes_out_of_range(
            &bake_path,
            "bakeTimeInMinutes",
            bake,
            &BAKE_MINUTES,
            "a bake time",
        )),
        // "You must provide this parameter when you use the BLUE_GREEN
        // deployment strategy." (SDK `_deployment_configuration.rs`)
        None if strategy == Some(Strategy::BlueGreen) => problems.push(StrategyProblem::new(
            bake_path,
            "strategy BLUE_GREEN needs bakeTimeInMinutes (0 to 1440): how long the old \
             revision keeps running after production traffic moved"
                .into(),
            "add \"bakeTimeInMinutes\": 10 to deploymentConfiguration (0 removes the old \
             revision at once)"
                .into(),
        )),
        None => {}
    }

    // "Only valid when the deployment strategy is LINEAR" / "... CANARY"
    // (SDK `_deployment_configuration.rs`; API_LinearConfiguration,
    // API_CanaryConfiguration: "only valid when you run CreateService or
    // UpdateService with ... a strategy set to LINEAR/CANARY").
    if let Some(linear) = &config.linear_configuration {
        let path = format!("{DC}.linearConfiguration");
        if strategy.is_some_and(|s| s != Strategy::Linear) {
            problems.push(misplaced_block(
                &path,
                "linearConfiguration",
                "LINEAR",
                &shown,
                config,
                strategy,
            ));
        }
        if let Some(step) = linear.step_percent {
            let at = format!("{path}.stepPercent");
            problems.extend(percent_out_of_range(
                &at,
                "stepPercent",
                step,
                &STEP_PERCENT,
                "e.g. 10.0 for 10 steps",
            ));
        }
        if let Some(bake) = linear.step_bake_time_in_minutes {
            let at = format!("{path}.stepBakeTimeInMinutes");
            problems.extend(minutes_out_of_range(
                &at,
                "stepBakeTimeInMinutes",
                bake,
                &STEP_BAKE_MINUTES,
                "a wait between steps",
            ));
        }
    }
    if let Some(canary) = &config.canary_configuration {
        let path = format!("{DC}.canaryConfiguration");
        if strategy.is_some_and(|s| s != Strategy::Canary) {
            problems.push(misplaced_block(
                &path,
                "canaryConfiguration",
                "CANARY",
                &shown,
                config,
                strategy,
            ));
        }
        if let Some(percent) = canary.canary_percent {
            let at = format!("{path}.canaryPercent");
            problems.extend(percent_out_of_range(
                &at,
                "canaryPercent",
                percent,
                &CANARY_PERCENT,
                "e.g. 5.0",
            ));
        }
        if let Some(bake) = canary.canary_bake_time_in_minutes {
            let at = format!("{path}.canaryBakeTimeInMinutes");
            problems.extend(minutes_out_of_range(
                &at,
                "canaryBakeTimeInMinutes",
                bake,
                &CANARY_BAKE_MINUTES,
                "a canary bake time",
            ));
        }
    }

    for (i, hook) in config.lifecycle_hooks.iter().flatten().enumerate() {
        check_hook(&format!("{DC}.lifecycleHooks[{i}]"), hook, &mut problems);
    }
    if let Some(strategy) = strategy.filter(|s| s.shifts_traffic()) {
        check_load_balancers(def, strategy, &mut problems);
    }
    problems
}

/// `linearConfiguration` or `canaryConfiguration` under another strategy.
fn misplaced_block(
    path: &str,
    block: &str,
    owner: &str,
    shown: &str,
    config: &DeploymentConfiguration,
    strategy: Option<Strategy>,
) -> StrategyProblem {
    let mut hint = format!("remove {block}, or set \"strategy\": \"{owner}\"");
    match strategy {
        Some(Strategy::Canary) if config.canary_configuration.is_none() => {
            hint.push_str("; a CANARY deployment takes canaryConfiguration {canaryPercent, canaryBakeTimeInMinutes}");
        }
        Some(Strategy::Linear) if config.linear_configuration.is_none() => {
            hint.push_str("; a LINEAR deployment takes linearConfiguration {stepPercent, stepBakeTimeInMinutes}");
        }
        _ => {}
    }
    StrategyProblem::new(
        path,
        format!("{block} only applies to strategy {owner}, and this service's strategy is {shown}"),
        hint,
    )
}

fn minutes_out_of_range(
    path: &str,
    key: &str,
    value: i32,
    range: &RangeInclusive<i32>,
    what: &str,
) -> Option<StrategyProblem> {
    (!range.contains(&value)).then(|| {
        StrategyProblem::new(
            path,
            format!(
                "{key} is {value}; ECS takes {} to {} minutes ({} hours)",
                range.start(),
                range.end(),
                range.end() / 60
            ),
            format!(
                "set {what} from {} to {} minutes",
                range.start(),
                range.end()
            ),
        )
    })
}

/// A percentage ECS takes in multiples of 0.1 within `range`.
fn percent_out_of_range(
    path: &str,
    key: &str,
    value: f64,
    range: &RangeInclusive<f64>,
    example: &str,
) -> Option<StrategyProblem> {
    let allowed = format!(
        "ECS takes multiples of 0.1 from {:.1} to {:.1}",
        range.start(),
        range.end()
    );
    if !range.contains(&value) {
        return Some(StrategyProblem::new(
            path,
            format!("{key} is {value}; {allowed}"),
            format!("set {:.1} to {:.1}, {example}", range.start(), range.end()),
        ));
    }
    let tenths = value * 10.0;
    ((tenths - tenths.round()).abs() > 1e-6).then(|| {
        StrategyProblem::new(
            path,
            format!("{key} is {value}; {allowed}"),
            format!("round it to one decimal place: {:.1}", value),
        )
    })
}

/// One entry of `lifecycleHooks`. Targets, stages and fields: SDK
/// `_deployment_lifecycle_hook.rs` (= API_DeploymentLifecycleHook).
fn check_hook(path: &str, hook: &DeploymentLifecycleHook, problems: &mut Vec<StrategyProblem>) {
    // "AWS_LAMBDA ... This is the default value." / "PAUSE".
    let target = hook.target_type.as_deref().unwrap_or("AWS_LAMBDA");
    let pause = target == "PAUSE";
    if !matches!(target, "AWS_LAMBDA" | "PAUSE") {
        problems.push(StrategyProblem::new(
            format!("{path}.targetType"),
            format!("{} is not a hook target type; ECS takes AWS_LAMBDA (the default) or PAUSE", quoted(target)),
            "write AWS_LAMBDA to invoke a Lambda function, or PAUSE to wait for ContinueServiceDeployment".into(),
        ));
    }

    // lifecycleStages: "You must provide this parameter when configuring a
    // deployment lifecycle hook."
    match hook.lifecycle_stages.as_deref() {
        None | Some([]) => problems.push(StrategyProblem::new(
            format!("{path}.lifecycleStages"),
            "a lifecycle hook needs lifecycleStages: the stages of the deployment it runs at"
                .into(),
            format!("list one or more of {}", HOOK_STAGES.join(", ")),
        )),
        Some(stages) => {
            for (j, stage) in stages.iter().enumerate() {
                let at = format!("{path}.lifecycleStages[{j}]");
                if !HOOK_STAGES.contains(&stage.as_str()) {
                    problems.push(StrategyProblem::new(
                        at,
                        format!(
                            "{} is not a lifecycle stage; ECS takes {}",
                            quoted(stage),
                            HOOK_STAGES.join(", ")
                        ),
                        match nearest(stage, &HOOK_STAGES) {
                            Some(near) => format!("did you mean {near}?"),
                            None => "write one of the stages above".into(),
                        },
                    ));
                } else if pause
                    && matches!(
                        stage.as_str(),
                        "TEST_TRAFFIC_SHIFT" | "PRODUCTION_TRAFFIC_SHIFT"
                    )
                {
                    // "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or
                    // PRODUCTION_TRAFFIC_SHIFT stages. These stages are only
                    // valid for AWS_LAMBDA hooks."
                    problems.push(StrategyProblem::new(
                        at,
                        format!("a PAUSE hook cannot run at {stage}; ECS allows that stage for AWS_LAMBDA hooks only"),
                        format!("pause at PRE_{stage} or POST_{stage} instead"),
                    ));
                }
            }
        }
    }

    if pause {
        // hookTargetArn: "This field is not applicable for PAUSE hooks."
        if given(hook.hook_target_arn.as_deref()) {
            problems.push(StrategyProblem::new(
                format!("{path}.hookTargetArn"),
                "a PAUSE hook has no target, but hookTargetArn is set".into(),
                "remove hookTargetArn, or set \"targetType\": \"AWS_LAMBDA\" to invoke that function".into(),
            ));
        }
    } else if target == "AWS_LAMBDA" {
        let which = if hook.target_type.is_some() {
            "an AWS_LAMBDA hook"
        } else {
            "a hook without targetType is AWS_LAMBDA and"
        };
        // hookTargetArn: "You must provide this parameter when configuring an
        // AWS_LAMBDA lifecycle hook."
        if !given(hook.hook_target_arn.as_deref()) {
            problems.push(StrategyProblem::new(
                format!("{path}.hookTargetArn"),
                format!("{which} needs hookTargetArn, the ARN of the function ECS invokes"),
                "add \"hookTargetArn\": \"arn:aws:lambda:REGION:ACCOUNT:function:NAME\", or set \"targetType\": \"PAUSE\" to pause instead".into(),
            ));
        }
        // roleArn: "the IAM role that grants Amazon ECS permission to call
        // Lambda functions on your behalf" (SDK); ECS has no other way to
        // invoke the function. TF requires `role_arn` for Lambda hooks (it
        // became optional for PAUSE only, hashicorp/terraform-provider-aws#48128).
        if !given(hook.role_arn.as_deref()) {
            problems.push(StrategyProblem::new(
                format!("{path}.roleArn"),
                format!("{which} needs roleArn, the IAM role ECS assumes to invoke the function"),
                "add \"roleArn\": the ARN of a role ecs.amazonaws.com can assume, allowed lambda:InvokeFunction on the function".into(),
            ));
        }
    }

    if let Some(timeout) = &hook.timeout_configuration {
        if let Some(minutes) = timeout.timeout_in_minutes
            && !HOOK_TIMEOUT_MINUTES.contains(&minutes)
        {
            problems.push(StrategyProblem::new(
                format!("{path}.timeoutConfiguration.timeoutInMinutes"),
                format!("timeoutInMinutes is {minutes}; ECS takes 1 to 20160 minutes (14 days)"),
                "set 1 to 20160; without it ECS waits 1440 minutes (24 hours)".into(),
            ));
        }
        // action: "Valid Values: ROLLBACK | CONTINUE", default ROLLBACK
        // (API_DeploymentLifecycleHookTimeoutConfiguration).
        if let Some(action) = timeout.action.as_deref()
            && !matches!(action, "ROLLBACK" | "CONTINUE")
        {
            problems.push(StrategyProblem::new(
                format!("{path}.timeoutConfiguration.action"),
                format!("{} is not a timeout action; ECS takes ROLLBACK (the default) or CONTINUE", quoted(action)),
                "write ROLLBACK to roll the deployment back when the hook times out, or CONTINUE to go on".into(),
            ));
        }
    }
}

/// `loadBalancers[]` of a BLUE_GREEN, LINEAR or CANARY service. An ALB or NLB
/// entry (one with `targetGroupArn`) needs `advancedConfiguration`: ECS
/// registers the new revision in a second target group and moves the listener
/// rule to it. "For blue/green deployments with Elastic Load Balancing, you
/// need to create two target groups" (developer guide,
/// alb-resources-for-blue-green.html, nlb-resources-for-blue-green.html);
/// AdvancedConfiguration: "Specify the alternate target group, listener rules,
/// and IAM role required for traffic shifting" (SDK `_advanced_configuration.rs`).
/// The API marks each field optional (they are for ROLLING services); CFN
/// requires `AlternateTargetGroupArn`, TF requires `alternate_target_group_arn`,
/// `production_listener_rule` and `role_arn`. `testListenerRule` is optional
/// everywhere. Classic load balancers (`loadBalancerName`) are left to ECS.
fn check_load_balancers(
    def: &ServiceDefinition,
    strategy: Strategy,
    problems: &mut Vec<StrategyProblem>,
) {
    for (i, lb) in def.load_balancers.iter().flatten().enumerate() {
        if !given(lb.target_group_arn.as_deref()) {
            continue;
        }
        let path = format!("loadBalancers[{i}].advancedConfiguration");
        let Some(advanced) = &lb.advanced_configuration else {
            problems.push(StrategyProblem::new(
                path,
                format!("a {strategy} deployment behind a load balancer needs advancedConfiguration: ECS starts the new revision in an alternate target group and moves the production listener rule to it"),
                "add \"advancedConfiguration\": {\"alternateTargetGroupArn\": ..., \"productionListenerRule\": ..., \"roleArn\": ...} (testListenerRule is optional), or use strategy ROLLING".into(),
            ));
            continue;
        };
        let fields = [
            (
                "alternateTargetGroupArn",
                advanced.alternate_target_group_arn.as_deref(),
                "the second target group the new revision registers in",
                "add the ARN of a second target group like targetGroupArn's (same port, protocol and target type)",
            ),
            (
                "productionListenerRule",
                advanced.production_listener_rule.as_deref(),
                "the listener rule (ALB) or listener (NLB) whose traffic ECS moves",
                "add the ARN of the listener rule (ALB) or listener (NLB) that forwards production traffic to targetGroupArn",
            ),
            (
                "roleArn",
                advanced.role_arn.as_deref(),
                "the IAM role ECS changes the listener with",
                "add the ARN of a role ecs.amazonaws.com can assume, with the AmazonECSInfrastructureRolePolicyForLoadBalancers policy",
            ),
        ];
        for (key, value, what, hint) in fields {
            if !given(value) {
                problems.push(StrategyProblem::new(
                    format!("{path}.{key}"),
                    format!("a {strategy} deployment needs {key}: {what}"),
                    hint.into(),
                ));
            }
        }
    }
}

// --------------------------------------------------------------- helpers --

fn strategy_name(def: &ServiceDefinition) -> Option<&str> {
    def.deployment_configuration
        .as_ref()
        .and_then(|c| c.strategy.as_deref())
}

/// Whether an optional string field has a value (an empty string is none).
fn given(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

/// `value` in double quotes, clipped, for echoing a user's string.
fn quoted(value: &str) -> String {
    let clipped: String = value.chars().take(60).collect();
    let more = if clipped.len() < value.len() {
        "…"
    } else {
        ""
    };
    format!("{:?}", format!("{clipped}{more}"))
}

/// The name in `names` that `value` spells differently only in case and
/// punctuation (`blue-green` → `BLUE_GREEN`).
fn nearest<'a>(value: &str, names: &[&'a str]) -> Option<&'a str> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let wanted = squash(value);
    names.iter().copied().find(|n| squash(n) == wanted)
}
