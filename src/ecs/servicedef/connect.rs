//! Service Connect, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, mapping, nested, nested_from, nested_list, nested_list_from, required,
};
use crate::servicedef::{
    ServiceConnectAccessLogConfiguration, ServiceConnectClientAlias, ServiceConnectConfiguration,
    ServiceConnectContainerConfiguration, ServiceConnectService,
    ServiceConnectTestTrafficHeaderMatchRules, ServiceConnectTestTrafficHeaderRules,
    ServiceConnectTestTrafficRules, ServiceConnectTlsCertificateAuthority,
    ServiceConnectTlsConfiguration, TimeoutConfiguration,
};
use aws_sdk_ecs::types as sdk;

impl Mapping for ServiceConnectConfiguration {
    type Sdk = sdk::ServiceConnectConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::ServiceConnectConfiguration::builder()
            .enabled(*required(&self.enabled, "enabled")?)
            .set_namespace(self.namespace.clone())
            .set_services(nested_list(&self.services, "services")?)
            // The task definition's `LogConfiguration`, reused as it is.
            .set_log_configuration(nested(&self.log_configuration, "logConfiguration")?)
            .set_access_log_configuration(nested(
                &self.access_log_configuration,
                "accessLogConfiguration",
            )?)
            .set_container_configurations(nested_list(
                &self.container_configurations,
                "containerConfigurations",
            )?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            enabled: Some(s.enabled),
            namespace: s.namespace.clone(),
            services: nested_list_from(&s.services),
            log_configuration: nested_from(&s.log_configuration),
            access_log_configuration: nested_from(&s.access_log_configuration),
            container_configurations: nested_list_from(&s.container_configurations),
        }
    }
}

mapping!(ServiceConnectService => sdk::ServiceConnectService, built {
    port_name: required(port_name, "portName"),
    discovery_name: clone(set_discovery_name),
    client_aliases: nested_list(set_client_aliases, "clientAliases"),
    ingress_port_override: copy(set_ingress_port_override),
    timeout: nested(set_timeout, "timeout"),
    tls: nested(set_tls, "tls"),
});

mapping!(ServiceConnectClientAlias => sdk::ServiceConnectClientAlias, built {
    port: required_copy(port, "port"),
    dns_name: clone(set_dns_name),
    test_traffic_rules: nested(set_test_traffic_rules, "testTrafficRules"),
});

mapping!(ServiceConnectTestTrafficRules => sdk::ServiceConnectTestTrafficRules, ok {
    header: nested(set_header, "header"),
});

mapping!(ServiceConnectTestTrafficHeaderRules => sdk::ServiceConnectTestTrafficHeaderRules, built {
    name: required(name, "name"),
    value: nested(set_value, "value"),
});

mapping!(ServiceConnectTestTrafficHeaderMatchRules => sdk::ServiceConnectTestTrafficHeaderMatchRules, built {
    exact: required(exact, "exact"),
});

mapping!(TimeoutConfiguration => sdk::TimeoutConfiguration, ok {
    idle_timeout_seconds: copy(set_idle_timeout_seconds),
    per_request_timeout_seconds: copy(set_per_request_timeout_seconds),
});

mapping!(ServiceConnectTlsConfiguration => sdk::ServiceConnectTlsConfiguration, ok {
    issuer_certificate_authority: nested(set_issuer_certificate_authority, "issuerCertificateAuthority"),
    kms_key: clone(set_kms_key),
    role_arn: clone(set_role_arn),
});

mapping!(ServiceConnectTlsCertificateAuthority => sdk::ServiceConnectTlsCertificateAuthority, ok {
    aws_pca_authority_arn: clone(set_aws_pca_authority_arn),
});

mapping!(ServiceConnectAccessLogConfiguration => sdk::ServiceConnectAccessLogConfiguration, built {
    format: required_enum(format, "format"),
    include_query_parameters: enumerated(set_include_query_parameters),
});

/// A union in the SDK: each entry sets exactly one setting (only `logLevel` exists).
impl Mapping for ServiceConnectContainerConfiguration {
    type Sdk = sdk::ServiceConnectContainerConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        let level = required(&self.log_level, "logLevel")?;
        Ok(sdk::ServiceConnectContainerConfiguration::LogLevel(
            level.as_str().into(),
        ))
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            log_level: s.as_log_level().ok().map(|l| l.as_str().to_owned()),
        }
    }
}
