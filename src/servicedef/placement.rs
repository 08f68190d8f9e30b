//! Where and on what the service's tasks run: capacity, placement, network,
//! EBS volumes and metrics resolution, spelled exactly as `CreateService`
//! takes them.

use crate::taskdef::model::{Tag, object, objects};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of `capacityProviderStrategy`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityProviderStrategyItem {
    /// Capacity provider name, e.g. `FARGATE_SPOT` (required by ECS).
    pub capacity_provider: Option<String>,
    /// Relative share of the tasks beyond `base` (ECS default: 0).
    pub weight: Option<i32>,
    /// Tasks placed here first (ECS default: 0).
    pub base: Option<i32>,
}

/// One entry of `placementConstraints` (EC2 and external instances).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementConstraint {
    /// `distinctInstance` or `memberOf`.
    pub r#type: Option<String>,
    /// Cluster query language expression (`memberOf` only).
    pub expression: Option<String>,
}

/// One entry of `placementStrategy` (EC2 and external instances).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementStrategy {
    /// `random`, `spread` or `binpack`.
    pub r#type: Option<String>,
    /// What to spread over or pack by, e.g. `attribute:ecs.availability-zone` or `memory`.
    pub field: Option<String>,
}

/// `networkConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkConfiguration {
    /// Subnets and security groups of the tasks (awsvpc network mode).
    #[serde(deserialize_with = "object")]
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// `networkConfiguration.awsvpcConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsVpcConfiguration {
    /// Subnet IDs (required by ECS).
    pub subnets: Option<Vec<String>>,
    /// Security group IDs (default: the VPC's default group).
    pub security_groups: Option<Vec<String>>,
    /// `ENABLED` or `DISABLED`.
    pub assign_public_ip: Option<String>,
}

/// One entry of `volumeConfigurations`: a task definition volume that is
/// `configuredAtLaunch`, and what ECS creates for it.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceVolumeConfiguration {
    /// The task definition volume's name (required by ECS).
    pub name: Option<String>,
    /// An EBS volume for each task.
    #[serde(rename = "managedEBSVolume", deserialize_with = "object")]
    pub managed_ebs_volume: Option<ServiceManagedEbsVolumeConfiguration>,
}

/// `volumeConfigurations[].managedEBSVolume`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceManagedEbsVolumeConfiguration {
    /// Whether the volume is encrypted.
    pub encrypted: Option<bool>,
    /// KMS key that encrypts it.
    pub kms_key_id: Option<String>,
    /// `gp3`, `io2`, ...
    pub volume_type: Option<String>,
    /// Size in GiB.
    #[serde(rename = "sizeInGiB")]
    pub size_in_gib: Option<i32>,
    /// Snapshot the volume is created from.
    pub snapshot_id: Option<String>,
    /// MiB/s at which a snapshot's blocks are fetched.
    pub volume_initialization_rate: Option<i32>,
    /// Provisioned IOPS.
    pub iops: Option<i32>,
    /// Throughput in MiB/s (gp3).
    pub throughput: Option<i32>,
    /// Tags put on the volumes.
    #[serde(deserialize_with = "objects")]
    pub tag_specifications: Option<Vec<EbsTagSpecification>>,
    /// Infrastructure role ECS assumes to manage the volumes (required by ECS).
    pub role_arn: Option<String>,
    /// `ext3`, `ext4`, `xfs` or `ntfs`.
    pub filesystem_type: Option<String>,
}

/// One entry of `managedEBSVolume.tagSpecifications`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EbsTagSpecification {
    /// Only `volume` exists (required by ECS).
    pub resource_type: Option<String>,
    /// The tags.
    #[serde(deserialize_with = "objects")]
    pub tags: Option<Vec<Tag>>,
    /// `SERVICE`, `TASK_DEFINITION` or `NONE`: whose tags are copied too.
    pub propagate_tags: Option<String>,
}

/// `monitoring`: resolution of the service's CloudWatch metrics.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitoringConfiguration {
    /// One resolution a set of metrics.
    #[serde(deserialize_with = "objects")]
    pub metric_configurations: Option<Vec<MetricConfiguration>>,
}

/// One entry of `monitoring.metricConfigurations`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricConfiguration {
    /// `CPUUtilization` and/or `MemoryUtilization` (required by ECS).
    pub metric_names: Option<Vec<String>>,
    /// Seconds, e.g. 60 or 10 (required by ECS).
    pub resolution_seconds: Option<i32>,
}
