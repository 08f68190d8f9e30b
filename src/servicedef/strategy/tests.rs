//! Tests of the strategy checks (a table of good and bad configurations),
//! the duration formulas, the estimates and the JSON positions.

use super::duration::{human, minutes};
use super::*;
use crate::servicedef::parse_service_definition;
use std::time::Duration;

const WEB: &str = include_str!("../testdata/web.json");

fn parse(json: &str) -> ServiceDefinition {
    parse_service_definition(json).unwrap_or_else(|e| panic!("{e:?}\n{json}"))
}

/// A definition with this `deploymentConfiguration` only.
fn with_config(config: &str) -> ServiceDefinition {
    parse(&format!(r#"{{"deploymentConfiguration": {config}}}"#))
}

/// A definition with this `deploymentConfiguration` and `loadBalancers`.
fn behind_lb(config: &str, load_balancers: &str) -> ServiceDefinition {
    parse(&format!(
        r#"{{"loadBalancers": {load_balancers}, "deploymentConfiguration": {config}}}"#
    ))
}

const TG: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1";

fn lb(advanced: Option<&str>) -> String {
    let advanced = advanced.map_or(String::new(), |a| {
        format!(r#", "advancedConfiguration": {a}"#)
    });
    format!(
        r#"[{{"targetGroupArn": "{TG}", "containerName": "web", "containerPort": 3000{advanced}}}]"#
    )
}

const LAMBDA: &str = r#""hookTargetArn": "arn:aws:lambda:eu-west-1:1:function:f", "roleArn": "arn:aws:iam::1:role/r""#;

#[test]
fn good_configurations_have_no_problems() {
    let full_advanced = r#"{"alternateTargetGroupArn": "arn:g", "productionListenerRule": "arn:r", "roleArn": "arn:role"}"#;
    let cases: Vec<(&str, ServiceDefinition)> = vec![
        ("no deploymentConfiguration", parse("{}")),
        (
            "the web fixture (BLUE_GREEN, load balancer, hook)",
            parse(WEB),
        ),
        (
            "ROLLING with limits and a circuit breaker",
            with_config(
                r#"{"strategy": "ROLLING", "maximumPercent": 200, "minimumHealthyPercent": 100,
                    "deploymentCircuitBreaker": {"enable": true, "rollback": true}}"#,
            ),
        ),
        (
            "bake time 0",
            with_config(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}"#),
        ),
        (
            "bake time 1440",
            with_config(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1440}"#),
        ),
        (
            "BLUE_GREEN without a load balancer (headless)",
            with_config(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10}"#),
        ),
        (
            "LINEAR at the documented bounds",
            with_config(
                r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5,
                    "linearConfiguration": {"stepPercent": 3.0, "stepBakeTimeInMinutes": 1440}}"#,
            ),
        ),
        (
            "LINEAR of 100 % at once, a tenth-step percent",
            with_config(
                r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 33.3, "stepBakeTimeInMinutes": 0}}"#,
            ),
        ),
        (
            "CANARY at the documented bounds",
            with_config(
                r#"{"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.1, "canaryBakeTimeInMinutes": 0}}"#,
            ),
        ),
        (
            "a PAUSE hook with a timeout",
            with_config(
                r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "lifecycleHooks": [
                    {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT"],
                     "timeoutConfiguration": {"timeoutInMinutes": 20160, "action": "CONTINUE"}}]}"#,
            ),
        ),
        (
            "a Lambda hook without targetType",
            with_config(&format!(
                r#"{{"strategy": "CANARY", "lifecycleHooks": [{{{LAMBDA}, "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}}]}}"#
            )),
        ),
        (
            "LINEAR behind a load balancer",
            behind_lb(r#"{"strategy": "LINEAR"}"#, &lb(Some(full_advanced))),
        ),
        (
            "ROLLING behind a load balancer needs no advancedConfiguration",
            behind_lb(r#"{"strategy": "ROLLING"}"#, &lb(None)),
        ),
        (
            "a classic load balancer is left to ECS",
            behind_lb(
                r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1}"#,
                r#"[{"loadBalancerName": "classic", "containerName": "web", "containerPort": 80}]"#,
            ),
        ),
    ];
    for (name, def) in cases {
        assert_eq!(check(&def), vec![], "{name}");
    }
}

