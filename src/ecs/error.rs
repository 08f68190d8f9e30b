//! ECS failures, typed and classified. Each error knows its [`ErrorClass`]
//! from its variant alone (the SDK's error kind and the service's error
//! code), never from message text, so the controller can decide between
//! "back off and retry" and "wait for a new commit" without reading words.

use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

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

/// An ECS failure.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    /// The credential chain found nothing.
    #[error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance/task role"
    )]
    NoCredentials {
        /// The SDK's cause chain (shown with `-v`).
        detail: String,
    },
    /// No region configured anywhere.
    #[error(
        "no AWS region: set `region:` in the environment spec, or AWS_REGION, or a profile region"
    )]
    NoRegion,
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    #[error("cannot reach ECS at {endpoint}: {detail}")]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// The innermost cause.
        detail: String,
    },
    /// The cluster does not exist (or is INACTIVE).
    #[error("cluster '{cluster}' not found in ECS{}", region.as_deref().map(|r| format!(" (region {r})")).unwrap_or_default())]
    ClusterNotFound {
        /// Cluster name.
        cluster: String,
        /// Region asked.
        region: Option<String>,
    },
    /// ECS answered with an error code.
    #[error("ECS {operation}: {code}: {message}")]
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
    #[error("ECS {operation}: {detail}")]
    Request {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Anything else the SDK reported.
    #[error("ECS {operation}: {detail}")]
    Other {
        /// The operation.
        operation: &'static str,
        /// The first line of the cause chain.
        detail: String,
    },
}

/// ECS error codes that mean "the request is wrong", not "try again".
const REJECTED_CODES: &[&str] = &[
    "ClientException",
    "InvalidParameterException",
    "ServiceNotFoundException",
    "ServiceNotActiveException",
    "PlatformUnknownException",
    "PlatformTaskDefinitionIncompatibilityException",
];

impl EcsError {
    /// The ECS error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            EcsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// How to treat this failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            EcsError::NoRegion | EcsError::Request { .. } => ErrorClass::User,
            EcsError::Api { code, status, .. }
                if *status < 500 && REJECTED_CODES.contains(&code.as_str()) =>
            {
                ErrorClass::User
            }
            _ => ErrorClass::Retryable,
        }
    }

    /// Turn an SDK error into ours, by the SDK's error kind.
    pub(crate) fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> EcsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + HttpStatus + Send + Sync + 'static,
    {
        let detail = DisplayErrorContext(&error).to_string();
        if let SdkError::ServiceError(service) = &error {
            let e = service.err();
            return EcsError::Api {
                operation,
                code: e.code().unwrap_or("Unknown").to_owned(),
                message: e.message().unwrap_or("").to_owned(),
                status: service.raw().status(),
            };
        }
        if caused_by_credentials(&error) {
            return EcsError::NoCredentials { detail };
        }
        let unreachable = match &error {
            SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
            SdkError::TimeoutError(_) => true,
            _ => false,
        };
        if unreachable {
            return EcsError::Unreachable {
                endpoint: endpoint_description(),
                detail: innermost_cause(&error),
            };
        }
        EcsError::Other {
            operation,
            detail: first_line(&detail),
        }
    }
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

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_owned()
}

fn endpoint_description() -> String {
    std::env::var("AWS_ENDPOINT_URL_ECS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|_| "the regional ECS endpoint".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> EcsError {
        EcsError::Api {
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
            (EcsError::NoRegion, ErrorClass::User),
            (
                EcsError::NoCredentials {
                    detail: String::new(),
                },
                ErrorClass::Retryable,
            ),
            (
                EcsError::ClusterNotFound {
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
