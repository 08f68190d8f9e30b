//! Mapping between [`TaskDefinitionSpec`] and the `aws_sdk_ecs` types, both ways.
//!
//! [`register_request`] turns a spec into a ready-to-send `RegisterTaskDefinition`
//! call, [`from_sdk`] turns what `DescribeTaskDefinition` returned back into a
//! spec so the two can be compared. Every field is carried; [`to_sdk`] followed
//! by [`from_sdk`] gives back the spec (minus `tags`, which a `TaskDefinition`
//! does not hold). The one normalization: the SDK types container `cpu` as a
//! plain integer defaulting to 0, so a container `cpu` of 0 reads back as absent.
//!
//! Fields the SDK builders (and ECS) require are checked here and reported with
//! their JSON path, e.g. `containerDefinitions[1].secrets[0].valueFrom is required`.
//! Enum strings are passed through unchecked (unknown values become the SDK's
//! `Unknown` variant); ECS validates them. This module makes no API calls.

mod container;
mod volume;

pub use container::{container_from_sdk, container_to_sdk};
pub use volume::{volume_from_sdk, volume_to_sdk};

use crate::taskdef::model::{
    EphemeralStorage, InferenceAccelerator, KeyValuePair, ProxyConfiguration, RuntimePlatform, Tag,
    TaskDefinitionPlacementConstraint, TaskDefinitionSpec,
};
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;
use indexmap::IndexMap;
use std::collections::HashMap;

/// A spec that cannot be expressed as SDK input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// A field ECS requires is absent; `path` is its JSON path.
    #[error("{path} is required")]
    MissingField {
        /// JSON path, e.g. `containerDefinitions[1].environmentFiles[0].type`.
        path: String,
    },
    /// An SDK builder refused the value at `path` for another reason.
    #[error("{path}: {message}")]
    Build {
        /// JSON path of the value.
        path: String,
        /// The SDK's explanation.
        message: String,
    },
}

impl MappingError {
    /// JSON path of the offending field.
    pub fn path(&self) -> &str {
        match self {
            Self::MissingField { path } | Self::Build { path, .. } => path,
        }
    }

    /// The same error, seen from one level up: `prefix` is put in front of the path.
    fn at(self, prefix: &str) -> Self {
        let join = |path: String| match path.as_str() {
            "" => prefix.to_owned(),
            p if p.starts_with('[') => format!("{prefix}{p}"),
            p => format!("{prefix}.{p}"),
        };
        match self {
            Self::MissingField { path } => Self::MissingField { path: join(path) },
            Self::Build { path, message } => Self::Build {
                path: join(path),
                message,
            },
        }
    }
}

/// A model type with an SDK counterpart.
pub(crate) trait Mapping: Sized {
    /// The `aws_sdk_ecs::types` counterpart.
    type Sdk;
    /// Model to SDK; errors carry paths relative to `self`.
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError>;
    /// SDK to model.
    fn from_sdk(sdk: &Self::Sdk) -> Self;
}

/// The value of a field ECS requires, or a `MissingField` error naming it.
pub(crate) fn required<'a, T>(value: &'a Option<T>, field: &str) -> Result<&'a T, MappingError> {
    value.as_ref().ok_or_else(|| MappingError::MissingField {
        path: field.to_owned(),
    })
}

/// Turns an SDK `BuildError` (normally prevented by [`required`]) into a `MappingError`.
pub(crate) fn built<T>(result: Result<T, BuildError>) -> Result<T, MappingError> {
    result.map_err(|e| MappingError::Build {
        path: String::new(),
        message: e.to_string(),
    })
}

pub(crate) fn nested<T: Mapping>(
    value: &Option<T>,
    field: &str,
) -> Result<Option<T::Sdk>, MappingError> {
    value
        .as_ref()
        .map(|v| v.to_sdk().map_err(|e| e.at(field)))
        .transpose()
}

pub(crate) fn nested_list<T: Mapping>(
    values: &Option<Vec<T>>,
    field: &str,
) -> Result<Option<Vec<T::Sdk>>, MappingError> {
    values
        .as_ref()
        .map(|vs| {
            vs.iter()
                .enumerate()
                .map(|(i, v)| v.to_sdk().map_err(|e| e.at(&format!("{field}[{i}]"))))
                .collect()
        })
        .transpose()
}

pub(crate) fn nested_from<T: Mapping>(value: &Option<T::Sdk>) -> Option<T> {
    value.as_ref().map(T::from_sdk)
}

