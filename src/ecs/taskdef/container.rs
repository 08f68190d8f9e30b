//! Container definitions and their nested types, model ↔ SDK.

use super::{
    Mapping, MappingError, built, enum_from, enum_to, enums_from, enums_to, map_from, map_to,
    nested, nested_from, nested_list, nested_list_from, required,
};
use crate::taskdef::model::{
    ContainerDefinition, ContainerDependency, ContainerRestartPolicy, Device, EnvironmentFile,
    FirelensConfiguration, HealthCheck, HostEntry, KernelCapabilities, LinuxParameters,
    LogConfiguration, MountPoint, NvidiaMpsAllocation, PortMapping, RepositoryCredentials,
    ResourceRequirement, Secret, SharingStrategy, SystemControl, Tmpfs, Ulimit, VolumeFrom,
};
use aws_sdk_ecs::types as sdk;

/// One container as SDK input; error paths are relative to the container
/// (e.g. `secrets[0].valueFrom`).
pub fn container_to_sdk(c: &ContainerDefinition) -> Result<sdk::ContainerDefinition, MappingError> {
    Ok(sdk::ContainerDefinition::builder()
        .set_name(c.name.clone())
        .set_image(c.image.clone())
        .set_repository_credentials(nested(&c.repository_credentials, "repositoryCredentials")?)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_links(c.links.clone())
        .set_port_mappings(nested_list(&c.port_mappings, "portMappings")?)
        .set_essential(c.essential)
        .set_restart_policy(nested(&c.restart_policy, "restartPolicy")?)
        .set_entry_point(c.entry_point.clone())
        .set_command(c.command.clone())
        .set_environment(nested_list(&c.environment, "environment")?)
        .set_environment_files(nested_list(&c.environment_files, "environmentFiles")?)
        .set_mount_points(nested_list(&c.mount_points, "mountPoints")?)
        .set_volumes_from(nested_list(&c.volumes_from, "volumesFrom")?)
        .set_linux_parameters(nested(&c.linux_parameters, "linuxParameters")?)
        .set_secrets(nested_list(&c.secrets, "secrets")?)
        .set_depends_on(nested_list(&c.depends_on, "dependsOn")?)
        .set_start_timeout(c.start_timeout)
        .set_stop_timeout(c.stop_timeout)
        .set_version_consistency(enum_to(&c.version_consistency))
        .set_hostname(c.hostname.clone())
        .set_user(c.user.clone())
        .set_working_directory(c.working_directory.clone())
        .set_disable_networking(c.disable_networking)
        .set_privileged(c.privileged)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_dns_servers(c.dns_servers.clone())
        .set_dns_search_domains(c.dns_search_domains.clone())
        .set_extra_hosts(nested_list(&c.extra_hosts, "extraHosts")?)
        .set_docker_security_options(c.docker_security_options.clone())
        .set_interactive(c.interactive)
        .set_pseudo_terminal(c.pseudo_terminal)
        .set_docker_labels(map_to(&c.docker_labels))
        .set_ulimits(nested_list(&c.ulimits, "ulimits")?)
        .set_log_configuration(nested(&c.log_configuration, "logConfiguration")?)
        .set_health_check(nested(&c.health_check, "healthCheck")?)
        .set_system_controls(nested_list(&c.system_controls, "systemControls")?)
        .set_resource_requirements(nested_list(
            &c.resource_requirements,
            "resourceRequirements",
        )?)
        .set_firelens_configuration(nested(&c.firelens_configuration, "firelensConfiguration")?)
        .set_credential_specs(c.credential_specs.clone())
        .build())
}

/// One SDK container as a spec container. The SDK's `cpu` of 0 (its "unset")
/// becomes `None`.
pub fn container_from_sdk(c: &sdk::ContainerDefinition) -> ContainerDefinition {
    ContainerDefinition {
        name: c.name.clone(),
        image: c.image.clone(),
        repository_credentials: nested_from(&c.repository_credentials),
        cpu: (c.cpu != 0).then_some(c.cpu),
        memory: c.memory,
        memory_reservation: c.memory_reservation,
        links: c.links.clone(),
        port_mappings: nested_list_from(&c.port_mappings),
        essential: c.essential,
        restart_policy: nested_from(&c.restart_policy),
        entry_point: c.entry_point.clone(),
        command: c.command.clone(),
        environment: nested_list_from(&c.environment),
        environment_files: nested_list_from(&c.environment_files),
        mount_points: nested_list_from(&c.mount_points),
        volumes_from: nested_list_from(&c.volumes_from),
        linux_parameters: nested_from(&c.linux_parameters),
        secrets: nested_list_from(&c.secrets),
        depends_on: nested_list_from(&c.depends_on),
        start_timeout: c.start_timeout,
        stop_timeout: c.stop_timeout,
        version_consistency: enum_from(&c.version_consistency),
        hostname: c.hostname.clone(),
        user: c.user.clone(),
        working_directory: c.working_directory.clone(),
        disable_networking: c.disable_networking,
        privileged: c.privileged,
        readonly_root_filesystem: c.readonly_root_filesystem,
        dns_servers: c.dns_servers.clone(),
        dns_search_domains: c.dns_search_domains.clone(),
        extra_hosts: nested_list_from(&c.extra_hosts),
        docker_security_options: c.docker_security_options.clone(),
        interactive: c.interactive,
        pseudo_terminal: c.pseudo_terminal,
        docker_labels: map_from(&c.docker_labels),
        ulimits: nested_list_from(&c.ulimits),
        log_configuration: nested_from(&c.log_configuration),
        health_check: nested_from(&c.health_check),
        system_controls: nested_list_from(&c.system_controls),
        resource_requirements: nested_list_from(&c.resource_requirements),
        firelens_configuration: nested_from(&c.firelens_configuration),
        credential_specs: c.credential_specs.clone(),
    }
}

