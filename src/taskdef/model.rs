//! The task definition as the config repo writes it: the JSON that
//! `aws ecs register-task-definition --cli-input-json` takes (camelCase keys).
//!
//! [`parse_task_definition`] reads such a file strictly: every unknown key is an
//! error naming its JSON path, line and column. The read-only fields of
//! `aws ecs describe-task-definition --query taskDefinition` output
//! (`taskDefinitionArn`, `revision`, `status`, ...) are accepted and discarded,
//! so a described task definition can be pasted into the repo as is.
//!
//! This module is only the data shape. It does not validate values (enum
//! strings, CPU/memory combinations, references between containers and
//! volumes); ECS does that on registration. The mapping to the AWS SDK types
//! lives in `ecs::taskdef`.

mod container;
mod volume;

pub use container::*;
pub use volume::*;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A whole task definition: the `RegisterTaskDefinition` input, plus the
/// read-only fields of `DescribeTaskDefinition` output, which are accepted on
/// input, always `None` after deserialization and never serialized.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskDefinitionSpec {
    /// Family name; registering adds a revision to it.
    pub family: Option<String>,
    /// IAM role the application assumes.
    pub task_role_arn: Option<String>,
    /// IAM role ECS uses to pull images, read secrets and ship logs.
    pub execution_role_arn: Option<String>,
    /// `awsvpc`, `bridge`, `host` or `none`.
    pub network_mode: Option<String>,
    /// The containers of the task.
    #[serde(deserialize_with = "objects")]
    pub container_definitions: Option<Vec<ContainerDefinition>>,
    /// Volumes the containers can mount.
    #[serde(deserialize_with = "objects")]
    pub volumes: Option<Vec<Volume>>,
    /// Placement constraints (EC2 only).
    #[serde(deserialize_with = "objects")]
    pub placement_constraints: Option<Vec<TaskDefinitionPlacementConstraint>>,
    /// Launch types the task definition is validated against (`FARGATE`, `EC2`, ...).
    pub requires_compatibilities: Option<Vec<String>>,
    /// Task CPU, e.g. `"256"` or `"1 vCPU"`; a JSON integer is accepted too.
    #[serde(deserialize_with = "string_or_integer")]
    #[schemars(schema_with = "string_or_integer_schema")]
    pub cpu: Option<String>,
    /// Task memory, e.g. `"2048"` or `"2 GB"`; a JSON integer is accepted too.
    #[serde(deserialize_with = "string_or_integer")]
    #[schemars(schema_with = "string_or_integer_schema")]
    pub memory: Option<String>,
    /// Tags put on the task definition revision when it is registered.
    #[serde(deserialize_with = "objects")]
    pub tags: Option<Vec<Tag>>,
    /// `host` or `task`.
    pub pid_mode: Option<String>,
    /// `host`, `task` or `none`.
    pub ipc_mode: Option<String>,
    /// App Mesh proxy settings.
    #[serde(deserialize_with = "object")]
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Elastic Inference accelerators (retired by AWS, kept for completeness).
    #[serde(deserialize_with = "objects")]
    pub inference_accelerators: Option<Vec<InferenceAccelerator>>,
    /// Fargate ephemeral storage size.
    #[serde(deserialize_with = "object")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// CPU architecture and OS family.
    #[serde(deserialize_with = "object")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Allows fault injection requests from the task.
    pub enable_fault_injection: Option<bool>,

    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub task_definition_arn: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub revision: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub status: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub registered_at: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub registered_by: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub requires_attributes: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub compatibilities: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub deregistered_at: Option<serde_json::Value>,
    /// Read-only (describe output): accepted and discarded.
    #[serde(skip_serializing, deserialize_with = "discard")]
    pub delete_requested_at: Option<serde_json::Value>,
}

/// One entry of `placementConstraints`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskDefinitionPlacementConstraint {
    /// Only `memberOf` exists.
    pub r#type: Option<String>,
    /// Cluster query language expression.
    pub expression: Option<String>,
}

/// One entry of `tags`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    /// Tag key.
    pub key: Option<String>,
    /// Tag value.
    pub value: Option<String>,
}

/// `proxyConfiguration` (App Mesh).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ProxyConfiguration {
    /// Only `APPMESH` exists.
    pub r#type: Option<String>,
    /// The proxy container (required by ECS).
    pub container_name: Option<String>,
    /// Proxy properties (`IgnoredUID`, `ProxyIngressPort`, ...).
    #[serde(deserialize_with = "objects")]
    pub properties: Option<Vec<KeyValuePair>>,
}

/// One entry of `inferenceAccelerators`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct InferenceAccelerator {
    /// Name referenced by `resourceRequirements` (required by ECS).
    pub device_name: Option<String>,
    /// Accelerator type (required by ECS).
    pub device_type: Option<String>,
}

