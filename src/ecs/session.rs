//! The session every AWS client of deckhand is built on: the standard AWS
//! config (rustls + ring, `AWS_ENDPOINT_URL*` checked before the SDK reads
//! them, a named `AWS_PROFILE` that must exist), where its credentials come
//! from (so their failures are worded for it), the standard retry mode, and
//! the interceptor that counts every request by operation and says retries
//! against an unreachable endpoint out loud. ECS, Application Auto Scaling,
//! the lookups and the lock table all take their clients from here
//! (`client_for!`).

use super::calls::CallCounter;
use super::credentials::{self, CredentialSource};
use super::error::{AwsError, endpoint_description, service_name};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::Arc;

#[derive(Debug)]
struct CountingInterceptor(Arc<CallCounter>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "deckhand-call-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.0.record(metadata.name());
        }
        Ok(())
    }

    /// A failed attempt the SDK will retry is said at once, so a retry
    /// loop against an unreachable endpoint is not silent.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(error)) = context.output_or_error() else {
            return Ok(());
        };
        if !(error.is_connector_error() || error.is_timeout_error()) {
            return Ok(());
        }
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt < MAX_ATTEMPTS {
            let operation = cfg.load::<Metadata>().map_or("", |m| m.name());
            tracing::warn!(
                "cannot reach {} at {} ({operation}, attempt {attempt} of {MAX_ATTEMPTS}); retrying",
                service_name(operation),
                endpoint_description(operation)
            );
        }
        Ok(())
    }
}

/// Attempts per request (the SDK's standard retry mode).
pub(super) const MAX_ATTEMPTS: u32 = 5;

/// A client of SDK crate `$krate` on the shared AWS config: the standard
/// retry mode with [`MAX_ATTEMPTS`], counted by `$interceptor`, in `$region`
/// when given (else the config's). Every service deckhand calls is built so.
macro_rules! client_for {
    ($krate:ident, $shared:expr, $region:expr, $interceptor:expr) => {{
        let mut builder = $krate::config::Builder::from($shared)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts($crate::ecs::session::MAX_ATTEMPTS),
            )
            .interceptor($interceptor.clone());
        if let Some(region) = $region {
            builder = builder.region(aws_config::Region::new(region.to_owned()));
        }
        $krate::Client::from_conf(builder.build())
    }};
}
pub(super) use client_for;

/// The endpoint variables the SDK reads, checked before it does.
const ENDPOINT_VARIABLES: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECS",
    "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
    "AWS_ENDPOINT_URL_DYNAMODB",
];

/// Every endpoint variable that is set must be an http(s) URL with a host.
fn check_endpoints(var: &dyn Fn(&str) -> Option<String>) -> Result<(), AwsError> {
    for variable in ENDPOINT_VARIABLES {
        let Some(value) = var(variable) else { continue };
        let ok = value.parse::<http::Uri>().ok().is_some_and(|uri| {
            matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
        });
        if !ok {
            return Err(AwsError::BadEndpoint { variable, value });
        }
    }
    Ok(())
}

/// Read the AWS profile files as the SDK will, and tell where credentials
/// will come from. A profile named by `AWS_PROFILE` must exist.
async fn credential_source() -> Result<CredentialSource, AwsError> {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    let profiles =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|e| AwsError::ProfileFile {
                message: e.to_string(),
            })?;
    if let Some(profile) = env_var("AWS_PROFILE")
        && profiles.get_profile(&profile).is_none()
    {
        return Err(AwsError::UnknownProfile { profile });
    }
    Ok(credentials::source(&env_var, &profiles))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The standard AWS config (rustls + ring, `region` overriding the
/// configured one) and where its credentials come from: shared by the ECS
/// client and the lock table's.
///
/// Fails before any request when an endpoint variable is not a URL or
/// `AWS_PROFILE` names a profile that does not exist.
pub(super) async fn shared_config(
    reach: &Reach,
) -> Result<(aws_config::SdkConfig, Arc<CredentialSource>), AwsError> {
    check_endpoints(&env_var)?;
    let credentials = credential_source().await?;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(region) = &reach.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let base = loader.load().await;
    let Some(role) = &reach.role else {
        return Ok((base, Arc::new(credentials)));
    };
    // The role's credentials come from deckhand's own; the SDK caches them
    // and refreshes them before they expire.
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
        .session_name(&role.session)
        .configure(&base);
    if let Some(external_id) = &role.external_id {
        provider = provider.external_id(external_id);
    }
    let provider = provider.build().await;
    let config = base
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build();
    let source = CredentialSource::EnvironmentRole {
        role: role.arn.clone(),
        session: role.session.clone(),
        own: Box::new(credentials),
    };
    Ok((config, Arc::new(source)))
}

/// Where a client reaches: a region (None: the AWS config's), and the role
/// it assumes there, if any (an environment's `roleArn`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Reach {
    /// The region.
    pub region: Option<String>,
    /// The role to assume.
    pub role: Option<Role>,
}

/// A role deckhand assumes from its own credentials.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Role {
    /// Its ARN.
    pub arn: String,
    /// The session name (`deckhand-<environment>`).
    pub session: String,
    /// The external id the role's trust policy asks for, if any.
    pub external_id: Option<String>,
}

impl Reach {
    /// `region` with deckhand's own credentials.
    pub fn region(region: Option<&str>) -> Reach {
        Reach {
            region: region.map(str::to_owned),
            role: None,
        }
    }
}

/// The interceptor that counts a client's requests into `calls`.
pub(super) fn counting(calls: Arc<CallCounter>) -> SharedInterceptor {
    SharedInterceptor::new(CountingInterceptor(calls))
}