impl Mapping for RepositoryCredentials {
    type Sdk = sdk::RepositoryCredentials;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::RepositoryCredentials::builder()
                .credentials_parameter(required(
                    &self.credentials_parameter,
                    "credentialsParameter",
                )?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            credentials_parameter: Some(s.credentials_parameter.clone()),
        }
    }
}

impl Mapping for PortMapping {
    type Sdk = sdk::PortMapping;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::PortMapping::builder()
            .set_container_port(self.container_port)
            .set_host_port(self.host_port)
            .set_protocol(enum_to(&self.protocol))
            .set_name(self.name.clone())
            .set_app_protocol(enum_to(&self.app_protocol))
            .set_container_port_range(self.container_port_range.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            container_port: s.container_port,
            host_port: s.host_port,
            protocol: enum_from(&s.protocol),
            name: s.name.clone(),
            app_protocol: enum_from(&s.app_protocol),
            container_port_range: s.container_port_range.clone(),
        }
    }
}

impl Mapping for ContainerRestartPolicy {
    type Sdk = sdk::ContainerRestartPolicy;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ContainerRestartPolicy::builder()
                .enabled(*required(&self.enabled, "enabled")?)
                .set_ignored_exit_codes(self.ignored_exit_codes.clone())
                .set_restart_attempt_period(self.restart_attempt_period)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            enabled: Some(s.enabled),
            ignored_exit_codes: s.ignored_exit_codes.clone(),
            restart_attempt_period: s.restart_attempt_period,
        }
    }
}

impl Mapping for EnvironmentFile {
    type Sdk = sdk::EnvironmentFile;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::EnvironmentFile::builder()
                .value(required(&self.value, "value")?)
                .r#type(required(&self.r#type, "type")?.as_str().into())
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            value: Some(s.value.clone()),
            r#type: Some(s.r#type.as_str().to_owned()),
        }
    }
}

impl Mapping for MountPoint {
    type Sdk = sdk::MountPoint;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::MountPoint::builder()
            .set_source_volume(self.source_volume.clone())
            .set_container_path(self.container_path.clone())
            .set_read_only(self.read_only)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            source_volume: s.source_volume.clone(),
            container_path: s.container_path.clone(),
            read_only: s.read_only,
        }
    }
}

impl Mapping for VolumeFrom {
    type Sdk = sdk::VolumeFrom;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::VolumeFrom::builder()
            .set_source_container(self.source_container.clone())
            .set_read_only(self.read_only)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            source_container: s.source_container.clone(),
            read_only: s.read_only,
        }
    }
}

impl Mapping for LinuxParameters {
    type Sdk = sdk::LinuxParameters;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::LinuxParameters::builder()
            .set_capabilities(nested(&self.capabilities, "capabilities")?)
            .set_devices(nested_list(&self.devices, "devices")?)
            .set_init_process_enabled(self.init_process_enabled)
            .set_shared_memory_size(self.shared_memory_size)
            .set_tmpfs(nested_list(&self.tmpfs, "tmpfs")?)
            .set_max_swap(self.max_swap)
            .set_swappiness(self.swappiness)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            capabilities: nested_from(&s.capabilities),
            devices: nested_list_from(&s.devices),
            init_process_enabled: s.init_process_enabled,
            shared_memory_size: s.shared_memory_size,
            tmpfs: nested_list_from(&s.tmpfs),
            max_swap: s.max_swap,
            swappiness: s.swappiness,
        }
    }
}

impl Mapping for KernelCapabilities {
    type Sdk = sdk::KernelCapabilities;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::KernelCapabilities::builder()
            .set_add(self.add.clone())
            .set_drop(self.drop.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            add: s.add.clone(),
            drop: s.drop.clone(),
        }
    }
}

impl Mapping for Device {
    type Sdk = sdk::Device;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::Device::builder()
                .host_path(required(&self.host_path, "hostPath")?)
                .set_container_path(self.container_path.clone())
                .set_permissions(enums_to(&self.permissions))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            host_path: Some(s.host_path.clone()),
            container_path: s.container_path.clone(),
            permissions: enums_from(&s.permissions),
        }
    }
}