pub(crate) fn nested_list_from<T: Mapping>(values: &Option<Vec<T::Sdk>>) -> Option<Vec<T>> {
    values
        .as_ref()
        .map(|vs| vs.iter().map(T::from_sdk).collect())
}

pub(crate) fn enum_to<E: for<'a> From<&'a str>>(value: &Option<String>) -> Option<E> {
    value.as_deref().map(E::from)
}

pub(crate) fn enum_from<E: AsRef<str>>(value: &Option<E>) -> Option<String> {
    value.as_ref().map(|e| e.as_ref().to_owned())
}

pub(crate) fn enums_to<E: for<'a> From<&'a str>>(values: &Option<Vec<String>>) -> Option<Vec<E>> {
    values
        .as_ref()
        .map(|vs| vs.iter().map(|v| E::from(v.as_str())).collect())
}

pub(crate) fn enums_from<E: AsRef<str>>(values: &Option<Vec<E>>) -> Option<Vec<String>> {
    values
        .as_ref()
        .map(|vs| vs.iter().map(|e| e.as_ref().to_owned()).collect())
}

/// `impl Mapping` for a model type whose fields map one to one onto the
/// setters of its SDK type's builder, each field saying how:
///
/// ```text
/// mapping!(Model => sdk::Type, ok {           // `built` when build() can fail
///     field: clone(set_field),                 // Option<T> both ways
///     count: copy(set_count),                  // Option<Copy>
///     weight: filled(set_weight),              // Option<Copy> ↔ a value the SDK always has
///     kind: enumerated(set_kind),              // Option<String> ↔ SDK enum
///     kinds: enumerated_list(set_kinds),       // Option<Vec<String>> ↔ Vec<enum>
///     labels: map(set_labels),                 // IndexMap ↔ HashMap (keys sorted back)
///     inner: nested(set_inner, "inner"),       // another Mapping
///     items: nested_list(set_items, "items"),  // a list of them
///     name: required(name, "name"),            // required by ECS: a MissingField error
///     port: required_copy(port, "port"),       //   … a Copy value
///     subnets: required_some(set_subnets, "subnets"), // … through an Option setter
///     mode: required_enum(mode, "mode"),       //   … an enum
/// });
/// ```
macro_rules! mapping {
    ($model:ty => $sdk:ty, $build:ident { $($field:ident: $kind:ident($setter:ident $(, $json:literal)?)),+ $(,)? }) => {
        impl $crate::ecs::taskdef::Mapping for $model {
            type Sdk = $sdk;
            fn to_sdk(&self) -> Result<Self::Sdk, $crate::ecs::taskdef::MappingError> {
                let builder = <$sdk>::builder();
                $( let builder = $crate::ecs::taskdef::mapping!(@to $kind builder, self.$field, $setter $(, $json)?); )+
                $crate::ecs::taskdef::mapping!(@build $build builder)
            }
            fn from_sdk(s: &Self::Sdk) -> Self {
                Self { $( $field: $crate::ecs::taskdef::mapping!(@from $kind s.$field) ),+ }
            }
        }
    };
    (@build ok $b:ident) => { Ok($b.build()) };
    (@build built $b:ident) => { $crate::ecs::taskdef::built($b.build()) };
    (@to clone $b:ident, $v:expr, $set:ident) => { $b.$set($v.clone()) };
    (@to copy $b:ident, $v:expr, $set:ident) => { $b.$set($v) };
    (@to filled $b:ident, $v:expr, $set:ident) => { $b.$set($v) };
    (@to enumerated $b:ident, $v:expr, $set:ident) => { $b.$set($crate::ecs::taskdef::enum_to(&$v)) };
    (@to enumerated_list $b:ident, $v:expr, $set:ident) => { $b.$set($crate::ecs::taskdef::enums_to(&$v)) };
    (@to map $b:ident, $v:expr, $set:ident) => { $b.$set($crate::ecs::taskdef::map_to(&$v)) };
    (@to nested $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set($crate::ecs::taskdef::nested(&$v, $json)?) };
    (@to nested_list $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set($crate::ecs::taskdef::nested_list(&$v, $json)?) };
    (@to required $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set($crate::ecs::taskdef::required(&$v, $json)?) };
    (@to required_copy $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set(*$crate::ecs::taskdef::required(&$v, $json)?) };
    (@to required_some $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set(Some($crate::ecs::taskdef::required(&$v, $json)?.clone())) };
    (@to required_enum $b:ident, $v:expr, $set:ident, $json:literal) => { $b.$set($crate::ecs::taskdef::required(&$v, $json)?.as_str().into()) };
    (@from clone $v:expr) => { $v.clone() };
    (@from copy $v:expr) => { $v };
    (@from filled $v:expr) => { Some($v) };
    (@from enumerated $v:expr) => { $crate::ecs::taskdef::enum_from(&$v) };
    (@from enumerated_list $v:expr) => { $crate::ecs::taskdef::enums_from(&$v) };
    (@from map $v:expr) => { $crate::ecs::taskdef::map_from(&$v) };
    (@from nested $v:expr) => { $crate::ecs::taskdef::nested_from(&$v) };
    (@from nested_list $v:expr) => { $crate::ecs::taskdef::nested_list_from(&$v) };
    (@from required $v:expr) => { Some($v.clone()) };
    (@from required_copy $v:expr) => { Some($v) };
    (@from required_some $v:expr) => { Some($v.clone()) };
    (@from required_enum $v:expr) => { Some($v.as_str().to_owned()) };
}
pub(crate) use mapping;

