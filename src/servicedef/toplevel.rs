//! The top level of a service-definition file, sorted before
//! [`ServiceDefinition`] sees it: the keys the spec (or deckhand) owns are
//! refused with a message saying so; in describe-services output the
//! read-only keys are dropped and `roleArn` is read as `role`; and what
//! describe-services output holds only on its `PRIMARY` deployment is
//! taken from there.

use super::{
    ServiceConnectConfiguration, ServiceDefinition, ServiceVolumeConfiguration,
    VpcLatticeConfiguration,
};
use crate::taskdef::model::{TaskDefinitionError, deserialize_located, object, objects};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// Keys of describe-services output that are no CreateService input.
const READ_ONLY: &[&str] = &[
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "platformFamily",
    "taskSets",
    "deployments",
    "events",
    "createdAt",
    "createdBy",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// CreateService keys the environment spec sets, with where it sets them.
/// Describe-services output has all but `cluster`; there they are read-only.
const SPEC_OWNED: &[(&str, &str)] = &[
    ("cluster", "cluster"),
    ("serviceName", "the key under services"),
    ("taskDefinition", "services.<name>.taskDefinition"),
    ("desiredCount", "services.<name>.desiredCount"),
];

/// How a top-level key is treated before [`ServiceDefinition`] sees it.
enum KeyUse {
    /// A field: read as is.
    Field,
    /// Describe-services output's spelling of a field: read as that field.
    Renamed(&'static str),
    /// Read-only: skipped with its value.
    Dropped,
    /// An error at the key: the key (from the tables above) and why.
    Refused(&'static str, String),
}

/// How `key` is treated in a file that is (`describe`) or is not
/// describe-services output.
fn key_use(key: &str, describe: bool) -> KeyUse {
    if let Some(&(owned, place)) = SPEC_OWNED.iter().find(|(k, _)| *k == key) {
        if describe && owned != "cluster" {
            return KeyUse::Dropped;
        }
        return KeyUse::Refused(
            owned,
            format!(
                "`{owned}` is set by the environment spec ({place}), not in a service definition; remove it"
            ),
        );
    }
    if key == "clientToken" {
        return KeyUse::Refused(
            "clientToken",
            "`clientToken` is not for a service definition (deckhand makes its own); remove it"
                .to_owned(),
        );
    }
    if let Some(&read_only) = READ_ONLY.iter().find(|k| **k == key) {
        if describe {
            return KeyUse::Dropped;
        }
        return KeyUse::Refused(
            read_only,
            format!(
                "`{read_only}` is read-only describe-services output, not CreateService input; remove it (a file with `serviceArn` is read as describe-services output)"
            ),
        );
    }
    if key == "roleArn" {
        if describe {
            return KeyUse::Renamed("role");
        }
        return KeyUse::Refused(
            "roleArn",
            "`roleArn` is how describe-services output spells it; CreateService input calls it `role`"
                .to_owned(),
        );
    }
    KeyUse::Field
}

/// Whether the text is describe-services output: an object with a
/// top-level `serviceArn`. Anything unreadable is not (the strict read
/// reports why).
pub(super) fn is_describe_output(json: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "serviceArn", default)]
        service_arn: Option<IgnoredAny>,
    }
    // Not `from_str`: trailing content is the strict read's to report.
    let mut de = serde_json::Deserializer::from_str(json);
    Probe::deserialize(&mut de).is_ok_and(|p| p.service_arn.is_some())
}

/// How the top-level keys of one file are sorted: whether it is
/// describe-services output, and where a refused key is recorded so that
/// the error can name it as its path.
#[derive(Clone, Copy)]
pub(super) struct KeySorting<'a> {
    pub(super) describe: bool,
    pub(super) refused: &'a Cell<Option<&'static str>>,
}

/// The top level of a service-definition file: read only from a JSON
/// object, each key sorted by [`key_use`] before the struct sees it.
pub(super) struct TopLevel<'a, D> {
    pub(super) de: D,
    pub(super) sorting: KeySorting<'a>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TopLevel<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(TopLevelVisitor {
            visitor,
            sorting: self.sorting,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct TopLevelVisitor<'a, V> {
    visitor: V,
    sorting: KeySorting<'a>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopLevelVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(TopLevelKeys {
            map,
            sorting: self.sorting,
        })
    }
}

struct TopLevelKeys<'a, A> {
    map: A,
    sorting: KeySorting<'a>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TopLevelKeys<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.map.next_key::<String>()? {
            let key = match key_use(&key, self.sorting.describe) {
                KeyUse::Field => key,
                KeyUse::Renamed(to) => to.to_owned(),
                KeyUse::Dropped => {
                    self.map.next_value::<IgnoredAny>()?;
                    continue;
                }
                KeyUse::Refused(key, message) => {
                    self.sorting.refused.set(Some(key));
                    return Err(de::Error::custom(message));
                }
            };
            return seed
                .deserialize(de::value::StringDeserializer::<A::Error>::new(key))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// What describe-services output holds of the service only on its deployments.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribedDeployments {
    #[serde(default, deserialize_with = "objects")]
    deployments: Option<Vec<DescribedDeployment>>,
}

/// One entry of `deployments` (only the fields read; the rest is ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribedDeployment {
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "object")]
    service_connect_configuration: Option<ServiceConnectConfiguration>,
    #[serde(default, deserialize_with = "objects")]
    volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    #[serde(default, deserialize_with = "objects")]
    vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
}

/// Fills the fields DescribeServices reports only per deployment from the
/// `PRIMARY` deployment of describe-services output `json` (a field the file
/// also sets at the top level keeps that value).
pub(super) fn take_from_primary_deployment(
    def: &mut ServiceDefinition,
    json: &str,
) -> Result<(), TaskDefinitionError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let described: DescribedDeployments = deserialize_located(&mut de)?;
    let primary = described
        .deployments
        .into_iter()
        .flatten()
        .find(|d| d.status.as_deref() == Some("PRIMARY"));
    if let Some(primary) = primary {
        def.service_connect_configuration = def
            .service_connect_configuration
            .take()
            .or(primary.service_connect_configuration);
        def.volume_configurations = def
            .volume_configurations
            .take()
            .or(primary.volume_configurations);
        def.vpc_lattice_configurations = def
            .vpc_lattice_configurations
            .take()
            .or(primary.vpc_lattice_configurations);
    }
    Ok(())
}