/// What is wrong, the definition, and the problems expected: (path, a
/// fragment of its message or hint), in order.
type BadCase = (
    &'static str,
    ServiceDefinition,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn bad_configurations_name_the_field_the_value_and_the_fix() {
    let cases: Vec<BadCase> = vec![
        (
            "a misspelled strategy",
            with_config(r#"{"strategy": "blue-green"}"#),
            vec![(
                "deploymentConfiguration.strategy",
                "did you mean BLUE_GREEN?",
            )],
        ),
        (
            "an unknown strategy",
            with_config(r#"{"strategy": "FANCY"}"#),
            vec![(
                "deploymentConfiguration.strategy",
                "\"FANCY\" is not a deployment strategy",
            )],
        ),
        (
            "a bake time of 2000",
            with_config(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2000}"#),
            vec![(
                "deploymentConfiguration.bakeTimeInMinutes",
                "bakeTimeInMinutes is 2000; ECS takes 0 to 1440 minutes (24 hours)",
            )],
        ),
        (
            "a negative bake time",
            with_config(r#"{"strategy": "CANARY", "bakeTimeInMinutes": -1}"#),
            vec![("deploymentConfiguration.bakeTimeInMinutes", "is -1")],
        ),
        (
            "BLUE_GREEN without a bake time",
            with_config(r#"{"strategy": "BLUE_GREEN"}"#),
            vec![(
                "deploymentConfiguration.bakeTimeInMinutes",
                "strategy BLUE_GREEN needs bakeTimeInMinutes",
            )],
        ),
        (
            "linearConfiguration with CANARY",
            with_config(r#"{"strategy": "CANARY", "linearConfiguration": {"stepPercent": 10.0}}"#),
            vec![
                (
                    "deploymentConfiguration.linearConfiguration",
                    "only applies to strategy LINEAR, and this service's strategy is CANARY",
                ),
                (
                    "deploymentConfiguration.linearConfiguration",
                    "a CANARY deployment takes canaryConfiguration",
                ),
            ],
        ),
        (
            "canaryConfiguration without a strategy",
            with_config(r#"{"canaryConfiguration": {"canaryPercent": 5.0}}"#),
            vec![(
                "deploymentConfiguration.canaryConfiguration",
                "this service's strategy is ROLLING (the default)",
            )],
        ),
        (
            "a step below 3 %",
            with_config(r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.5}}"#),
            vec![(
                "deploymentConfiguration.linearConfiguration.stepPercent",
                "stepPercent is 2.5; ECS takes multiples of 0.1 from 3.0 to 100.0",
            )],
        ),
        (
            "a step above 100 %",
            with_config(r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 100.5}}"#),
            vec![(
                "deploymentConfiguration.linearConfiguration.stepPercent",
                "is 100.5",
            )],
        ),
        (
            "a step finer than a tenth",
            with_config(r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 12.34}}"#),
            vec![(
                "deploymentConfiguration.linearConfiguration.stepPercent",
                "round it to one decimal place: 12.3",
            )],
        ),
        (
            "a step bake of a day and a minute",
            with_config(
                r#"{"strategy": "LINEAR", "linearConfiguration": {"stepBakeTimeInMinutes": 1441}}"#,
            ),
            vec![(
                "deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes",
                "stepBakeTimeInMinutes is 1441",
            )],
        ),
        (
            "a canary too small and a canary bake below zero",
            with_config(
                r#"{"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.05, "canaryBakeTimeInMinutes": -5}}"#,
            ),
            vec![
                (
                    "deploymentConfiguration.canaryConfiguration.canaryPercent",
                    "from 0.1 to 100.0",
                ),
                (
                    "deploymentConfiguration.canaryConfiguration.canaryBakeTimeInMinutes",
                    "is -5",
                ),
            ],
        ),
        (
            "an unknown hook target type",
            with_config(&format!(
                r#"{{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": [
                    {{"targetType": "LAMBDA", {LAMBDA}, "lifecycleStages": ["PRE_SCALE_UP"]}}]}}"#
            )),
            vec![(
                "deploymentConfiguration.lifecycleHooks[0].targetType",
                "\"LAMBDA\" is not a hook target type",
            )],
        ),
        (
            "a hook without stages, and one with none listed",
            with_config(&format!(
                r#"{{"strategy": "LINEAR", "lifecycleHooks": [{{{LAMBDA}}}, {{{LAMBDA}, "lifecycleStages": []}}]}}"#
            )),
            vec![
                (
                    "deploymentConfiguration.lifecycleHooks[0].lifecycleStages",
                    "needs lifecycleStages",
                ),
                (
                    "deploymentConfiguration.lifecycleHooks[1].lifecycleStages",
                    "needs lifecycleStages",
                ),
            ],
        ),
        (
            "a misspelled stage",
            with_config(&format!(
                r#"{{"strategy": "LINEAR", "lifecycleHooks": [{{{LAMBDA}, "lifecycleStages": ["POST_SCALE_UP", "pre-scale-up"]}}]}}"#
            )),
            vec![(
                "deploymentConfiguration.lifecycleHooks[0].lifecycleStages[1]",
                "did you mean PRE_SCALE_UP?",
            )],
        ),
        (
            "a PAUSE hook at a traffic shift, with a target",
            with_config(
                r#"{"strategy": "CANARY", "lifecycleHooks": [{"targetType": "PAUSE",
                    "hookTargetArn": "arn:aws:lambda:eu-west-1:1:function:f",
                    "lifecycleStages": ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"]}]}"#,
            ),
            vec![
                (
                    "deploymentConfiguration.lifecycleHooks[0].lifecycleStages[0]",
                    "pause at PRE_TEST_TRAFFIC_SHIFT or POST_TEST_TRAFFIC_SHIFT",
                ),
                (
                    "deploymentConfiguration.lifecycleHooks[0].lifecycleStages[1]",
                    "a PAUSE hook cannot run at PRODUCTION_TRAFFIC_SHIFT",
                ),
                (
                    "deploymentConfiguration.lifecycleHooks[0].hookTargetArn",
                    "a PAUSE hook has no target",
                ),
            ],
        ),
        (
            "a Lambda hook without its function and role",
            with_config(
                r#"{"strategy": "LINEAR", "lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP"], "hookTargetArn": " "}]}"#,
            ),
            vec![
                (
                    "deploymentConfiguration.lifecycleHooks[0].hookTargetArn",
                    "a hook without targetType is AWS_LAMBDA and needs hookTargetArn",
                ),
                (
                    "deploymentConfiguration.lifecycleHooks[0].roleArn",
                    "needs roleArn",
                ),
            ],
        ),
        (
            "a hook timeout out of range, and an unknown timeout action",
            with_config(
                r#"{"strategy": "LINEAR", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"],
                    "timeoutConfiguration": {"timeoutInMinutes": 20161, "action": "STOP"}}]}"#,
            ),
            vec![
                (
                    "deploymentConfiguration.lifecycleHooks[0].timeoutConfiguration.timeoutInMinutes",
                    "ECS takes 1 to 20160 minutes (14 days)",
                ),
                (
                    "deploymentConfiguration.lifecycleHooks[0].timeoutConfiguration.action",
                    "\"STOP\" is not a timeout action",
                ),
            ],
        ),
        (
            "BLUE_GREEN behind a load balancer without advancedConfiguration",
            behind_lb(
                r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}"#,
                &lb(None),
            ),
            vec![(
                "loadBalancers[0].advancedConfiguration",
                "a BLUE_GREEN deployment behind a load balancer needs advancedConfiguration",
            )],
        ),
        (
            "CANARY with advancedConfiguration missing its rule and role",
            behind_lb(
                r#"{"strategy": "CANARY"}"#,
                &lb(Some(
                    r#"{"alternateTargetGroupArn": "arn:g", "roleArn": ""}"#,
                )),
            ),
            vec![
                (
                    "loadBalancers[0].advancedConfiguration.productionListenerRule",
                    "a CANARY deployment needs productionListenerRule",
                ),
                (
                    "loadBalancers[0].advancedConfiguration.roleArn",
                    "AmazonECSInfrastructureRolePolicyForLoadBalancers",
                ),
            ],
        ),
    ];
    for (name, def, expected) in cases {
        let problems = check(&def);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        let mut wanted: Vec<&str> = expected.iter().map(|(path, _)| *path).collect();
        wanted.dedup();
        assert_eq!(paths, wanted, "{name}: {problems:#?}");
        for (path, fragment) in expected {
            assert!(
                problems.iter().any(|p| p.path == path
                    && (p.message.contains(fragment) || p.hint.contains(fragment))),
                "{name}: no problem at {path} says {fragment:?}: {problems:#?}"
            );
        }
        for p in &problems {
            assert!(!p.hint.is_empty(), "{name}: {p:?} has no hint");
        }
    }
}

