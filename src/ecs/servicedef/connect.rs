//! Service Connect, model ↔ SDK.

use crate::ecs::taskdef::{
    Mapping, MappingError, built, enum_from, enum_to, nested, nested_from, nested_list,
    nested_list_from, required,
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

impl Mapping for ServiceConnectService {
    type Sdk = sdk::ServiceConnectService;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceConnectService::builder()
                .port_name(required(&self.port_name, "portName")?)
                .set_discovery_name(self.discovery_name.clone())
                .set_client_aliases(nested_list(&self.client_aliases, "clientAliases")?)
                .set_ingress_port_override(self.ingress_port_override)
                .set_timeout(nested(&self.timeout, "timeout")?)
                .set_tls(nested(&self.tls, "tls")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            port_name: Some(s.port_name.clone()),
            discovery_name: s.discovery_name.clone(),
            client_aliases: nested_list_from(&s.client_aliases),
            ingress_port_override: s.ingress_port_override,
            timeout: nested_from(&s.timeout),
            tls: nested_from(&s.tls),
        }
    }
}

impl Mapping for ServiceConnectClientAlias {
    type Sdk = sdk::ServiceConnectClientAlias;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceConnectClientAlias::builder()
                .port(*required(&self.port, "port")?)
                .set_dns_name(self.dns_name.clone())
                .set_test_traffic_rules(nested(&self.test_traffic_rules, "testTrafficRules")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            port: Some(s.port),
            dns_name: s.dns_name.clone(),
            test_traffic_rules: nested_from(&s.test_traffic_rules),
        }
    }
}

impl Mapping for ServiceConnectTestTrafficRules {
    type Sdk = sdk::ServiceConnectTestTrafficRules;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::ServiceConnectTestTrafficRules::builder()
            .set_header(nested(&self.header, "header")?)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            header: nested_from(&s.header),
        }
    }
}

impl Mapping for ServiceConnectTestTrafficHeaderRules {
    type Sdk = sdk::ServiceConnectTestTrafficHeaderRules;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceConnectTestTrafficHeaderRules::builder()
                .name(required(&self.name, "name")?)
                .set_value(nested(&self.value, "value")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            name: Some(s.name.clone()),
            value: nested_from(&s.value),
        }
    }
}

impl Mapping for ServiceConnectTestTrafficHeaderMatchRules {
    type Sdk = sdk::ServiceConnectTestTrafficHeaderMatchRules;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceConnectTestTrafficHeaderMatchRules::builder()
                .exact(required(&self.exact, "exact")?)
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            exact: Some(s.exact.clone()),
        }
    }
}

impl Mapping for TimeoutConfiguration {
    type Sdk = sdk::TimeoutConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::TimeoutConfiguration::builder()
            .set_idle_timeout_seconds(self.idle_timeout_seconds)
            .set_per_request_timeout_seconds(self.per_request_timeout_seconds)
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            idle_timeout_seconds: s.idle_timeout_seconds,
            per_request_timeout_seconds: s.per_request_timeout_seconds,
        }
    }
}

impl Mapping for ServiceConnectTlsConfiguration {
    type Sdk = sdk::ServiceConnectTlsConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::ServiceConnectTlsConfiguration::builder()
            .set_issuer_certificate_authority(nested(
                &self.issuer_certificate_authority,
                "issuerCertificateAuthority",
            )?)
            .set_kms_key(self.kms_key.clone())
            .set_role_arn(self.role_arn.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            issuer_certificate_authority: nested_from(&s.issuer_certificate_authority),
            kms_key: s.kms_key.clone(),
            role_arn: s.role_arn.clone(),
        }
    }
}

impl Mapping for ServiceConnectTlsCertificateAuthority {
    type Sdk = sdk::ServiceConnectTlsCertificateAuthority;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        Ok(sdk::ServiceConnectTlsCertificateAuthority::builder()
            .set_aws_pca_authority_arn(self.aws_pca_authority_arn.clone())
            .build())
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            aws_pca_authority_arn: s.aws_pca_authority_arn.clone(),
        }
    }
}

impl Mapping for ServiceConnectAccessLogConfiguration {
    type Sdk = sdk::ServiceConnectAccessLogConfiguration;
    fn to_sdk(&self) -> Result<Self::Sdk, MappingError> {
        built(
            sdk::ServiceConnectAccessLogConfiguration::builder()
                .format(required(&self.format, "format")?.as_str().into())
                .set_include_query_parameters(enum_to(&self.include_query_parameters))
                .build(),
        )
    }
    fn from_sdk(s: &Self::Sdk) -> Self {
        Self {
            format: Some(s.format.as_str().to_owned()),
            include_query_parameters: enum_from(&s.include_query_parameters),
        }
    }
}

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
