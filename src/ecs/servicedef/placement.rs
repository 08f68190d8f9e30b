//! Capacity, placement, network, EBS volumes and monitoring, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, built, enum_from, enum_to, mapping, nested_list, nested_list_from,
    required,
};
use crate::servicedef::{
    AwsVpcConfiguration, CapacityProviderStrategyItem, EbsTagSpecification, MetricConfiguration,
    MonitoringConfiguration, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
    ServiceManagedEbsVolumeConfiguration, ServiceVolumeConfiguration,
};
use aws_sdk_ecs::types as sdk;

impl Mapping for CapacityProviderStrategyItem {
    type Sdk = sdk::CapacityProviderStrategyItem;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::CapacityProviderStrategyItem::builder()
                .capacity_provider(required(&self.capacity_provider, "capacityProvider")?)
                .set_weight(self.weight)
                .set_base(self.base)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            capacity_provider: Some(s.capacity_provider.clone()),
            weight: Some(s.weight),
            base: Some(s.base),
        }
    }
}

mapping!(PlacementConstraint => sdk::PlacementConstraint, ok {
    r#type: enumerated(set_type),
    expression: clone(set_expression),
});

mapping!(PlacementStrategy => sdk::PlacementStrategy, ok {
    r#type: enumerated(set_type),
    field: clone(set_field),
});

mapping!(NetworkConfiguration => sdk::NetworkConfiguration, ok {
    awsvpc_configuration: nested(set_awsvpc_configuration, "awsvpcConfiguration"),
});

mapping!(AwsVpcConfiguration => sdk::AwsVpcConfiguration, built {
    subnets: required_some(set_subnets, "subnets"),
    security_groups: clone(set_security_groups),
    assign_public_ip: enumerated(set_assign_public_ip),
});

mapping!(ServiceVolumeConfiguration => sdk::ServiceVolumeConfiguration, built {
    name: required(name, "name"),
    managed_ebs_volume: nested(set_managed_ebs_volume, "managedEBSVolume"),
});

mapping!(ServiceManagedEbsVolumeConfiguration => sdk::ServiceManagedEbsVolumeConfiguration, built {
    encrypted: copy(set_encrypted),
    kms_key_id: clone(set_kms_key_id),
    volume_type: clone(set_volume_type),
    size_in_gib: copy(set_size_in_gib),
    snapshot_id: clone(set_snapshot_id),
    volume_initialization_rate: copy(set_volume_initialization_rate),
    iops: copy(set_iops),
    throughput: copy(set_throughput),
    tag_specifications: nested_list(set_tag_specifications, "tagSpecifications"),
    role_arn: required(role_arn, "roleArn"),
    filesystem_type: enumerated(set_filesystem_type),
});

impl Mapping for EbsTagSpecification {
    type Sdk = sdk::EbsTagSpecification;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::EbsTagSpecification::builder()
                .resource_type(
                    required(&self.resource_type, "resourceType")?
                        .as_str()
                        .into(),
                )
                .set_tags(nested_list(&self.tags, "tags")?)
                .set_propagate_tags(enum_to(&self.propagate_tags))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            resource_type: Some(s.resource_type.as_str().to_owned()),
            tags: nested_list_from(&s.tags),
            propagate_tags: enum_from(&s.propagate_tags),
        }
    }
}

impl Mapping for MonitoringConfiguration {
    type Sdk = sdk::MonitoringConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::MonitoringConfiguration::builder()
            .set_metric_configurations(nested_list(
                &self.metric_configurations,
                "metricConfigurations",
            )?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            metric_configurations: nested_list_from(&s.metric_configurations),
        }
    }
}

mapping!(MetricConfiguration => sdk::MetricConfiguration, built {
    metric_names: required_some(set_metric_names, "metricNames"),
    resolution_seconds: required_copy(resolution_seconds, "resolutionSeconds"),
});