#[test]
fn an_unknown_strategy_skips_the_rules_that_depend_on_it() {
    let def = with_config(r#"{"strategy": "FANCY", "linearConfiguration": {"stepPercent": 1.0}}"#);
    let paths: Vec<String> = check(&def).into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "deploymentConfiguration.strategy",
            "deploymentConfiguration.linearConfiguration.stepPercent"
        ]
    );
}

fn minutes_of(def: &ServiceDefinition) -> u64 {
    minimum_duration(def).as_secs() / 60
}

#[test]
fn minimum_durations_follow_the_formulas() {
    let cases = [
        // (deploymentConfiguration, minutes)
        (r#"{}"#, 0),
        (r#"{"strategy": "ROLLING", "bakeTimeInMinutes": 30}"#, 0),
        (r#"{"strategy": "FANCY", "bakeTimeInMinutes": 30}"#, 0),
        // BLUE_GREEN: bake.
        (r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10}"#, 10),
        (r#"{"strategy": "BLUE_GREEN"}"#, 0),
        // LINEAR: (⌈100 / step⌉ − 1) × step bake + bake; defaults 10 % and 6 min.
        (
            r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5}"#,
            9 * 6 + 5,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 3}}"#,
            9 * 3,
        ),
        // CFN's example: a step of 11 % makes 9 steps with a bake after them.
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 11.0, "stepBakeTimeInMinutes": 1}}"#,
            9,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 12.5, "stepBakeTimeInMinutes": 1}}"#,
            7,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 33.3, "stepBakeTimeInMinutes": 1}}"#,
            3,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 3.3, "stepBakeTimeInMinutes": 1}}"#,
            30,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 3.0, "stepBakeTimeInMinutes": 1}}"#,
            33,
        ),
        (
            r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 4, "linearConfiguration": {"stepPercent": 100.0, "stepBakeTimeInMinutes": 60}}"#,
            4,
        ),
        // CANARY: canary bake + bake; default canary bake 10 min.
        (r#"{"strategy": "CANARY"}"#, 10),
        (
            r#"{"strategy": "CANARY", "bakeTimeInMinutes": 5, "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 15}}"#,
            20,
        ),
        // Out of ECS's ranges: clamped into them (check reports them).
        (
            r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2000}"#,
            1440,
        ),
        (r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": -3}"#, 0),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 1.0, "stepBakeTimeInMinutes": 1}}"#,
            33,
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 0.0, "stepBakeTimeInMinutes": 1}}"#,
            33,
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(minutes_of(&with_config(config)), expected, "{config}");
    }
    assert_eq!(minutes_of(&parse("{}")), 0);
    assert_eq!(minutes_of(&parse(WEB)), 10);
}