/// `ephemeralStorage`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EphemeralStorage {
    /// Size in GiB, 21 to 200 (required by ECS).
    #[serde(rename = "sizeInGiB", default, skip_serializing_if = "Option::is_none")]
    pub size_in_gib: Option<i32>,
}

/// `runtimePlatform`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimePlatform {
    /// `X86_64` or `ARM64`.
    pub cpu_architecture: Option<String>,
    /// `LINUX`, `WINDOWS_SERVER_2022_CORE`, ...
    pub operating_system_family: Option<String>,
}

/// Why a task definition file could not be read. Line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskDefinitionError {
    /// The text is not well-formed JSON.
    #[error("{message} at line {line} column {column}")]
    Syntax {
        /// What is wrong, without the position.
        message: String,
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
    },
    /// Well-formed JSON that is not a task definition (unknown key, wrong type, ...).
    #[error("{}{message} at line {line} column {column}", path_prefix(.path))]
    Invalid {
        /// JSON path of the offending value, e.g. `containerDefinitions[0].portMapings`;
        /// empty for the document itself.
        path: String,
        /// What is wrong, without the position.
        message: String,
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
    },
}

impl TaskDefinitionError {
    /// JSON path of the problem (empty for syntax errors and the document root).
    pub fn path(&self) -> &str {
        match self {
            Self::Syntax { .. } => "",
            Self::Invalid { path, .. } => path,
        }
    }

    /// The problem without path or position.
    pub fn message(&self) -> &str {
        match self {
            Self::Syntax { message, .. } | Self::Invalid { message, .. } => message,
        }
    }

    /// 1-based line of the problem.
    pub fn line(&self) -> usize {
        match self {
            Self::Syntax { line, .. } | Self::Invalid { line, .. } => *line,
        }
    }

    /// 1-based column of the problem.
    pub fn column(&self) -> usize {
        match self {
            Self::Syntax { column, .. } | Self::Invalid { column, .. } => *column,
        }
    }
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// Parses a task definition file (register input or describe output) strictly.
pub fn parse_task_definition(json: &str) -> Result<TaskDefinitionSpec, TaskDefinitionError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let spec: TaskDefinitionSpec = deserialize_located(ObjectsOnly(&mut de))?;
    // Reject trailing content after the object, as serde_json::from_str does.
    de.end().map_err(|e| to_error(e, String::new()))?;
    Ok(spec)
}

/// Reads a `T` from `de` (a JSON deserializer, possibly wrapped), an error
/// naming the JSON path, line and column of the problem.
pub(crate) fn deserialize_located<'de, T: Deserialize<'de>>(
    de: impl Deserializer<'de, Error = serde_json::Error>,
) -> Result<T, TaskDefinitionError> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        to_error(e.into_inner(), path)
    })
}

/// A serde_json error as a [`TaskDefinitionError`] at `path`.
pub(crate) fn to_error(err: serde_json::Error, path: String) -> TaskDefinitionError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    if err.is_data() {
        TaskDefinitionError::Invalid {
            path,
            message,
            line,
            column,
        }
    } else {
        TaskDefinitionError::Syntax {
            message,
            line,
            column,
        }
    }
}

/// Task-level `cpu`/`memory`: ECS types them as strings, people write numbers.
fn string_or_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct StringOrInteger;

    impl de::Visitor<'_> for StringOrInteger {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string such as \"1 vCPU\" or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    d.deserialize_any(StringOrInteger)
}

fn string_or_integer_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["string", "integer", "null"] })
}

/// Passes a deserializer through, except that a struct may only be read from
/// a JSON object: serde's derived structs also accept a positional array
/// (`"ephemeralStorage": [30]`), which is no task definition syntax.
struct ObjectsOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// A struct that deserializes only from a JSON object (see [`ObjectsOnly`]).
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(ObjectsOnly(d)).map(Obj)
    }
}

/// `deserialize_with` for an optional struct field.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Obj<T>>::deserialize(d)?.map(|Obj(t)| t))
}

/// `deserialize_with` for an optional list-of-structs field.
pub(crate) fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<Vec<Obj<T>>>::deserialize(d)?.map(|v| v.into_iter().map(|Obj(t)| t).collect()))
}

