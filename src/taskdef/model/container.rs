//! Container definitions (`containerDefinitions[]`) and everything nested in them,
//! spelled exactly as `RegisterTaskDefinition` takes them.
//!
//! Only the shape is checked here; values (enum strings, limits, references to
//! volumes or other containers) are left for ECS to validate.

use super::{object, objects};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of `containerDefinitions`: a container the task runs.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDefinition {
    /// Container name, unique within the task definition.
    pub name: Option<String>,
    /// Image reference (`repository:tag` or `repository@digest`).
    pub image: Option<String>,
    /// Private registry credentials.
    #[serde(deserialize_with = "object")]
    pub repository_credentials: Option<RepositoryCredentials>,
    /// CPU units reserved for the container (1024 = one vCPU).
    pub cpu: Option<i32>,
    /// Hard memory limit in MiB.
    pub memory: Option<i32>,
    /// Soft memory limit in MiB.
    pub memory_reservation: Option<i32>,
    /// Legacy `--link` names (bridge network mode only).
    pub links: Option<Vec<String>>,
    /// Ports the container exposes.
    #[serde(deserialize_with = "objects")]
    pub port_mappings: Option<Vec<PortMapping>>,
    /// Whether the task stops when this container stops (ECS default: true).
    pub essential: Option<bool>,
    /// In-place restart policy.
    #[serde(deserialize_with = "object")]
    pub restart_policy: Option<ContainerRestartPolicy>,
    /// Overrides the image entry point.
    pub entry_point: Option<Vec<String>>,
    /// Overrides the image command.
    pub command: Option<Vec<String>>,
    /// Plain environment variables.
    #[serde(deserialize_with = "objects")]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Environment files in S3.
    #[serde(deserialize_with = "objects")]
    pub environment_files: Option<Vec<EnvironmentFile>>,
    /// Volumes mounted into the container.
    #[serde(deserialize_with = "objects")]
    pub mount_points: Option<Vec<MountPoint>>,
    /// Containers whose volumes are mounted into this one.
    #[serde(deserialize_with = "objects")]
    pub volumes_from: Option<Vec<VolumeFrom>>,
    /// Linux-specific settings (capabilities, init process, tmpfs, ...).
    #[serde(deserialize_with = "object")]
    pub linux_parameters: Option<LinuxParameters>,
    /// Environment variables fetched from Secrets Manager or SSM.
    #[serde(deserialize_with = "objects")]
    pub secrets: Option<Vec<Secret>>,
    /// Start-order dependencies on other containers of the task.
    #[serde(deserialize_with = "objects")]
    pub depends_on: Option<Vec<ContainerDependency>>,
    /// Seconds to wait for dependencies before giving up.
    pub start_timeout: Option<i32>,
    /// Seconds between SIGTERM and SIGKILL.
    pub stop_timeout: Option<i32>,
    /// Whether image tags are resolved to a digest (`enabled` / `disabled`).
    pub version_consistency: Option<String>,
    /// Container hostname.
    pub hostname: Option<String>,
    /// User (and group) to run as.
    pub user: Option<String>,
    /// Working directory for the command.
    pub working_directory: Option<String>,
    /// Disables networking inside the container.
    pub disable_networking: Option<bool>,
    /// Runs the container privileged.
    pub privileged: Option<bool>,
    /// Mounts the root filesystem read-only.
    pub readonly_root_filesystem: Option<bool>,
    /// DNS servers.
    pub dns_servers: Option<Vec<String>>,
    /// DNS search domains.
    pub dns_search_domains: Option<Vec<String>>,
    /// Extra `/etc/hosts` entries.
    #[serde(deserialize_with = "objects")]
    pub extra_hosts: Option<Vec<HostEntry>>,
    /// SELinux / AppArmor / credential-spec labels.
    pub docker_security_options: Option<Vec<String>>,
    /// Keeps stdin open (`docker run -i`).
    pub interactive: Option<bool>,
    /// Allocates a TTY (`docker run -t`).
    pub pseudo_terminal: Option<bool>,
    /// Docker labels.
    pub docker_labels: Option<IndexMap<String, String>>,
    /// Resource limits (`nofile`, ...).
    #[serde(deserialize_with = "objects")]
    pub ulimits: Option<Vec<Ulimit>>,
    /// Log driver and its options.
    #[serde(deserialize_with = "object")]
    pub log_configuration: Option<LogConfiguration>,
    /// Container health check.
    #[serde(deserialize_with = "object")]
    pub health_check: Option<HealthCheck>,
    /// Namespaced kernel parameters (sysctls).
    #[serde(deserialize_with = "objects")]
    pub system_controls: Option<Vec<SystemControl>>,
    /// GPU / inference accelerator requirements.
    #[serde(deserialize_with = "objects")]
    pub resource_requirements: Option<Vec<ResourceRequirement>>,
    /// FireLens log router settings.
    #[serde(deserialize_with = "object")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Active Directory credential specs (gMSA).
    pub credential_specs: Option<Vec<String>>,
}