#[test]
fn estimates_read_as_one_line_for_plan_output() {
    let cases = [
        (r#"{"strategy": "ROLLING"}"#, None),
        (r#"{}"#, None),
        (r#"{"strategy": "FANCY"}"#, None),
        (
            r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10}"#,
            Some("BLUE_GREEN: at least 10m (bake 10m)"),
        ),
        (
            r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}"#,
            Some("BLUE_GREEN: no waits by configuration"),
        ),
        (
            r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5, "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}}"#,
            Some("LINEAR: 10 steps of 10% every 6m, at least 59m (9 waits of 6m + bake 5m)"),
        ),
        (
            r#"{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 3.3, "stepBakeTimeInMinutes": 90}}"#,
            Some("LINEAR: 31 steps of 3.3% every 1h30m, at least 45h (30 waits of 1h30m)"),
        ),
        (
            r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5, "linearConfiguration": {"stepPercent": 100.0}}"#,
            Some("LINEAR: 1 step of 100%, at least 5m (bake 5m)"),
        ),
        (
            r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5, "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 0}}"#,
            Some("LINEAR: 2 steps of 50% without waits, at least 5m (bake 5m)"),
        ),
        (
            r#"{"strategy": "CANARY", "bakeTimeInMinutes": 5}"#,
            Some("CANARY: 5% for 10m, then the rest, at least 15m (canary 10m + bake 5m)"),
        ),
        (
            r#"{"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 12.5, "canaryBakeTimeInMinutes": 60}}"#,
            Some("CANARY: 12.5% for 1h, then the rest, at least 1h (canary 1h)"),
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(
            estimate(&with_config(config)).as_deref(),
            expected,
            "{config}"
        );
    }
}

#[test]
fn a_timeout_shorter_than_the_minimum_is_a_problem_at_deploy_timeout() {
    let linear = with_config(r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 5}"#);
    let minute = Duration::from_secs(60);

    let p = timeout_problem("web", &linear, 10 * minute).unwrap();
    assert_eq!(p.path, "deploy.timeout");
    assert_eq!(
        p.message,
        "10m is too short for service web: its LINEAR deployment takes at least 59m by its configuration alone (9 waits of 6m + bake 5m), so deckhand would stop it before it finishes"
    );
    assert!(
        p.hint.contains("set deploy.timeout above 59m, e.g. 1h14m"),
        "{}",
        p.hint
    );

    // Exactly the minimum leaves no time for a task to start.
    assert!(timeout_problem("web", &linear, 59 * minute).is_some());
    assert_eq!(timeout_problem("web", &linear, 60 * minute), None);
    assert_eq!(
        timeout_problem("web", &linear, 59 * minute + Duration::from_secs(1)),
        None
    );
    assert_eq!(
        timeout_problem("web", &parse("{}"), Duration::from_secs(1)),
        None
    );
    let headless = with_config(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}"#);
    assert_eq!(
        timeout_problem("web", &headless, Duration::from_secs(1)),
        None
    );

    // Beyond what deploy.timeout can be: the fix is the bake times.
    let long = with_config(r#"{"strategy": "CANARY", "bakeTimeInMinutes": 1440}"#);
    let p = timeout_problem("api", &long, 90 * Duration::from_secs(1)).unwrap();
    assert!(
        p.message.starts_with("1m30s is too short for service api"),
        "{}",
        p.message
    );
    assert!(p.message.contains("at least 24h10m"), "{}", p.message);
    assert!(
        p.hint.starts_with("deckhand waits at most 24h"),
        "{}",
        p.hint
    );
}

#[test]
fn durations_are_written_as_a_spec_writes_them() {
    let s = Duration::from_secs;
    assert_eq!(human(s(45)), "45s");
    assert_eq!(human(s(90)), "1m30s");
    assert_eq!(human(s(600)), "10m");
    assert_eq!(human(s(3600)), "1h");
    assert_eq!(human(s(3630)), "1h0m30s");
    assert_eq!(human(s(4440)), "1h14m");
    assert_eq!(minutes(0), "0m");
    assert_eq!(minutes(47520), "792h");
}

#[test]
fn positions_point_at_the_key_or_its_nearest_written_ancestor() {
    let json = r#"{
  "loadBalancers": [
    {"targetGroupArn": "arn:tg", "advancedConfiguration": {"alternateTargetGroupArn": "arn:g"}}
  ],
  "deploymentConfiguration": {
    "strategy": "CANARY",
    "linearConfiguration": {"stepPercent": 2.5},
    "lifecycleHooks": [
      {"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"]},
      {
        "lifecycleStages": ["PRE_SCALE_UP", "NOPE"]
      }
    ]
  }
}"#;
    let at = |path: &str| StrategyProblem::new(path, String::new(), String::new()).position(json);
    assert_eq!(at("deploymentConfiguration.linearConfiguration"), (7, 5));
    assert_eq!(
        at("deploymentConfiguration.linearConfiguration.stepPercent"),
        (7, 29)
    );
    // A missing key: its object (an array element) or its parent key.
    assert_eq!(
        at("loadBalancers[0].advancedConfiguration.roleArn"),
        (3, 34)
    );
    assert_eq!(at("deploymentConfiguration.bakeTimeInMinutes"), (5, 3));
    assert_eq!(
        at("deploymentConfiguration.lifecycleHooks[1].roleArn"),
        (10, 7)
    );
    // The second hook's stages, not the first's; a string element of an array.
    assert_eq!(
        at("deploymentConfiguration.lifecycleHooks[1].lifecycleStages"),
        (11, 9)
    );
    assert_eq!(
        at("deploymentConfiguration.lifecycleHooks[1].lifecycleStages[1]"),
        (11, 45)
    );
    // Nothing written: the file's start.
    assert_eq!(at("nowhere.to.be.found"), (1, 1));
    assert_eq!(
        StrategyProblem::new("a", String::new(), String::new()).position("[1, {\"b\": \"a\"}]"),
        (1, 1)
    );
}

