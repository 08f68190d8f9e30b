//! Capacity, placement, network, EBS volumes and monitoring, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, built, enum_from, enum_to, nested, nested_from, nested_list,
    nested_list_from, required,
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

impl Mapping for PlacementConstraint {
    type Sdk = sdk::PlacementConstraint;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::PlacementConstraint::builder()
            .set_type(enum_to(&self.r#type))
            .set_expression(self.expression.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            r#type: enum_from(&s.r#type),
            expression: s.expression.clone(),
        }
    }
}

impl Mapping for PlacementStrategy {
    type Sdk = sdk::PlacementStrategy;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::PlacementStrategy::builder()
            .set_type(enum_to(&self.r#type))
            .set_field(self.field.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            r#type: enum_from(&s.r#type),
            field: s.field.clone(),
        }
    }
}

impl Mapping for NetworkConfiguration {
    type Sdk = sdk::NetworkConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::NetworkConfiguration::builder()
            .set_awsvpc_configuration(nested(&self.awsvpc_configuration, "awsvpcConfiguration")?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            awsvpc_configuration: nested_from(&s.awsvpc_configuration),
        }
    }
}

impl Mapping for AwsVpcConfiguration {
    type Sdk = sdk::AwsVpcConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::AwsVpcConfiguration::builder()
                .set_subnets(Some(required(&self.subnets, "subnets")?.clone()))
                .set_security_groups(self.security_groups.clone())
                .set_assign_public_ip(enum_to(&self.assign_public_ip))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            subnets: Some(s.subnets.clone()),
            security_groups: s.security_groups.clone(),
            assign_public_ip: enum_from(&s.assign_public_ip),
        }
    }
}

impl Mapping for ServiceVolumeConfiguration {
    type Sdk = sdk::ServiceVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceVolumeConfiguration::builder()
                .name(required(&self.name, "name")?)
                .set_managed_ebs_volume(nested(&self.managed_ebs_volume, "managedEBSVolume")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            name: Some(s.name.clone()),
            managed_ebs_volume: nested_from(&s.managed_ebs_volume),
        }
    }
}

impl Mapping for ServiceManagedEbsVolumeConfiguration {
    type Sdk = sdk::ServiceManagedEbsVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceManagedEbsVolumeConfiguration::builder()
                .set_encrypted(self.encrypted)
                .set_kms_key_id(self.kms_key_id.clone())
                .set_volume_type(self.volume_type.clone())
                .set_size_in_gib(self.size_in_gib)
                .set_snapshot_id(self.snapshot_id.clone())
                .set_volume_initialization_rate(self.volume_initialization_rate)
                .set_iops(self.iops)
                .set_throughput(self.throughput)
                .set_tag_specifications(nested_list(&self.tag_specifications, "tagSpecifications")?)
                .role_arn(required(&self.role_arn, "roleArn")?)
                .set_filesystem_type(enum_to(&self.filesystem_type))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            encrypted: s.encrypted,
            kms_key_id: s.kms_key_id.clone(),
            volume_type: s.volume_type.clone(),
            size_in_gib: s.size_in_gib,
            snapshot_id: s.snapshot_id.clone(),
            volume_initialization_rate: s.volume_initialization_rate,
            iops: s.iops,
            throughput: s.throughput,
            tag_specifications: nested_list_from(&s.tag_specifications),
            role_arn: Some(s.role_arn.clone()),
            filesystem_type: enum_from(&s.filesystem_type),
        }
    }
}

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

impl Mapping for MetricConfiguration {
    type Sdk = sdk::MetricConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::MetricConfiguration::builder()
                .set_metric_names(Some(required(&self.metric_names, "metricNames")?.clone()))
                .resolution_seconds(*required(&self.resolution_seconds, "resolutionSeconds")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            metric_names: Some(s.metric_names.clone()),
            resolution_seconds: Some(s.resolution_seconds),
        }
    }
}