/// `repositoryCredentials`: the secret holding private registry credentials.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct RepositoryCredentials {
    /// ARN of the secret (required by ECS).
    pub credentials_parameter: Option<String>,
}

/// One entry of `portMappings`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PortMapping {
    /// Port inside the container.
    pub container_port: Option<i32>,
    /// Port on the host (must equal `containerPort` in awsvpc mode).
    pub host_port: Option<i32>,
    /// `tcp` or `udp`.
    pub protocol: Option<String>,
    /// Name used by Service Connect.
    pub name: Option<String>,
    /// Application protocol for Service Connect (`http`, `http2`, `grpc`).
    pub app_protocol: Option<String>,
    /// Port range such as `"8000-8010"`.
    pub container_port_range: Option<String>,
}

/// `restartPolicy`: restarts of the container inside its task.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerRestartPolicy {
    /// Whether the policy is on (required by ECS).
    pub enabled: Option<bool>,
    /// Exit codes that do not trigger a restart.
    pub ignored_exit_codes: Option<Vec<i32>>,
    /// Seconds the container must run before a restart is attempted.
    pub restart_attempt_period: Option<i32>,
}

/// A `name`/`value` pair (`environment`, proxy `properties`).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValuePair {
    /// Variable or property name.
    pub name: Option<String>,
    /// Its value.
    pub value: Option<String>,
}

/// One entry of `environmentFiles`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentFile {
    /// S3 object ARN (required by ECS).
    pub value: Option<String>,
    /// File type; only `s3` exists (required by ECS).
    pub r#type: Option<String>,
}

/// One entry of `mountPoints`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct MountPoint {
    /// Name of a task volume.
    pub source_volume: Option<String>,
    /// Where it is mounted in the container.
    pub container_path: Option<String>,
    /// Mounts read-only.
    pub read_only: Option<bool>,
}

/// One entry of `volumesFrom`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeFrom {
    /// Container whose volumes are mounted.
    pub source_container: Option<String>,
    /// Mounts them read-only.
    pub read_only: Option<bool>,
}

/// `linuxParameters`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LinuxParameters {
    /// Kernel capabilities added or dropped.
    #[serde(deserialize_with = "object")]
    pub capabilities: Option<KernelCapabilities>,
    /// Host devices exposed to the container.
    #[serde(deserialize_with = "objects")]
    pub devices: Option<Vec<Device>>,
    /// Runs an init process (PID 1 reaper) in the container.
    pub init_process_enabled: Option<bool>,
    /// `/dev/shm` size in MiB.
    pub shared_memory_size: Option<i32>,
    /// tmpfs mounts.
    #[serde(deserialize_with = "objects")]
    pub tmpfs: Option<Vec<Tmpfs>>,
    /// Swap the container may use, in MiB.
    pub max_swap: Option<i32>,
    /// Swappiness, 0 to 100.
    pub swappiness: Option<i32>,
}

/// `linuxParameters.capabilities`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct KernelCapabilities {
    /// Capabilities added to the Docker default set.
    pub add: Option<Vec<String>>,
    /// Capabilities removed from it.
    pub drop: Option<Vec<String>>,
}