pub(crate) fn map_to(map: &Option<IndexMap<String, String>>) -> Option<HashMap<String, String>> {
    map.as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// SDK maps are unordered; keys come back sorted so output is stable.
pub(crate) fn map_from(map: &Option<HashMap<String, String>>) -> Option<IndexMap<String, String>> {
    map.as_ref().map(|m| {
        let mut out: IndexMap<String, String> =
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        out.sort_keys();
        out
    })
}

/// The spec as an SDK `TaskDefinition`, shaped like `DescribeTaskDefinition`
/// output without the read-only fields. `tags` are not part of it.
pub fn to_sdk(spec: &TaskDefinitionSpec) -> Result<sdk::TaskDefinition, MappingError> {
    let containers = spec
        .container_definitions
        .as_ref()
        .map(|cs| {
            cs.iter()
                .enumerate()
                .map(|(i, c)| {
                    container_to_sdk(c).map_err(|e| e.at(&format!("containerDefinitions[{i}]")))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let volumes = spec
        .volumes
        .as_ref()
        .map(|vs| {
            vs.iter()
                .enumerate()
                .map(|(i, v)| volume_to_sdk(v).map_err(|e| e.at(&format!("volumes[{i}]"))))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(sdk::TaskDefinition::builder()
        .set_family(spec.family.clone())
        .set_task_role_arn(spec.task_role_arn.clone())
        .set_execution_role_arn(spec.execution_role_arn.clone())
        .set_network_mode(enum_to(&spec.network_mode))
        .set_container_definitions(containers)
        .set_volumes(volumes)
        .set_placement_constraints(nested_list(
            &spec.placement_constraints,
            "placementConstraints",
        )?)
        .set_requires_compatibilities(enums_to(&spec.requires_compatibilities))
        .set_cpu(spec.cpu.clone())
        .set_memory(spec.memory.clone())
        .set_pid_mode(enum_to(&spec.pid_mode))
        .set_ipc_mode(enum_to(&spec.ipc_mode))
        .set_proxy_configuration(nested(&spec.proxy_configuration, "proxyConfiguration")?)
        .set_inference_accelerators(nested_list(
            &spec.inference_accelerators,
            "inferenceAccelerators",
        )?)
        .set_ephemeral_storage(nested(&spec.ephemeral_storage, "ephemeralStorage")?)
        .set_runtime_platform(nested(&spec.runtime_platform, "runtimePlatform")?)
        .set_enable_fault_injection(spec.enable_fault_injection)
        .build())
}

/// What `DescribeTaskDefinition` returned, as a spec. Read-only fields
/// (ARN, revision, status, ...) are dropped; `tags` are left `None` because a
/// `TaskDefinition` does not carry them (see [`tag_from_sdk`]).
pub fn from_sdk(td: &sdk::TaskDefinition) -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        family: td.family.clone(),
        task_role_arn: td.task_role_arn.clone(),
        execution_role_arn: td.execution_role_arn.clone(),
        network_mode: enum_from(&td.network_mode),
        container_definitions: td
            .container_definitions
            .as_ref()
            .map(|cs| cs.iter().map(container_from_sdk).collect()),
        volumes: td
            .volumes
            .as_ref()
            .map(|vs| vs.iter().map(volume_from_sdk).collect()),
        placement_constraints: nested_list_from(&td.placement_constraints),
        requires_compatibilities: enums_from(&td.requires_compatibilities),
        cpu: td.cpu.clone(),
        memory: td.memory.clone(),
        tags: None,
        pid_mode: enum_from(&td.pid_mode),
        ipc_mode: enum_from(&td.ipc_mode),
        proxy_configuration: nested_from(&td.proxy_configuration),
        inference_accelerators: nested_list_from(&td.inference_accelerators),
        ephemeral_storage: nested_from(&td.ephemeral_storage),
        runtime_platform: nested_from(&td.runtime_platform),
        enable_fault_injection: td.enable_fault_injection,
        task_definition_arn: None,
        revision: None,
        status: None,
        registered_at: None,
        registered_by: None,
        requires_attributes: None,
        compatibilities: None,
        deregistered_at: None,
        delete_requested_at: None,
    }
}

/// A ready-to-send `RegisterTaskDefinition` call carrying every field of the
/// spec, tags included. Call `.send().await` on it.
#[allow(deprecated)] // set_inference_accelerators: see `impl Mapping for InferenceAccelerator`
pub fn register_request(
    client: &aws_sdk_ecs::Client,
    spec: &TaskDefinitionSpec,
) -> Result<RegisterTaskDefinitionFluentBuilder, MappingError> {
    let td = to_sdk(spec)?;
    let tags = nested_list(&spec.tags, "tags")?;
    Ok(client
        .register_task_definition()
        .set_family(td.family)
        .set_task_role_arn(td.task_role_arn)
        .set_execution_role_arn(td.execution_role_arn)
        .set_network_mode(td.network_mode)
        .set_container_definitions(td.container_definitions)
        .set_volumes(td.volumes)
        .set_placement_constraints(td.placement_constraints)
        .set_requires_compatibilities(td.requires_compatibilities)
        .set_cpu(td.cpu)
        .set_memory(td.memory)
        .set_tags(tags)
        .set_pid_mode(td.pid_mode)
        .set_ipc_mode(td.ipc_mode)
        .set_proxy_configuration(td.proxy_configuration)
        .set_inference_accelerators(td.inference_accelerators)
        .set_ephemeral_storage(td.ephemeral_storage)
        .set_runtime_platform(td.runtime_platform)
        .set_enable_fault_injection(td.enable_fault_injection))
}

/// One spec tag as an SDK tag.
pub fn tag_to_sdk(tag: &Tag) -> sdk::Tag {
    sdk::Tag::builder()
        .set_key(tag.key.clone())
        .set_value(tag.value.clone())
        .build()
}

/// One SDK tag (e.g. from `ListTagsForResource`) as a spec tag.
pub fn tag_from_sdk(tag: &sdk::Tag) -> Tag {
    Tag {
        key: tag.key.clone(),
        value: tag.value.clone(),
    }
}

impl Mapping for Tag {
    type Sdk = sdk::Tag;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(tag_to_sdk(self))
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        tag_from_sdk(s)
    }
}

mapping!(KeyValuePair => sdk::KeyValuePair, ok {
    name: clone(set_name),
    value: clone(set_value),
});

mapping!(TaskDefinitionPlacementConstraint => sdk::TaskDefinitionPlacementConstraint, ok {
    r#type: enumerated(set_type),
    expression: clone(set_expression),
});

mapping!(ProxyConfiguration => sdk::ProxyConfiguration, built {
    r#type: enumerated(set_type),
    container_name: required(container_name, "containerName"),
    properties: nested_list(set_properties, "properties"),
});

// Elastic Inference is retired and deprecated in the SDK, but ECS still
// accepts and returns the field, so it is carried like any other.
#[allow(deprecated)]
impl Mapping for InferenceAccelerator {
    type Sdk = sdk::InferenceAccelerator;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::InferenceAccelerator::builder()
                .device_name(required(&self.device_name, "deviceName")?)
                .device_type(required(&self.device_type, "deviceType")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            device_name: Some(s.device_name.clone()),
            device_type: Some(s.device_type.clone()),
        }
    }
}

mapping!(EphemeralStorage => sdk::EphemeralStorage, ok {
    size_in_gib: required_copy(size_in_gib, "sizeInGiB"),
});

mapping!(RuntimePlatform => sdk::RuntimePlatform, ok {
    cpu_architecture: enumerated(set_cpu_architecture),
    operating_system_family: enumerated(set_operating_system_family),
});

#[cfg(test)]
pub(crate) mod tests;
