//! The one ECS client everything uses: built from the standard AWS config,
//! counting every request by operation, batching DescribeServices by 10,
//! caching task definitions by ARN (they are immutable), and turning SDK
//! errors into ones a user can act on.
//!
//! No other module calls the SDK. Retries of throttling and 5xx are the SDK's
//! standard retry mode (with backoff and jitter); an error that survives them
//! is backed off at the reconcile level (see `controller::reconcile`).

use crate::taskdef::model::Tag;
use crate::taskdef::model::TaskDefinitionSpec;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::types::{ClusterField, ServiceField, TaskDefinitionField};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// ECS accepts at most this many services per DescribeServices call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// The ARN cache is cleared when it grows past this many definitions: a
/// long-running controller sees new ARNs with every release, and one round of
/// re-describes is cheaper than unbounded memory.
const TASK_DEFINITION_CACHE_LIMIT: usize = 4096;
/// How many read calls run at once (DescribeServices is limited to 20/s per account).
const READ_CONCURRENCY: usize = 4;

/// An ECS failure, classified.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    /// The credential chain found nothing.
    #[error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance/task role ({detail})"
    )]
    NoCredentials { detail: String },
    /// No region configured anywhere.
    #[error(
        "no AWS region: set `region:` in the environment spec, or AWS_REGION, or a profile region"
    )]
    NoRegion,
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    #[error("cannot reach ECS at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    /// The cluster does not exist (or is INACTIVE).
    #[error("cluster '{cluster}' not found in ECS{}", region.as_deref().map(|r| format!(" (region {r})")).unwrap_or_default())]
    ClusterNotFound {
        cluster: String,
        region: Option<String>,
    },
    /// ECS answered with an error.
    #[error("ECS {operation}: {code}: {message}")]
    Api {
        operation: &'static str,
        code: String,
        message: String,
    },
    /// Anything else the SDK reported.
    #[error("ECS {operation}: {detail}")]
    Other {
        operation: &'static str,
        detail: String,
    },
}

impl EcsError {
    /// The ECS error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            EcsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> EcsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        let detail = DisplayErrorContext(&error).to_string();
        if let SdkError::ServiceError(service) = &error {
            let e = service.err();
            return EcsError::Api {
                operation,
                code: e.code().unwrap_or("Unknown").to_owned(),
                message: e.message().unwrap_or("").to_owned(),
            };
        }
        let lower = detail.to_lowercase();
        if lower.contains("credential") {
            return EcsError::NoCredentials {
                detail: first_line(&detail),
            };
        }
        if lower.contains("region") && lower.contains("endpoint") && !lower.contains("dispatch") {
            return EcsError::NoRegion;
        }
        if let SdkError::DispatchFailure(d) = &error
            && (d.is_io() || d.is_timeout())
        {
            return EcsError::Unreachable {
                endpoint: endpoint_description(),
                detail: io_cause(&detail),
            };
        }
        if matches!(error, SdkError::TimeoutError(_)) {
            return EcsError::Unreachable {
                endpoint: endpoint_description(),
                detail: "timed out".into(),
            };
        }
        EcsError::Other {
            operation,
            detail: first_line(&detail),
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_owned()
}

/// The innermost cause of a connection failure ("Connection refused (os error 111)").
fn io_cause(detail: &str) -> String {
    detail
        .rsplit(": ")
        .next()
        .map(|s| s.trim_end_matches(')').trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| first_line(detail))
}

fn endpoint_description() -> String {
    std::env::var("AWS_ENDPOINT_URL_ECS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| "the regional ECS endpoint".into())
}

/// Requests sent to ECS, by operation (each retry attempt counts: that is what
/// ECS throttles).
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl CallCounter {
    /// A copy of the counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("call counter lock").clone()
    }

    /// Total requests.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    fn record(&self, operation: &str) {
        *self
            .counts
            .lock()
            .expect("call counter lock")
            .entry(operation.to_owned())
            .or_default() += 1;
    }
}

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
}