#[test]
fn every_problem_of_a_fixture_is_positioned_on_its_line() {
    let json = r#"{
  "deploymentConfiguration": {
    "strategy": "CANARY",
    "bakeTimeInMinutes": 2000,
    "linearConfiguration": {"stepPercent": 10.0}
  }
}"#;
    let def = parse(json);
    let lines: Vec<usize> = check(&def).iter().map(|p| p.position(json).0).collect();
    assert_eq!(lines, [4, 5]);
}

/// The corpus cases `tests/corpus/service-definition-strategy-*` pass only
/// once `validate` runs these checks; this keeps their definitions and
/// `expect.txt` lines in step with what the checks say, and where.
#[test]
fn the_corpus_definitions_have_the_problems_their_expectations_name() {
    let corpus = |case: &str, file: &str| -> String {
        let path = format!(
            "{}/tests/corpus/{case}/service-definitions/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };

    let json = corpus(
        "service-definition-strategy-bake-time-too-long",
        "long-bake.json",
    );
    let problems = check(&parse(&json));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].path,
        "deploymentConfiguration.bakeTimeInMinutes"
    );
    assert_eq!(problems[0].position(&json), (11, 5));
    assert!(problems[0].message.contains("2000") && problems[0].message.contains("0 to 1440"));

    let json = corpus(
        "service-definition-strategy-linear-with-canary",
        "canary-with-linear.json",
    );
    let problems = check(&parse(&json));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].path,
        "deploymentConfiguration.linearConfiguration"
    );
    assert_eq!(problems[0].position(&json), (25, 5));
    assert!(problems[0].hint.starts_with("remove linearConfiguration"));
    // Its waits (canary 2m + bake 3m) fit the corpus's deploy.timeout of 10m.
    let ten_minutes = Duration::from_secs(600);
    assert_eq!(timeout_problem("web", &parse(&json), ten_minutes), None);

    let json = corpus(
        "service-definition-strategy-timeout-too-short",
        "linear.json",
    );
    let def = parse(&json);
    assert_eq!(check(&def), vec![]);
    let p = timeout_problem("web", &def, ten_minutes).unwrap();
    assert!(
        p.message.contains("service web")
            && p.message.contains("LINEAR deployment takes at least 59m")
    );
    assert!(p.hint.contains("deploy.timeout above 59m"));
}

