//! Tests of the SDK mapping: round trips through describe-shaped output,
//! register request contents, and required-field errors.

use super::*;
use crate::taskdef::model::{ContainerDefinition, Secret, Volume, parse_task_definition};
use serde_json::Value;

const RAILS: &str = include_str!("../../taskdef/testdata/rails.json");
const ALL_FIELDS: &str = include_str!("../../taskdef/testdata/all_fields.json");
const READ_ONLY: [&str; 9] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "registeredAt",
    "registeredBy",
    "requiresAttributes",
    "compatibilities",
    "deregisteredAt",
    "deleteRequestedAt",
];

/// An SDK client for building requests (never sent).
pub(crate) fn client() -> aws_sdk_ecs::Client {
    let conf = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("eu-west-1"))
        .build();
    aws_sdk_ecs::Client::from_conf(conf)
}

fn without_tags(spec: &TaskDefinitionSpec) -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        tags: None,
        ..spec.clone()
    }
}

/// Assembles what `DescribeTaskDefinition` would return for `spec`, from
/// the component conversions, with the read-only fields ECS adds.
fn described(spec: &TaskDefinitionSpec) -> sdk::TaskDefinition {
    let mut td = to_sdk(spec).unwrap();
    let containers = spec
        .container_definitions
        .as_ref()
        .map(|cs| cs.iter().map(|c| container_to_sdk(c).unwrap()).collect());
    let volumes = spec
        .volumes
        .as_ref()
        .map(|vs| vs.iter().map(|v| volume_to_sdk(v).unwrap()).collect());
    assert_eq!(containers, td.container_definitions);
    assert_eq!(volumes, td.volumes);
    td.task_definition_arn = Some("arn:aws:ecs:eu-west-1:123456789012:task-definition/x:7".into());
    td.revision = 7;
    td.status = Some(sdk::TaskDefinitionStatus::Active);
    td.registered_at = Some(aws_smithy_types::DateTime::from_secs(1_717_236_000));
    td.registered_by = Some("arn:aws:sts::123456789012:assumed-role/deploy/ci".into());
    td.requires_attributes = Some(vec![
        sdk::Attribute::builder()
            .name("com.amazonaws.ecs.capability.task-iam-role")
            .build()
            .unwrap(),
    ]);
    td.compatibilities = Some(vec![sdk::Compatibility::Ec2]);
    td
}

