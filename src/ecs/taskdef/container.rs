//! Container definitions and their nested types, model ↔ SDK.

use super::{
    Mapping, MappingError, enum_from, enum_to, map_from, map_to, mapping, nested, nested_from,
    nested_list, nested_list_from,
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

mapping!(RepositoryCredentials => sdk::RepositoryCredentials, built {
    credentials_parameter: required(credentials_parameter, "credentialsParameter"),
});

mapping!(PortMapping => sdk::PortMapping, ok {
    container_port: copy(set_container_port),
    host_port: copy(set_host_port),
    protocol: enumerated(set_protocol),
    name: clone(set_name),
    app_protocol: enumerated(set_app_protocol),
    container_port_range: clone(set_container_port_range),
});

mapping!(ContainerRestartPolicy => sdk::ContainerRestartPolicy, built {
    enabled: required_copy(enabled, "enabled"),
    ignored_exit_codes: clone(set_ignored_exit_codes),
    restart_attempt_period: copy(set_restart_attempt_period),
});

mapping!(EnvironmentFile => sdk::EnvironmentFile, built {
    value: required(value, "value"),
    r#type: required_enum(r#type, "type"),
});

mapping!(MountPoint => sdk::MountPoint, ok {
    source_volume: clone(set_source_volume),
    container_path: clone(set_container_path),
    read_only: copy(set_read_only),
});

mapping!(VolumeFrom => sdk::VolumeFrom, ok {
    source_container: clone(set_source_container),
    read_only: copy(set_read_only),
});

mapping!(LinuxParameters => sdk::LinuxParameters, ok {
    capabilities: nested(set_capabilities, "capabilities"),
    devices: nested_list(set_devices, "devices"),
    init_process_enabled: copy(set_init_process_enabled),
    shared_memory_size: copy(set_shared_memory_size),
    tmpfs: nested_list(set_tmpfs, "tmpfs"),
    max_swap: copy(set_max_swap),
    swappiness: copy(set_swappiness),
});

mapping!(KernelCapabilities => sdk::KernelCapabilities, ok {
    add: clone(set_add),
    drop: clone(set_drop),
});

mapping!(Device => sdk::Device, built {
    host_path: required(host_path, "hostPath"),
    container_path: clone(set_container_path),
    permissions: enumerated_list(set_permissions),
});

mapping!(Tmpfs => sdk::Tmpfs, built {
    container_path: required(container_path, "containerPath"),
    size: required_copy(size, "size"),
    mount_options: clone(set_mount_options),
});

mapping!(Secret => sdk::Secret, built {
    name: required(name, "name"),
    value_from: required(value_from, "valueFrom"),
});

mapping!(ContainerDependency => sdk::ContainerDependency, built {
    container_name: required(container_name, "containerName"),
    condition: required_enum(condition, "condition"),
});

mapping!(HostEntry => sdk::HostEntry, built {
    hostname: required(hostname, "hostname"),
    ip_address: required(ip_address, "ipAddress"),
});

mapping!(Ulimit => sdk::Ulimit, built {
    name: required_enum(name, "name"),
    soft_limit: required_copy(soft_limit, "softLimit"),
    hard_limit: required_copy(hard_limit, "hardLimit"),
});

mapping!(LogConfiguration => sdk::LogConfiguration, built {
    log_driver: required_enum(log_driver, "logDriver"),
    options: map(set_options),
    secret_options: nested_list(set_secret_options, "secretOptions"),
});

mapping!(HealthCheck => sdk::HealthCheck, built {
    command: required_some(set_command, "command"),
    interval: copy(set_interval),
    timeout: copy(set_timeout),
    retries: copy(set_retries),
    start_period: copy(set_start_period),
});

mapping!(SystemControl => sdk::SystemControl, ok {
    namespace: clone(set_namespace),
    value: clone(set_value),
});

mapping!(ResourceRequirement => sdk::ResourceRequirement, built {
    value: required(value, "value"),
    r#type: required_enum(r#type, "type"),
    sharing_strategy: nested(set_sharing_strategy, "sharingStrategy"),
});

mapping!(FirelensConfiguration => sdk::FirelensConfiguration, built {
    r#type: required_enum(r#type, "type"),
    options: map(set_options),
});

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

mapping!(NvidiaMpsAllocation => sdk::NvidiaMpsAllocation, built {
    memory: required_copy(memory, "memory"),
    max_compute_percent: copy(set_max_compute_percent),
});