/// One entry of `linuxParameters.devices`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Device {
    /// Path on the host (required by ECS).
    pub host_path: Option<String>,
    /// Path in the container.
    pub container_path: Option<String>,
    /// `read`, `write` and/or `mknod`.
    pub permissions: Option<Vec<String>>,
}

/// One entry of `linuxParameters.tmpfs`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Tmpfs {
    /// Mount path (required by ECS).
    pub container_path: Option<String>,
    /// Size in MiB (required by ECS).
    pub size: Option<i32>,
    /// Mount options such as `noexec`.
    pub mount_options: Option<Vec<String>>,
}

/// A secret exposed as an environment variable (`secrets`, `secretOptions`).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// Variable or option name (required by ECS).
    pub name: Option<String>,
    /// Secrets Manager or SSM parameter ARN/name (required by ECS).
    pub value_from: Option<String>,
}

/// One entry of `dependsOn`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDependency {
    /// Container depended upon (required by ECS).
    pub container_name: Option<String>,
    /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY` (required by ECS).
    pub condition: Option<String>,
}

/// One entry of `extraHosts`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct HostEntry {
    /// Host name (required by ECS).
    pub hostname: Option<String>,
    /// IP address (required by ECS).
    pub ip_address: Option<String>,
}

/// One entry of `ulimits`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Ulimit {
    /// Limit name such as `nofile` (required by ECS).
    pub name: Option<String>,
    /// Soft limit (required by ECS).
    pub soft_limit: Option<i32>,
    /// Hard limit (required by ECS).
    pub hard_limit: Option<i32>,
}

/// `logConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LogConfiguration {
    /// Log driver such as `awslogs` or `awsfirelens` (required by ECS).
    pub log_driver: Option<String>,
    /// Driver options (`awslogs-group`, ...).
    pub options: Option<IndexMap<String, String>>,
    /// Driver options taken from secrets.
    #[serde(deserialize_with = "objects")]
    pub secret_options: Option<Vec<Secret>>,
}

/// `healthCheck`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    /// Command, e.g. `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]` (required by ECS).
    pub command: Option<Vec<String>>,
    /// Seconds between checks.
    pub interval: Option<i32>,
    /// Seconds before a check counts as failed.
    pub timeout: Option<i32>,
    /// Consecutive failures before the container is unhealthy.
    pub retries: Option<i32>,
    /// Grace period in seconds after start.
    pub start_period: Option<i32>,
}

/// One entry of `systemControls`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SystemControl {
    /// Kernel parameter, e.g. `net.core.somaxconn`.
    pub namespace: Option<String>,
    /// Its value.
    pub value: Option<String>,
}

/// One entry of `resourceRequirements`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirement {
    /// Amount, e.g. number of GPUs (required by ECS).
    pub value: Option<String>,
    /// `GPU` or `InferenceAccelerator` (required by ECS).
    pub r#type: Option<String>,
    /// How a GPU is shared with other containers.
    #[serde(deserialize_with = "object")]
    pub sharing_strategy: Option<SharingStrategy>,
}

/// `resourceRequirements[].sharingStrategy`: a union, exactly one member is set.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SharingStrategy {
    /// Share the GPU through NVIDIA Multi-Process Service.
    #[serde(deserialize_with = "object")]
    pub nvidia_mps: Option<NvidiaMpsAllocation>,
}

/// `sharingStrategy.nvidiaMps`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct NvidiaMpsAllocation {
    /// GPU memory in MiB (required by ECS).
    pub memory: Option<i32>,
    /// Upper bound on the GPU compute share, in percent.
    pub max_compute_percent: Option<i32>,
}

/// `firelensConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FirelensConfiguration {
    /// `fluentd` or `fluentbit` (required by ECS).
    pub r#type: Option<String>,
    /// Router options (`enable-ecs-log-metadata`, `config-file-type`, ...).
    pub options: Option<IndexMap<String, String>>,
}
