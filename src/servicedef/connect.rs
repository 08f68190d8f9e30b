//! Service Connect (`serviceConnectConfiguration`) and everything nested in
//! it, spelled exactly as `CreateService` takes it.

use crate::taskdef::model::{LogConfiguration, object, objects};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `serviceConnectConfiguration`: the service's names in a Cloud Map
/// namespace and the proxy that carries its traffic.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectConfiguration {
    /// Whether Service Connect is on (required by ECS).
    pub enabled: Option<bool>,
    /// Cloud Map namespace name or ARN.
    pub namespace: Option<String>,
    /// The endpoints the service offers (none: a client only).
    #[serde(deserialize_with = "objects")]
    pub services: Option<Vec<ServiceConnectService>>,
    /// Log configuration of the proxy container.
    #[serde(deserialize_with = "object")]
    pub log_configuration: Option<LogConfiguration>,
    /// Access logs of the proxy.
    #[serde(deserialize_with = "object")]
    pub access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
    /// Settings of the proxy container (each entry sets one).
    #[serde(deserialize_with = "objects")]
    pub container_configurations: Option<Vec<ServiceConnectContainerConfiguration>>,
}

/// One entry of `serviceConnectConfiguration.services`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectService {
    /// Name of the task definition port mapping (required by ECS).
    pub port_name: Option<String>,
    /// Cloud Map service name (default: `portName`).
    pub discovery_name: Option<String>,
    /// Names and ports clients use.
    #[serde(deserialize_with = "objects")]
    pub client_aliases: Option<Vec<ServiceConnectClientAlias>>,
    /// Port the proxy listens on, instead of the container's.
    pub ingress_port_override: Option<i32>,
    /// Proxy timeouts.
    #[serde(deserialize_with = "object")]
    pub timeout: Option<TimeoutConfiguration>,
    /// TLS between the proxies.
    #[serde(deserialize_with = "object")]
    pub tls: Option<ServiceConnectTlsConfiguration>,
}

/// One entry of `services[].clientAliases`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectClientAlias {
    /// Port clients connect to (required by ECS).
    pub port: Option<i32>,
    /// DNS name clients use (default: the discovery name).
    pub dns_name: Option<String>,
    /// Blue/green: which requests go to the new revision as test traffic.
    #[serde(deserialize_with = "object")]
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

/// `clientAliases[].testTrafficRules`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectTestTrafficRules {
    /// The header that marks test traffic.
    #[serde(deserialize_with = "object")]
    pub header: Option<ServiceConnectTestTrafficHeaderRules>,
}

/// `testTrafficRules.header`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectTestTrafficHeaderRules {
    /// Header name (required by ECS).
    pub name: Option<String>,
    /// The value it must have (absent: any).
    #[serde(deserialize_with = "object")]
    pub value: Option<ServiceConnectTestTrafficHeaderMatchRules>,
}

/// `header.value`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectTestTrafficHeaderMatchRules {
    /// The exact value (required by ECS).
    pub exact: Option<String>,
}

/// `services[].timeout`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeoutConfiguration {
    /// Seconds a connection may stay idle (0 turns the timeout off).
    pub idle_timeout_seconds: Option<i32>,
    /// Seconds a request may take (HTTP, HTTP/2 and gRPC).
    pub per_request_timeout_seconds: Option<i32>,
}

/// `services[].tls`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectTlsConfiguration {
    /// The private certificate authority that signs the certificates.
    #[serde(deserialize_with = "object")]
    pub issuer_certificate_authority: Option<ServiceConnectTlsCertificateAuthority>,
    /// KMS key that encrypts the private keys.
    pub kms_key: Option<String>,
    /// IAM role ECS assumes to issue the certificates.
    pub role_arn: Option<String>,
}

/// `tls.issuerCertificateAuthority`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectTlsCertificateAuthority {
    /// AWS Private CA ARN.
    pub aws_pca_authority_arn: Option<String>,
}

/// `serviceConnectConfiguration.accessLogConfiguration`.
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectAccessLogConfiguration {
    /// `TEXT` or `JSON` (required by ECS).
    pub format: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub include_query_parameters: Option<String>,
}

/// One entry of `serviceConnectConfiguration.containerConfigurations`: one
/// proxy setting (ECS takes exactly one key an entry).
#[serde_with::skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConnectContainerConfiguration {
    /// `debug` or `info`.
    pub log_level: Option<String>,
}
