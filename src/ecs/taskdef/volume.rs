//! Task volumes and their storage configurations, model ↔ SDK.

use super::{MappingError, mapping, nested, nested_from};
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

mapping!(HostVolumeProperties => sdk::HostVolumeProperties, ok {
    source_path: clone(set_source_path),
});

mapping!(DockerVolumeConfiguration => sdk::DockerVolumeConfiguration, ok {
    scope: enumerated(set_scope),
    autoprovision: copy(set_autoprovision),
    driver: clone(set_driver),
    driver_opts: map(set_driver_opts),
    labels: map(set_labels),
});

mapping!(EfsVolumeConfiguration => sdk::EfsVolumeConfiguration, built {
    file_system_id: required(file_system_id, "fileSystemId"),
    root_directory: clone(set_root_directory),
    transit_encryption: enumerated(set_transit_encryption),
    transit_encryption_port: copy(set_transit_encryption_port),
    authorization_config: nested(set_authorization_config, "authorizationConfig"),
});

mapping!(EfsAuthorizationConfig => sdk::EfsAuthorizationConfig, ok {
    access_point_id: clone(set_access_point_id),
    iam: enumerated(set_iam),
});

mapping!(S3FilesVolumeConfiguration => sdk::S3FilesVolumeConfiguration, built {
    file_system_arn: required(file_system_arn, "fileSystemArn"),
    root_directory: clone(set_root_directory),
    transit_encryption_port: copy(set_transit_encryption_port),
    access_point_arn: clone(set_access_point_arn),
});

mapping!(FSxWindowsFileServerVolumeConfiguration => sdk::FSxWindowsFileServerVolumeConfiguration, built {
    file_system_id: required(file_system_id, "fileSystemId"),
    root_directory: required(root_directory, "rootDirectory"),
    authorization_config: nested(set_authorization_config, "authorizationConfig"),
});

mapping!(FSxWindowsFileServerAuthorizationConfig => sdk::FSxWindowsFileServerAuthorizationConfig, built {
    credentials_parameter: required(credentials_parameter, "credentialsParameter"),
    domain: required(domain, "domain"),
});
