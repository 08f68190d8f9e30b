//! Capacity, placement, network, EBS volumes and monitoring, model ↔ SDK.

use crate::ecs::taskdef::mapping;
use crate::servicedef::{
    AwsVpcConfiguration, CapacityProviderStrategyItem, EbsTagSpecification, MetricConfiguration,
    MonitoringConfiguration, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
    ServiceManagedEbsVolumeConfiguration, ServiceVolumeConfiguration,
};
use aws_sdk_ecs::types as sdk;

mapping!(CapacityProviderStrategyItem => sdk::CapacityProviderStrategyItem, built {
    capacity_provider: required(capacity_provider, "capacityProvider"),
    weight: filled(set_weight),
    base: filled(set_base),
});

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

mapping!(EbsTagSpecification => sdk::EbsTagSpecification, built {
    resource_type: required_enum(resource_type, "resourceType"),
    tags: nested_list(set_tags, "tags"),
    propagate_tags: enumerated(set_propagate_tags),
});

mapping!(MonitoringConfiguration => sdk::MonitoringConfiguration, ok {
    metric_configurations: nested_list(set_metric_configurations, "metricConfigurations"),
});

mapping!(MetricConfiguration => sdk::MetricConfiguration, built {
    metric_names: required_some(set_metric_names, "metricNames"),
    resolution_seconds: required_copy(resolution_seconds, "resolutionSeconds"),
});
