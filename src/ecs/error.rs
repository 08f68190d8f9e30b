//! AWS failures (ECS, Application Auto Scaling, the lookups' services,
//! DynamoDB, and signing in), typed and classified. Each error knows its [`ErrorClass`]
//! from its variant alone (the SDK's error kind and the service's error
//! code), never from message text, so the controller can decide between
//! "back off and retry" and "wait for a new commit" without reading words.
//! Every message is one or two plain sentences with the fix; the SDK's own
//! error is kept as the `source` for the cause chain printed with `-v`.

use super::credentials::CredentialSource;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// An underlying error, kept for the cause chain printed with `-v`.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How a failure should be treated by whoever retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient or fixed outside git (throttling, 5xx, network, credentials,
    /// permissions, a missing cluster): retry with backoff.
    Retryable,
    /// This commit cannot be released (a failed migration): do not retry it;
    /// a new commit starts afresh.
    Terminal,
    /// The input is wrong (the spec, or a value ECS rejects): fix it in git.
    User,
}

/// A failure of an AWS call (or of signing in before one).
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// The credential chain found nothing; `advice` is worded for the source
    /// the user configured (see [`CredentialSource::advice`]).
    #[error("{advice}")]
    NoCredentials {
        /// What is wrong and what to do.
        advice: String,
        /// The SDK's error (shown with `-v`).
        #[source]
        cause: Option<Cause>,
    },
    /// `AWS_PROFILE` names a profile that is in neither AWS file.
    #[error(
        "AWS profile '{profile}' is not in the AWS config or credentials file: check AWS_PROFILE, or create the profile with `aws configure sso --profile {profile}`"
    )]
    UnknownProfile {
        /// The profile.
        profile: String,
    },
    /// The AWS config or credentials file cannot be read or parsed.
    #[error("cannot read the AWS config files: {message}")]
    ProfileFile {
        /// What the parser said (file and line).
        message: String,
    },
    /// An endpoint variable is not an http(s) URL.
    #[error(
        "{variable} is not an http(s) URL: {value:?}; set it to a full URL such as https://ecs.us-east-1.amazonaws.com, or unset it"
    )]
    BadEndpoint {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// No region configured anywhere.
    #[error(
        "no AWS region: set `region:` in the environment spec, or AWS_REGION, or a profile region"
    )]
    NoRegion,
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    #[error(
        "cannot reach {service} at {endpoint} ({detail}): check the network and the region, and AWS_ENDPOINT_URL if it is set"
    )]
    Unreachable {
        /// The service (ECS, DynamoDB, …).
        service: &'static str,
        /// The endpoint tried.
        endpoint: String,
        /// The innermost cause.
        detail: String,
        /// The SDK's error (shown with `-v`).
        #[source]
        cause: Option<Cause>,
    },
    /// The cluster does not exist (or is INACTIVE).
    #[error("cluster '{cluster}' not found in ECS{}", region.as_deref().map(|r| format!(" (region {r})")).unwrap_or_default())]
    ClusterNotFound {
        /// Cluster name.
        cluster: String,
        /// Region asked.
        region: Option<String>,
    },
    /// The credentials are not allowed to make this call.
    #[error(
        "AWS denied {action}: {message}; allow it for these credentials (`deckhand iam-policy` prints the policy deckhand needs)"
    )]
    AccessDenied {
        /// The IAM action, e.g. `ecs:UpdateService`.
        action: String,
        /// AWS's message (it names the principal and the resource).
        message: String,
    },
    /// AWS no longer accepts the credentials (expired token, unknown key).
    #[error("{advice} ({code} on {operation})")]
    CredentialsRejected {
        /// The operation.
        operation: &'static str,
        /// AWS's error code.
        code: String,
        /// What to do.
        advice: String,
    },
    /// The `--lock-table` table does not exist.
    #[error("lock table '{table}' not found in DynamoDB{}: create it with `deckhand lock-table create {table}`, or check --lock-table and the region", region.as_deref().map(|r| format!(" (region {r})")).unwrap_or_default())]
    LockTableMissing {
        table: String,
        region: Option<String>,
    },
    /// The table is there but is not one deckhand can keep leases in.
    #[error(
        "table '{table}' is not a deckhand lock table: {detail}; pick another name for --lock-table"
    )]
    NotALockTable { table: String, detail: String },
    /// A release's lease is no longer ours: stop before changing ECS.
    #[error(
        "the release lease of environment '{environment}' is no longer held ({reason}); stopped before the next change to ECS, and whoever holds the lease now carries the release on"
    )]
    LeaseLost { environment: String, reason: String },
    /// ECS answered with an error code.
    #[error("{} {operation}: {code}: {message}", service_name(operation))]
    Api {
        /// The operation.
        operation: &'static str,
        /// ECS's error code, e.g. `ClientException`.
        code: String,
        /// ECS's message.
        message: String,
        /// HTTP status of the answer (5xx: ECS's side).
        status: u16,
    },
    /// deckhand could not express a request (a field ECS requires is missing).
    #[error("{} {operation}: {detail}", service_name(operation))]
    Request {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Anything else the SDK reported.
    #[error("{} {operation}: {detail}", service_name(operation))]
    Other {
        /// The operation.
        operation: &'static str,
        /// The innermost cause.
        detail: String,
        /// The SDK's error (shown with `-v`).
        #[source]
        cause: Option<Cause>,
    },
}

/// Error codes meaning the credentials have expired.
const EXPIRED_CODES: &[&str] = &["ExpiredTokenException", "ExpiredToken", "RequestExpired"];
/// Error codes meaning AWS does not know the credentials.
const UNRECOGNIZED_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
];
/// Error codes meaning IAM denied the call.
const DENIED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
];