/// A task definition as described by ECS, with its tags.
#[derive(Debug, Clone)]
pub struct DescribedTaskDefinition {
    /// Its ARN.
    pub arn: String,
    /// Family and revision, e.g. `web:42`.
    pub family_revision: String,
    /// The definition as a spec (read-only fields dropped).
    pub spec: TaskDefinitionSpec,
}

/// The ECS client wrapper.
#[derive(Clone)]
pub struct Ecs {
    client: Client,
    region: Option<String>,
    calls: Arc<CallCounter>,
    task_definitions: Arc<Mutex<HashMap<String, Arc<DescribedTaskDefinition>>>>,
    limiter: Arc<super::mutate::RateLimiter>,
}

/// The cluster's identity and tags.
#[derive(Debug, Clone)]
pub struct ClusterState {
    /// Cluster ARN (tags are written to it).
    pub arn: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl Ecs {
    /// Build a client from the standard AWS config (`AWS_ENDPOINT_URL` honoured);
    /// `region` overrides the configured one.
    pub async fn connect(region: Option<&str>) -> Ecs {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader =
            aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        let shared = loader.load().await;
        let calls = Arc::new(CallCounter::default());
        let config = aws_sdk_ecs::config::Builder::from(&shared)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5))
            .interceptor(CountingInterceptor(calls.clone()))
            .build();
        Ecs {
            client: Client::from_conf(config),
            region: shared.region().map(|r| r.to_string()),
            calls,
            task_definitions: Arc::default(),
            limiter: Arc::default(),
        }
    }

    /// The SDK client, for the modules that mutate (apply); reads go through the methods here.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client-side rate limiter of mutating calls.
    pub(crate) fn limiter(&self) -> &super::mutate::RateLimiter {
        &self.limiter
    }

    /// Put a definition ECS just returned into the ARN cache.
    pub(crate) fn remember(
        &self,
        td: &aws_sdk_ecs::types::TaskDefinition,
        tags: Option<Vec<Tag>>,
    ) -> Arc<DescribedTaskDefinition> {
        let mut spec = crate::taskdef::sdk::from_sdk(td);
        spec.tags = tags.filter(|t| !t.is_empty());
        let arn = td.task_definition_arn().unwrap_or_default().to_owned();
        let described = Arc::new(DescribedTaskDefinition {
            family_revision: format!("{}:{}", td.family().unwrap_or_default(), td.revision()),
            arn: arn.clone(),
            spec,
        });
        let mut cache = self
            .task_definitions
            .lock()
            .expect("task definition cache lock");
        if cache.len() >= TASK_DEFINITION_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(arn, described.clone());
        described
    }

    /// A shared handle to the call counter (for metrics).
    pub fn calls_handle(&self) -> Arc<CallCounter> {
        self.calls.clone()
    }

    /// Requests made so far, by operation.
    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// DescribeClusters with tags. A missing or INACTIVE cluster is an error.
    pub async fn describe_cluster(&self, cluster: &str) -> Result<ClusterState, EcsError> {
        let out = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(|e| EcsError::from_sdk("DescribeClusters", e))?;
        let found = out
            .clusters()
            .iter()
            .find(|c| c.status() != Some("INACTIVE"));
        match found {
            Some(c) => Ok(ClusterState {
                arn: c.cluster_arn().unwrap_or_default().to_owned(),
                tags: c
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                    .collect(),
            }),
            None => Err(EcsError::ClusterNotFound {
                cluster: cluster.to_owned(),
                region: self.region.clone(),
            }),
        }
    }

    /// DescribeServices for `names`, 10 per call, a few calls at a time.
    /// Services ECS reports missing (or INACTIVE) are absent from the result.
    pub async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<HashMap<String, aws_sdk_ecs::types::Service>, EcsError> {
        let batches: Vec<Vec<String>> = names
            .chunks(DESCRIBE_SERVICES_BATCH)
            .map(<[String]>::to_vec)
            .collect();
        let results = run_limited(batches, |batch| {
            let client = self.client.clone();
            let cluster = cluster.to_owned();
            async move {
                client
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(batch))
                    .include(ServiceField::Tags)
                    .send()
                    .await
                    .map_err(|e| EcsError::from_sdk("DescribeServices", e))
            }
        })
        .await;
        let mut services = HashMap::new();
        for result in results {
            let out = result.map_err(|e| self.cluster_error(cluster, e))?;
            for s in out.services() {
                if s.status() == Some("INACTIVE") {
                    continue;
                }
                if let Some(name) = s.service_name() {
                    services.insert(name.to_owned(), s.clone());
                }
            }
        }
        Ok(services)
    }

    fn cluster_error(&self, cluster: &str, e: EcsError) -> EcsError {
        if e.code() == Some("ClusterNotFoundException") {
            EcsError::ClusterNotFound {
                cluster: cluster.to_owned(),
                region: self.region.clone(),
            }
        } else {
            e
        }
    }

    /// DescribeTaskDefinition by ARN, at most once per ARN for the life of this client.
    pub async fn task_definition(
        &self,
        arn: &str,
    ) -> Result<Arc<DescribedTaskDefinition>, EcsError> {
        if let Some(hit) = self.cached(arn) {
            return Ok(hit);
        }
        let described = self
            .describe_task_definition(arn)
            .await?
            .ok_or_else(|| EcsError::Api {
                operation: "DescribeTaskDefinition",
                code: "ClientException".into(),
                message: format!("task definition {arn} does not exist"),
            })?;
        Ok(described)
    }

    /// Describe many ARNs (each at most once, cached), a few at a time.
    pub async fn task_definitions(
        &self,
        arns: &[String],
    ) -> Result<HashMap<String, Arc<DescribedTaskDefinition>>, EcsError> {
        let mut distinct: Vec<String> = arns.to_vec();
        distinct.sort();
        distinct.dedup();
        let results = run_limited(distinct.clone(), |arn| async move {
            self.task_definition(&arn).await
        })
        .await;
        let mut out = HashMap::new();
        for (arn, result) in distinct.into_iter().zip(results) {
            out.insert(arn, result?);
        }
        Ok(out)
    }

    /// The latest ACTIVE revision of `family`, or None if the family has none.
    /// Not cached by name (a family moves); the result is cached by its ARN.
    pub async fn latest_task_definition(
        &self,
        family: &str,
    ) -> Result<Option<Arc<DescribedTaskDefinition>>, EcsError> {
        self.describe_task_definition(family).await
    }

    fn cached(&self, arn: &str) -> Option<Arc<DescribedTaskDefinition>> {
        self.task_definitions
            .lock()
            .expect("task definition cache lock")
            .get(arn)
            .cloned()
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<Arc<DescribedTaskDefinition>>, EcsError> {
        let result = self
            .client
            .describe_task_definition()
            .task_definition(reference)
            .include(TaskDefinitionField::Tags)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let e = EcsError::from_sdk("DescribeTaskDefinition", e);
                // ECS answers ClientException for an unknown family or ARN.
                if e.code() == Some("ClientException") {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(td) = out.task_definition() else {
            return Ok(None);
        };
        let tags: Vec<Tag> = out
            .tags()
            .iter()
            .map(crate::taskdef::sdk::tag_from_sdk)
            .collect();
        Ok(Some(self.remember(td, Some(tags))))
    }
}

/// Run `f` over `items` with at most [`READ_CONCURRENCY`] in flight; results in input order.
async fn run_limited<T, F, Fut, R>(items: Vec<T>, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    use futures_util::StreamExt;
    futures_util::stream::iter(items)
        .map(f)
        .buffered(READ_CONCURRENCY)
        .collect()
        .await
}