impl Mapping for Tmpfs {
    type Sdk = sdk::Tmpfs;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::Tmpfs::builder()
                .container_path(required(&self.container_path, "containerPath")?)
                .size(*required(&self.size, "size")?)
                .set_mount_options(self.mount_options.clone())
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            container_path: Some(s.container_path.clone()),
            size: Some(s.size),
            mount_options: s.mount_options.clone(),
        }
    }
}

impl Mapping for Secret {
    type Sdk = sdk::Secret;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::Secret::builder()
                .name(required(&self.name, "name")?)
                .value_from(required(&self.value_from, "valueFrom")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            name: Some(s.name.clone()),
            value_from: Some(s.value_from.clone()),
        }
    }
}

impl Mapping for ContainerDependency {
    type Sdk = sdk::ContainerDependency;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ContainerDependency::builder()
                .container_name(required(&self.container_name, "containerName")?)
                .condition(required(&self.condition, "condition")?.as_str().into())
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            container_name: Some(s.container_name.clone()),
            condition: Some(s.condition.as_str().to_owned()),
        }
    }
}

impl Mapping for HostEntry {
    type Sdk = sdk::HostEntry;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::HostEntry::builder()
                .hostname(required(&self.hostname, "hostname")?)
                .ip_address(required(&self.ip_address, "ipAddress")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            hostname: Some(s.hostname.clone()),
            ip_address: Some(s.ip_address.clone()),
        }
    }
}

impl Mapping for Ulimit {
    type Sdk = sdk::Ulimit;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::Ulimit::builder()
                .name(required(&self.name, "name")?.as_str().into())
                .soft_limit(*required(&self.soft_limit, "softLimit")?)
                .hard_limit(*required(&self.hard_limit, "hardLimit")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            name: Some(s.name.as_str().to_owned()),
            soft_limit: Some(s.soft_limit),
            hard_limit: Some(s.hard_limit),
        }
    }
}

impl Mapping for LogConfiguration {
    type Sdk = sdk::LogConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::LogConfiguration::builder()
                .log_driver(required(&self.log_driver, "logDriver")?.as_str().into())
                .set_options(map_to(&self.options))
                .set_secret_options(nested_list(&self.secret_options, "secretOptions")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            log_driver: Some(s.log_driver.as_str().to_owned()),
            options: map_from(&s.options),
            secret_options: nested_list_from(&s.secret_options),
        }
    }
}

impl Mapping for HealthCheck {
    type Sdk = sdk::HealthCheck;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::HealthCheck::builder()
                .set_command(Some(required(&self.command, "command")?.clone()))
                .set_interval(self.interval)
                .set_timeout(self.timeout)
                .set_retries(self.retries)
                .set_start_period(self.start_period)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            command: Some(s.command.clone()),
            interval: s.interval,
            timeout: s.timeout,
            retries: s.retries,
            start_period: s.start_period,
        }
    }
}

impl Mapping for SystemControl {
    type Sdk = sdk::SystemControl;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::SystemControl::builder()
            .set_namespace(self.namespace.clone())
            .set_value(self.value.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            namespace: s.namespace.clone(),
            value: s.value.clone(),
        }
    }
}

impl Mapping for ResourceRequirement {
    type Sdk = sdk::ResourceRequirement;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ResourceRequirement::builder()
                .value(required(&self.value, "value")?)
                .r#type(required(&self.r#type, "type")?.as_str().into())
                .set_sharing_strategy(nested(&self.sharing_strategy, "sharingStrategy")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            value: Some(s.value.clone()),
            r#type: Some(s.r#type.as_str().to_owned()),
            sharing_strategy: nested_from(&s.sharing_strategy),
        }
    }
}

impl Mapping for FirelensConfiguration {
    type Sdk = sdk::FirelensConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::FirelensConfiguration::builder()
                .r#type(required(&self.r#type, "type")?.as_str().into())
                .set_options(map_to(&self.options))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            r#type: Some(s.r#type.as_str().to_owned()),
            options: map_from(&s.options),
        }
    }
}

impl Mapping for SharingStrategy {
    type Sdk = sdk::SharingStrategy;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        // A union: today its only member is `nvidiaMps`.
        let mps = nested(&self.nvidia_mps, "nvidiaMps")?;
        mps.map(sdk::SharingStrategy::NvidiaMps)
            .ok_or_else(|| MappingError::MissingField {
                path: "nvidiaMps".to_owned(),
            })
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            nvidia_mps: s.as_nvidia_mps().ok().map(NvidiaMpsAllocation::from_sdk),
        }
    }
}

impl Mapping for NvidiaMpsAllocation {
    type Sdk = sdk::NvidiaMpsAllocation;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::NvidiaMpsAllocation::builder()
                .memory(*required(&self.memory, "memory")?)
                .set_max_compute_percent(self.max_compute_percent)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            memory: Some(s.memory),
            max_compute_percent: s.max_compute_percent,
        }
    }
}