/// Lists the model fields (per the JSON schema) that `value` leaves out.
fn unset_fields(schema: &Value, defs: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        return unset_fields(&defs[name], defs, value, path, out);
    }
    if let Some(alts) = schema.get("anyOf").and_then(Value::as_array) {
        for alt in alts.iter().filter(|s| s["type"] != "null") {
            unset_fields(alt, defs, value, path, out);
        }
        return;
    }
    match value {
        Value::Object(obj) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (key, sub) in props.into_iter().flatten() {
                let at = format!("{path}.{key}");
                match obj.get(key) {
                    _ if READ_ONLY.contains(&key.as_str()) => {}
                    None => out.push(at),
                    Some(v) => unset_fields(sub, defs, v, &at, out),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    unset_fields(item, defs, v, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn all_fields_fixture_sets_every_model_field() {
    let schema = serde_json::to_value(schemars::schema_for!(TaskDefinitionSpec)).unwrap();
    let spec = parse_task_definition(ALL_FIELDS).unwrap();
    let value = serde_json::to_value(&spec).unwrap();
    let mut unset = Vec::new();
    unset_fields(&schema, &schema["$defs"], &value, "", &mut unset);
    assert!(unset.is_empty(), "fixture leaves unset: {unset:?}");

    // The check itself sees nested gaps.
    let json = ALL_FIELDS.replacen("\"swappiness\": 10", "\"swappiness\": null", 1);
    let value = serde_json::to_value(parse_task_definition(&json).unwrap()).unwrap();
    let mut unset = Vec::new();
    unset_fields(&schema, &schema["$defs"], &value, "", &mut unset);
    assert_eq!(
        unset,
        [".containerDefinitions[0].linuxParameters.swappiness"]
    );
}

#[test]
fn rails_round_trips_through_describe_output() {
    let spec = parse_task_definition(RAILS).unwrap();
    assert_eq!(from_sdk(&described(&spec)), without_tags(&spec));
}

#[test]
fn every_field_round_trips_through_describe_output() {
    let spec = parse_task_definition(ALL_FIELDS).unwrap();
    let back = from_sdk(&described(&spec));
    assert_eq!(back, without_tags(&spec));
    assert_eq!(from_sdk(&to_sdk(&spec).unwrap()), back);
    // SDK maps are unordered: keys come back sorted.
    let labels = back.container_definitions.unwrap()[0]
        .docker_labels
        .clone()
        .unwrap();
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["a.label", "z.label"]);
}

#[test]
fn register_request_carries_every_field() {
    let spec = parse_task_definition(ALL_FIELDS).unwrap();
    let req = register_request(&client(), &spec).unwrap();
    let td = to_sdk(&spec).unwrap();
    assert_eq!(req.get_family().as_deref(), Some("everything"));
    assert_eq!(req.get_cpu().as_deref(), Some("512"));
    assert_eq!(req.get_memory().as_deref(), Some("1024"));
    assert_eq!(req.get_network_mode(), &Some(sdk::NetworkMode::Bridge));
    assert_eq!(req.get_pid_mode(), &Some(sdk::PidMode::Task));
    assert_eq!(req.get_enable_fault_injection(), &Some(true));
    assert_eq!(req.get_container_definitions(), &td.container_definitions);
    assert_eq!(req.get_volumes(), &td.volumes);
    assert_eq!(req.get_runtime_platform(), &td.runtime_platform);
    assert_eq!(req.get_ephemeral_storage(), &td.ephemeral_storage);
    let tags = req.get_tags().as_ref().unwrap();
    assert_eq!(tags[0].key(), Some("team"));
    assert_eq!(tags[0].value(), Some("platform"));
    // No input field, however deeply nested, is left unset: the model
    // covers all of RegisterTaskDefinition.
    let unset = unset_in(req.as_input());
    assert!(unset.is_empty(), "unset in request: {unset:#?}");

    // The check itself sees nested gaps.
    let json = ALL_FIELDS.replacen("\"swappiness\": 10", "\"swappiness\": null", 1);
    let req = register_request(&client(), &parse_task_definition(&json).unwrap()).unwrap();
    assert_eq!(unset_in(req.as_input()), ["swappiness: None,"]);
}

/// The fields an SDK value (a request's input, say) leaves unset, however
/// deeply nested: the `name: None,` lines of its pretty `Debug`.
pub(crate) fn unset_in(value: &impl std::fmt::Debug) -> Vec<String> {
    format!("{value:#?}")
        .lines()
        .filter(|l| l.ends_with(": None,"))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn register_request_for_the_rails_app() {
    let spec = parse_task_definition(RAILS).unwrap();
    let req = register_request(&client(), &spec).unwrap();
    assert_eq!(req.get_family().as_deref(), Some("shop-web"));
    assert_eq!(req.get_cpu().as_deref(), Some("1 vCPU"));
    assert_eq!(req.get_memory().as_deref(), Some("2048"));
    assert_eq!(
        req.get_requires_compatibilities(),
        &Some(vec![sdk::Compatibility::Fargate])
    );
    let containers = req.get_container_definitions().as_ref().unwrap();
    let web = &containers[0];
    assert_eq!(web.name(), Some("web"));
    assert_eq!(web.cpu(), 768);
    assert_eq!(
        web.secrets()[0].value_from(),
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/database-url-AbCdEf"
    );
    let logs = web.log_configuration().unwrap();
    assert_eq!(logs.log_driver(), &sdk::LogDriver::Awslogs);
    assert_eq!(logs.options().unwrap()["awslogs-group"], "/ecs/shop-web");
    assert_eq!(web.ulimits()[0].name(), &sdk::UlimitName::Nofile);
    assert_eq!(
        web.depends_on()[0].condition(),
        &sdk::ContainerCondition::Success
    );
    assert_eq!(
        web.linux_parameters().unwrap().init_process_enabled(),
        Some(true)
    );
    let efs = req.get_volumes().as_ref().unwrap()[0]
        .efs_volume_configuration()
        .unwrap();
    assert_eq!(
        efs.transit_encryption(),
        Some(&sdk::EfsTransitEncryption::Enabled)
    );
    assert_eq!(req.get_tags().as_ref().unwrap().len(), 2);
}

#[test]
fn describe_defaults_read_back_as_absent() {
    // ECS reports an unset container cpu as 0.
    let c = sdk::ContainerDefinition::builder().name("x").build();
    assert_eq!(c.cpu, 0);
    assert_eq!(container_from_sdk(&c).cpu, None);
    let td = sdk::TaskDefinition::builder().revision(3).build();
    assert_eq!(from_sdk(&td), TaskDefinitionSpec::default());
}

#[test]
fn unknown_enum_strings_pass_through() {
    let spec =
        parse_task_definition(r#"{"networkMode": "future-mode", "pidMode": "host"}"#).unwrap();
    let td = to_sdk(&spec).unwrap();
    assert_eq!(td.network_mode.as_ref().unwrap().as_str(), "future-mode");
    assert_eq!(td.pid_mode, Some(sdk::PidMode::Host));
    assert_eq!(from_sdk(&td), spec);
}

#[test]
fn missing_required_fields_are_named_by_path() {
    let spec = TaskDefinitionSpec {
        container_definitions: Some(vec![
            ContainerDefinition::default(),
            ContainerDefinition {
                secrets: Some(vec![Secret {
                    name: Some("DATABASE_URL".into()),
                    value_from: None,
                }]),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let err = register_request(&client(), &spec).unwrap_err();
    assert_eq!(
        err.to_string(),
        "containerDefinitions[1].secrets[0].valueFrom is required"
    );
    assert_eq!(err.path(), "containerDefinitions[1].secrets[0].valueFrom");

    let cases = [
        (
            RAILS.replacen("\"fileSystemId\": \"fs-0123456789abcdef0\",", "", 1),
            "volumes[0].efsVolumeConfiguration.fileSystemId is required",
        ),
        (
            RAILS.replacen("\"logDriver\": \"awslogs\",", "", 1),
            "containerDefinitions[0].logConfiguration.logDriver is required",
        ),
        (
            RAILS.replacen("\"softLimit\": 65536, ", "", 1),
            "containerDefinitions[0].ulimits[0].softLimit is required",
        ),
        (
            RAILS.replacen("{ \"sizeInGiB\": 30 }", "{}", 1),
            "ephemeralStorage.sizeInGiB is required",
        ),
        (
            ALL_FIELDS.replacen(
                "{ \"nvidiaMps\": { \"memory\": 2048, \"maxComputePercent\": 50 } }",
                "{}",
                1,
            ),
            "containerDefinitions[0].resourceRequirements[0].sharingStrategy.nvidiaMps is required",
        ),
        (
            ALL_FIELDS.replacen("\"domain\": \"corp.example.com\"", "\"domain\": null", 1),
            "volumes[0].fsxWindowsFileServerVolumeConfiguration.authorizationConfig.domain is required",
        ),
    ];
    for (json, expected) in cases {
        let spec = parse_task_definition(&json).unwrap();
        let err = to_sdk(&spec).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn component_conversions_report_relative_paths() {
    let v = Volume {
        name: Some("x".into()),
        efs_volume_configuration: Some(Default::default()),
        ..Default::default()
    };
    assert_eq!(
        volume_to_sdk(&v).unwrap_err().path(),
        "efsVolumeConfiguration.fileSystemId"
    );
    let tag = Tag {
        key: Some("k".into()),
        value: Some("v".into()),
    };
    assert_eq!(tag_from_sdk(&tag_to_sdk(&tag)), tag);
}
