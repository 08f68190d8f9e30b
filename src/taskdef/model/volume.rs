//! Task volumes (`volumes[]`) and their storage-specific configurations,
//! spelled exactly as `RegisterTaskDefinition` takes them.

use super::object;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of `volumes`: storage that containers mount through `mountPoints`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Volume {
    /// Volume name, referenced by `mountPoints[].sourceVolume`.
    pub name: Option<String>,
    /// Bind mount of a host path.
    #[serde(deserialize_with = "object")]
    pub host: Option<HostVolumeProperties>,
    /// Docker-managed volume.
    #[serde(deserialize_with = "object")]
    pub docker_volume_configuration: Option<DockerVolumeConfiguration>,
    /// Amazon EFS file system.
    #[serde(deserialize_with = "object")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    /// Amazon S3 Files file system.
    #[serde(deserialize_with = "object")]
    pub s3files_volume_configuration: Option<S3FilesVolumeConfiguration>,
    /// Amazon FSx for Windows File Server file system.
    #[serde(deserialize_with = "object")]
    pub fsx_windows_file_server_volume_configuration:
        Option<FSxWindowsFileServerVolumeConfiguration>,
    /// The volume is supplied when the task is launched (e.g. EBS).
    pub configured_at_launch: Option<bool>,
}

/// `volumes[].host`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct HostVolumeProperties {
    /// Host path; absent means a Docker-chosen path.
    pub source_path: Option<String>,
}

/// `volumes[].dockerVolumeConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerVolumeConfiguration {
    /// `task` or `shared`.
    pub scope: Option<String>,
    /// Creates the volume if it does not exist (shared scope only).
    pub autoprovision: Option<bool>,
    /// Volume driver.
    pub driver: Option<String>,
    /// Driver options.
    pub driver_opts: Option<IndexMap<String, String>>,
    /// Volume labels.
    pub labels: Option<IndexMap<String, String>>,
}

/// `volumes[].efsVolumeConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EfsVolumeConfiguration {
    /// File system id (required by ECS).
    pub file_system_id: Option<String>,
    /// Directory of the file system to mount.
    pub root_directory: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub transit_encryption: Option<String>,
    /// Port for encrypted traffic.
    pub transit_encryption_port: Option<i32>,
    /// Access point and IAM authorization.
    #[serde(deserialize_with = "object")]
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

/// `efsVolumeConfiguration.authorizationConfig`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EfsAuthorizationConfig {
    /// EFS access point id.
    pub access_point_id: Option<String>,
    /// `ENABLED` to mount with the task role.
    pub iam: Option<String>,
}

/// `volumes[].s3filesVolumeConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct S3FilesVolumeConfiguration {
    /// File system ARN (required by ECS).
    pub file_system_arn: Option<String>,
    /// Directory of the file system to mount.
    pub root_directory: Option<String>,
    /// Port for encrypted traffic.
    pub transit_encryption_port: Option<i32>,
    /// Access point ARN.
    pub access_point_arn: Option<String>,
}

/// `volumes[].fsxWindowsFileServerVolumeConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FSxWindowsFileServerVolumeConfiguration {
    /// File system id (required by ECS).
    pub file_system_id: Option<String>,
    /// Directory of the file system to mount (required by ECS).
    pub root_directory: Option<String>,
    /// Domain credentials.
    #[serde(deserialize_with = "object")]
    pub authorization_config: Option<FSxWindowsFileServerAuthorizationConfig>,
}

/// `fsxWindowsFileServerVolumeConfiguration.authorizationConfig`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FSxWindowsFileServerAuthorizationConfig {
    /// Secret or SSM parameter holding the credentials (required by ECS).
    pub credentials_parameter: Option<String>,
    /// Active Directory domain (required by ECS).
    pub domain: Option<String>,
}