/// The real service definitions of `tests/servicedefs/` (three of them
/// BLUE_GREEN, with hooks and advancedConfiguration) have no strategy
/// problem: the checks flag what ECS documents, not what people write.
#[test]
fn real_service_definitions_have_no_strategy_problems() {
    let dir = format!("{}/tests/servicedefs", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut blue_green = 0;
    for path in &files {
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        if let Some(services) = value.get("services") {
            value = services[0].clone();
        }
        // What the spec owns, and describe-only leftovers (see its README).
        for key in [
            "cluster",
            "serviceName",
            "taskDefinition",
            "desiredCount",
            "clientToken",
            "platformFamily",
            "pendingCount",
            "runningCount",
        ] {
            value.as_object_mut().unwrap().remove(key);
        }
        // Files with keys CreateService lacks are the parser's business.
        let Ok(def) = parse_service_definition(&value.to_string()) else {
            continue;
        };
        blue_green += usize::from(Strategy::of(&def) == Some(Strategy::BlueGreen));
        // Their controllers are refused apart (CODE_DEPLOY files, 01/16/18).
        let strategy_problems: Vec<_> = check(&def)
            .into_iter()
            .filter(|p| p.path != "deploymentController")
            .collect();
        assert_eq!(strategy_problems, vec![], "{}", path.display());
    }
    assert!(blue_green >= 2, "the BLUE_GREEN files no longer parse");
}

#[test]
fn controllers_other_than_ecs_are_refused_at_their_key() {
    for controller in ["CODE_DEPLOY", "EXTERNAL"] {
        let text = format!(
            "{{\n  \"launchType\": \"FARGATE\",\n  \"deploymentController\": {{\"type\": \"{controller}\"}}\n}}"
        );
        let problems = check(&parse(&text));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "deploymentController");
        assert!(problems[0].message.contains(controller));
        assert_eq!(problems[0].position(&text), (3, 3));
    }
    let ecs = r#"{"deploymentController": {"type": "ECS"}}"#;
    assert!(check(&parse(ecs)).is_empty());
}
