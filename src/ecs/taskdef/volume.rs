//! Task volumes and their storage configurations, model ↔ SDK.

use super::{
    Mapping, MappingError, built, enum_from, enum_to, map_from, map_to, nested, nested_from,
    required,
};
use crate::taskdef::model::{
    DockerVolumeConfiguration, EfsAuthorizationConfig, EfsVolumeConfiguration,
    FSxWindowsFileServerAuthorizationConfig, FSxWindowsFileServerVolumeConfiguration,
    HostVolumeProperties, S3FilesVolumeConfiguration, Volume,
};
use aws_sdk_ecs::types as sdk;

/// One volume as SDK input; error paths are relative to the volume
/// (e.g. `efsVolumeConfiguration.fileSystemId`).
pub fn volume_to_sdk(v: &Volume) -> Result<sdk::Volume, MappingError> {
    Ok(sdk::Volume::builder()
        .set_name(v.name.clone())
        .set_host(nested(&v.host, "host")?)
        .set_docker_volume_configuration(nested(
            &v.docker_volume_configuration,
            "dockerVolumeConfiguration",
        )?)
        .set_efs_volume_configuration(nested(
            &v.efs_volume_configuration,
            "efsVolumeConfiguration",
        )?)
        .set_s3files_volume_configuration(nested(
            &v.s3files_volume_configuration,
            "s3filesVolumeConfiguration",
        )?)
        .set_fsx_windows_file_server_volume_configuration(nested(
            &v.fsx_windows_file_server_volume_configuration,
            "fsxWindowsFileServerVolumeConfiguration",
        )?)
        .set_configured_at_launch(v.configured_at_launch)
        .build())
}

/// One SDK volume as a spec volume.
pub fn volume_from_sdk(v: &sdk::Volume) -> Volume {
    Volume {
        name: v.name.clone(),
        host: nested_from(&v.host),
        docker_volume_configuration: nested_from(&v.docker_volume_configuration),
        efs_volume_configuration: nested_from(&v.efs_volume_configuration),
        s3files_volume_configuration: nested_from(&v.s3files_volume_configuration),
        fsx_windows_file_server_volume_configuration: nested_from(
            &v.fsx_windows_file_server_volume_configuration,
        ),
        configured_at_launch: v.configured_at_launch,
    }
}

impl Mapping for HostVolumeProperties {
    type Sdk = sdk::HostVolumeProperties;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::HostVolumeProperties::builder()
            .set_source_path(self.source_path.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            source_path: s.source_path.clone(),
        }
    }
}

impl Mapping for DockerVolumeConfiguration {
    type Sdk = sdk::DockerVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::DockerVolumeConfiguration::builder()
            .set_scope(enum_to(&self.scope))
            .set_autoprovision(self.autoprovision)
            .set_driver(self.driver.clone())
            .set_driver_opts(map_to(&self.driver_opts))
            .set_labels(map_to(&self.labels))
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            scope: enum_from(&s.scope),
            autoprovision: s.autoprovision,
            driver: s.driver.clone(),
            driver_opts: map_from(&s.driver_opts),
            labels: map_from(&s.labels),
        }
    }
}

impl Mapping for EfsVolumeConfiguration {
    type Sdk = sdk::EfsVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::EfsVolumeConfiguration::builder()
                .file_system_id(required(&self.file_system_id, "fileSystemId")?)
                .set_root_directory(self.root_directory.clone())
                .set_transit_encryption(enum_to(&self.transit_encryption))
                .set_transit_encryption_port(self.transit_encryption_port)
                .set_authorization_config(nested(
                    &self.authorization_config,
                    "authorizationConfig",
                )?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            file_system_id: Some(s.file_system_id.clone()),
            root_directory: s.root_directory.clone(),
            transit_encryption: enum_from(&s.transit_encryption),
            transit_encryption_port: s.transit_encryption_port,
            authorization_config: nested_from(&s.authorization_config),
        }
    }
}

impl Mapping for EfsAuthorizationConfig {
    type Sdk = sdk::EfsAuthorizationConfig;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::EfsAuthorizationConfig::builder()
            .set_access_point_id(self.access_point_id.clone())
            .set_iam(enum_to(&self.iam))
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            access_point_id: s.access_point_id.clone(),
            iam: enum_from(&s.iam),
        }
    }
}

impl Mapping for S3FilesVolumeConfiguration {
    type Sdk = sdk::S3FilesVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::S3FilesVolumeConfiguration::builder()
                .file_system_arn(required(&self.file_system_arn, "fileSystemArn")?)
                .set_root_directory(self.root_directory.clone())
                .set_transit_encryption_port(self.transit_encryption_port)
                .set_access_point_arn(self.access_point_arn.clone())
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            file_system_arn: Some(s.file_system_arn.clone()),
            root_directory: s.root_directory.clone(),
            transit_encryption_port: s.transit_encryption_port,
            access_point_arn: s.access_point_arn.clone(),
        }
    }
}

impl Mapping for FSxWindowsFileServerVolumeConfiguration {
    type Sdk = sdk::FSxWindowsFileServerVolumeConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::FSxWindowsFileServerVolumeConfiguration::builder()
                .file_system_id(required(&self.file_system_id, "fileSystemId")?)
                .root_directory(required(&self.root_directory, "rootDirectory")?)
                .set_authorization_config(nested(
                    &self.authorization_config,
                    "authorizationConfig",
                )?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            file_system_id: Some(s.file_system_id.clone()),
            root_directory: Some(s.root_directory.clone()),
            authorization_config: nested_from(&s.authorization_config),
        }
    }
}

impl Mapping for FSxWindowsFileServerAuthorizationConfig {
    type Sdk = sdk::FSxWindowsFileServerAuthorizationConfig;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::FSxWindowsFileServerAuthorizationConfig::builder()
                .credentials_parameter(required(
                    &self.credentials_parameter,
                    "credentialsParameter",
                )?)
                .domain(required(&self.domain, "domain")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            credentials_parameter: Some(s.credentials_parameter.clone()),
            domain: Some(s.domain.clone()),
        }
    }
}