/// Read-only describe fields: consume whatever is there, keep nothing.
fn discard<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    IgnoredAny::deserialize(d)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAILS: &str = include_str!("testdata/rails.json");

    #[test]
    fn parses_a_rails_task_definition() {
        let spec = parse_task_definition(RAILS).unwrap();
        assert_eq!(spec.family.as_deref(), Some("shop-web"));
        assert_eq!(spec.cpu.as_deref(), Some("1 vCPU"));
        assert_eq!(spec.memory.as_deref(), Some("2048"));
        assert_eq!(spec.network_mode.as_deref(), Some("awsvpc"));
        assert_eq!(
            spec.requires_compatibilities,
            Some(vec!["FARGATE".to_owned()])
        );
        assert_eq!(
            spec.runtime_platform,
            Some(RuntimePlatform {
                cpu_architecture: Some("ARM64".into()),
                operating_system_family: Some("LINUX".into()),
            })
        );
        assert_eq!(spec.ephemeral_storage.unwrap().size_in_gib, Some(30));

        let containers = spec.container_definitions.as_ref().unwrap();
        assert_eq!(containers.len(), 2);
        let web = &containers[0];
        assert_eq!(web.name.as_deref(), Some("web"));
        assert_eq!(web.cpu, Some(768));
        assert_eq!(web.essential, Some(true));
        let env = web.environment.as_ref().unwrap();
        assert_eq!(env[0].name.as_deref(), Some("RAILS_ENV"));
        assert_eq!(env[0].value.as_deref(), Some("production"));
        let secrets = web.secrets.as_ref().unwrap();
        assert_eq!(secrets[1].name.as_deref(), Some("SECRET_KEY_BASE"));
        assert!(
            secrets[1]
                .value_from
                .as_deref()
                .unwrap()
                .starts_with("arn:aws:ssm:")
        );
        let port = &web.port_mappings.as_ref().unwrap()[0];
        assert_eq!(port.container_port, Some(3000));
        assert_eq!(port.protocol.as_deref(), Some("tcp"));
        let logs = web.log_configuration.as_ref().unwrap();
        assert_eq!(logs.log_driver.as_deref(), Some("awslogs"));
        let options = logs.options.as_ref().unwrap();
        assert_eq!(options["awslogs-stream-prefix"], "web");
        // File order is kept.
        assert_eq!(
            options.keys().next().map(String::as_str),
            Some("awslogs-group")
        );
        let health = web.health_check.as_ref().unwrap();
        assert_eq!(health.command.as_ref().unwrap()[0], "CMD-SHELL");
        assert_eq!(health.start_period, Some(60));
        assert_eq!(
            web.mount_points.as_ref().unwrap()[0]
                .source_volume
                .as_deref(),
            Some("uploads")
        );
        let dep = &web.depends_on.as_ref().unwrap()[0];
        assert_eq!(dep.container_name.as_deref(), Some("migrate"));
        assert_eq!(dep.condition.as_deref(), Some("SUCCESS"));
        let ulimit = &web.ulimits.as_ref().unwrap()[0];
        assert_eq!(
            (ulimit.name.as_deref(), ulimit.soft_limit, ulimit.hard_limit),
            (Some("nofile"), Some(65536), Some(65536))
        );
        assert_eq!(
            web.linux_parameters.as_ref().unwrap().init_process_enabled,
            Some(true)
        );
        let migrate = &containers[1];
        assert_eq!(migrate.essential, Some(false));
        assert_eq!(
            migrate
                .log_configuration
                .as_ref()
                .unwrap()
                .secret_options
                .as_ref()
                .unwrap()[0]
                .name
                .as_deref(),
            Some("apikey")
        );

        let efs = spec.volumes.as_ref().unwrap()[0]
            .efs_volume_configuration
            .as_ref()
            .unwrap();
        assert_eq!(efs.file_system_id.as_deref(), Some("fs-0123456789abcdef0"));
        assert_eq!(efs.transit_encryption_port, Some(2049));
        assert_eq!(
            efs.authorization_config.as_ref().unwrap().iam.as_deref(),
            Some("ENABLED")
        );
        assert_eq!(spec.tags.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn serializes_back_to_register_input_json() {
        let spec = parse_task_definition(RAILS).unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        // Task memory written as a number comes back as the string ECS uses.
        assert_eq!(json["memory"], "2048");
        assert_eq!(json["ephemeralStorage"]["sizeInGiB"], 30);
        assert_eq!(
            json["containerDefinitions"][0]["portMappings"][0]["containerPort"],
            3000
        );
        // Absent fields stay absent.
        assert!(json.get("pidMode").is_none());
        assert!(
            json["containerDefinitions"][1]
                .get("portMappings")
                .is_none()
        );
        let again = parse_task_definition(&json.to_string()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn unknown_field_names_its_path_line_and_column() {
        let json = RAILS.replacen("\"portMappings\"", "\"portMapings\"", 1);
        let err = parse_task_definition(&json).unwrap_err();
        assert_eq!(err.path(), "containerDefinitions[0].portMapings");
        assert!(
            err.message()
                .starts_with("unknown field `portMapings`, expected one of"),
            "{err}"
        );
        let line = RAILS
            .lines()
            .position(|l| l.contains("\"portMappings\""))
            .unwrap()
            + 1;
        assert_eq!(err.line(), line);
        assert!(err.column() > 0);
        let shown = err.to_string();
        assert!(
            shown.starts_with("containerDefinitions[0].portMapings: unknown field `portMapings`"),
            "{shown}"
        );
        assert!(shown.ends_with(&format!("at line {line} column {}", err.column())));
    }

    #[test]
    fn unknown_field_deep_in_a_volume() {
        let json = RAILS.replacen("\"iam\"", "\"iamRole\"", 1);
        let err = parse_task_definition(&json).unwrap_err();
        assert_eq!(
            err.path(),
            "volumes[0].efsVolumeConfiguration.authorizationConfig.iamRole"
        );
    }

    #[test]
    fn wrong_type_names_its_path() {
        let json = RAILS.replacen("\"cpu\": 768", "\"cpu\": \"768\"", 1);
        let err = parse_task_definition(&json).unwrap_err();
        assert_eq!(err.path(), "containerDefinitions[0].cpu");
        assert!(err.message().starts_with("invalid type: string"), "{err}");
    }

    #[test]
    fn task_cpu_and_memory_accept_strings_and_integers_only() {
        let spec = parse_task_definition(r#"{"cpu": 512, "memory": "2 GB"}"#).unwrap();
        assert_eq!(spec.cpu.as_deref(), Some("512"));
        assert_eq!(spec.memory.as_deref(), Some("2 GB"));
        let spec = parse_task_definition(r#"{"cpu": null}"#).unwrap();
        assert_eq!(spec.cpu, None);
        let err = parse_task_definition("{\n  \"memory\": 0.5\n}").unwrap_err();
        assert_eq!(err.path(), "memory");
        assert_eq!(err.line(), 2);
        assert!(err.message().contains("a string such as"), "{err}");
    }

    #[test]
    fn describe_output_read_only_fields_are_accepted_and_dropped() {
        let mut describe: serde_json::Value = serde_json::from_str(RAILS).unwrap();
        let extra = serde_json::json!({
            "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:42",
            "revision": 42,
            "status": "ACTIVE",
            "registeredAt": "2024-06-01T12:00:00.000000+02:00",
            "registeredBy": "arn:aws:sts::123456789012:assumed-role/deploy/ci",
            "requiresAttributes": [{ "name": "com.amazonaws.ecs.capability.task-iam-role" }],
            "compatibilities": ["EC2", "FARGATE"],
            "deregisteredAt": "2024-06-02T12:00:00.000000+02:00",
            "deleteRequestedAt": "2024-06-03T12:00:00.000000+02:00"
        });
        for (k, v) in extra.as_object().unwrap() {
            describe[k] = v.clone();
        }
        let spec = parse_task_definition(&describe.to_string()).unwrap();
        assert_eq!(spec, parse_task_definition(RAILS).unwrap());
        assert_eq!(spec.revision, None);
        let out = serde_json::to_value(&spec).unwrap();
        for k in extra.as_object().unwrap().keys() {
            assert!(out.get(k).is_none(), "{k} was serialized");
        }
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse_task_definition("{\n  \"family\": \"x\",\n}").unwrap_err();
        assert!(matches!(err, TaskDefinitionError::Syntax { .. }), "{err:?}");
        assert_eq!(err.line(), 3);
        assert!(err.to_string().ends_with("at line 3 column 1"), "{err}");
        let err = parse_task_definition(r#"{"family": "x"} {"#).unwrap_err();
        assert!(err.message().contains("trailing characters"), "{err}");
    }

    #[test]
    fn structs_must_be_objects() {
        let err = parse_task_definition("[]").unwrap_err();
        assert_eq!(err.path(), "");
        assert!(
            err.to_string().starts_with("invalid type: sequence"),
            "{err}"
        );
        let err = parse_task_definition(r#"{"ephemeralStorage": [30]}"#).unwrap_err();
        assert_eq!(err.path(), "ephemeralStorage");
        let err = parse_task_definition(r#"{"containerDefinitions": [["web"]]}"#).unwrap_err();
        assert_eq!(err.path(), "containerDefinitions[0]");
        let json = RAILS.replacen(
            "\"initProcessEnabled\": true,",
            "\"devices\": [[\"/dev/fuse\"]],",
            1,
        );
        let err = parse_task_definition(&json).unwrap_err();
        assert_eq!(
            err.path(),
            "containerDefinitions[0].linuxParameters.devices[0]"
        );
        assert!(
            err.message()
                .starts_with("invalid type: sequence, expected struct Device"),
            "{err}"
        );
    }
}