/// ECS error codes that mean "the request is wrong", not "try again".
const REJECTED_CODES: &[&str] = &[
    "ClientException",
    "InvalidParameterException",
    "ServiceNotFoundException",
    "ServiceNotActiveException",
    "PlatformUnknownException",
    "PlatformTaskDefinitionIncompatibilityException",
];

impl AwsError {
    /// The ECS error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// For `map_err`: a request of `operation` deckhand could not build.
    pub(crate) fn request<E: std::fmt::Display>(
        operation: &'static str,
    ) -> impl FnOnce(E) -> AwsError {
        move |e| AwsError::Request {
            operation,
            detail: e.to_string(),
        }
    }

    /// How to treat this failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            AwsError::NoRegion
            | AwsError::Request { .. }
            | AwsError::LockTableMissing { .. }
            | AwsError::NotALockTable { .. } => ErrorClass::User,
            AwsError::Api { code, status, .. }
                if *status < 500 && REJECTED_CODES.contains(&code.as_str()) =>
            {
                ErrorClass::User
            }
            _ => ErrorClass::Retryable,
        }
    }

    /// Turn an SDK error into ours, by the SDK's error kind and the
    /// service's error code; `credentials` words the credential failures.
    pub(crate) fn from_sdk<E, R>(
        operation: &'static str,
        error: SdkError<E, R>,
        credentials: &CredentialSource,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + HttpStatus + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(service) = &error {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_owned();
            let message = e.message().unwrap_or("").to_owned();
            if DENIED_CODES.contains(&code.as_str()) {
                return AwsError::AccessDenied {
                    action: iam_action(operation),
                    message,
                };
            }
            if EXPIRED_CODES.contains(&code.as_str()) {
                return AwsError::CredentialsRejected {
                    operation,
                    code,
                    advice: credentials.expired_advice(),
                };
            }
            if UNRECOGNIZED_CODES.contains(&code.as_str()) {
                return AwsError::CredentialsRejected {
                    operation,
                    code,
                    advice: "AWS does not recognise these credentials (wrong access key, secret or account): check them, or sign in again".into(),
                };
            }
            return AwsError::Api {
                operation,
                code,
                message,
                status: service.raw().status(),
            };
        }
        let detail = innermost_cause(&error);
        if caused_by_credentials(&error) {
            return AwsError::NoCredentials {
                advice: credentials.advice(&detail),
                cause: Some(Box::new(error)),
            };
        }
        let unreachable = match &error {
            SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
            SdkError::TimeoutError(_) => true,
            _ => false,
        };
        if unreachable {
            return AwsError::Unreachable {
                service: service_name(operation),
                endpoint: endpoint_description(operation),
                detail,
                cause: Some(Box::new(error)),
            };
        }
        AwsError::Other {
            operation,
            detail,
            cause: Some(Box::new(error)),
        }
    }
}

/// The IAM action of an operation: `ecs:UpdateService`, or the service
/// prefix of the other APIs deckhand calls.
fn iam_action(operation: &str) -> String {
    format!("{}:{operation}", service_of(operation).0)
}

/// The IAM prefix and the name of the service an operation belongs to.
fn service_of(operation: &str) -> (&'static str, &'static str) {
    match operation {
        "DescribeScalableTargets" | "RegisterScalableTarget" => {
            ("application-autoscaling", "Application Auto Scaling")
        }
        "DescribeImages" => ("ecr", "ECR"),
        "GetRole" => ("iam", "IAM"),
        "GetParameters" => ("ssm", "SSM"),
        "DescribeSecret" => ("secretsmanager", "Secrets Manager"),
        "DescribeLogGroups" | "GetLogEvents" => ("logs", "CloudWatch Logs"),
        "UpdateItem" | "DeleteItem" | "Scan" | "CreateTable" | "DescribeTable"
        | "DescribeTimeToLive" | "UpdateTimeToLive" => ("dynamodb", "DynamoDB"),
        _ => ("ecs", "ECS"),
    }
}

/// The service of an operation, in messages.
pub(crate) fn service_name(operation: &str) -> &'static str {
    service_of(operation).1
}

/// The HTTP status of a raw response.
pub(crate) trait HttpStatus {
    /// The status code.
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Did the credential chain fail? (A typed look down the cause chain.)
fn caused_by_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// The innermost cause of a failure ("Connection refused (os error 111)").
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The endpoint `operation` goes to, for messages.
pub(crate) fn endpoint_description(operation: &str) -> String {
    let service = service_name(operation);
    // The SDK's per-service variable: AWS_ENDPOINT_URL_ECS, …_DYNAMODB, …
    let variable = format!(
        "AWS_ENDPOINT_URL_{}",
        service.to_uppercase().replace(' ', "_")
    );
    std::env::var(variable)
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| format!("the regional {service} endpoint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> AwsError {
        AwsError::Api {
            operation: "UpdateService",
            code: code.into(),
            message: String::new(),
            status,
        }
    }

    #[test]
    fn errors_are_classified_by_kind_and_code() {
        let cases = [
            (api("ThrottlingException", 400), ErrorClass::Retryable),
            (api("ServerException", 500), ErrorClass::Retryable),
            (api("AccessDeniedException", 400), ErrorClass::Retryable),
            (api("ClientException", 400), ErrorClass::User),
            (api("InvalidParameterException", 400), ErrorClass::User),
            (AwsError::NoRegion, ErrorClass::User),
            (
                AwsError::NoCredentials {
                    advice: String::new(),
                    cause: None,
                },
                ErrorClass::Retryable,
            ),
            (
                AwsError::ClusterNotFound {
                    cluster: "c".into(),
                    region: None,
                },
                ErrorClass::Retryable,
            ),
        ];
        for (error, class) in cases {
            assert_eq!(error.class(), class, "{error}");
        }
    }
}
