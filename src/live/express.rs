//! Services that Amazon ECS Express Mode manages, which deckhand refuses.
//!
//! An Express Mode service (made by CreateExpressGatewayService) is an ECS
//! service whose load balancer, target groups, security groups, scaling and
//! canary deployments ECS owns: ECS refuses UpdateService of its
//! `loadBalancers` and `deploymentConfiguration`, and changes it through
//! UpdateExpressGatewayService instead. DescribeServices tells it apart by
//! `services[].resourceManagementType`: `ECS` for an Express Mode service,
//! `CUSTOMER` for the others. Such a service is not set on `taskDefinition`
//! either (its deployments are), so it must be refused before its task
//! definition is looked up.

use crate::ecs::AwsError;

/// `resourceManagementType` of a service that Express Mode manages.
pub const MANAGED_BY_EXPRESS_MODE: &str = "ECS";

/// Services of a spec that Express Mode manages: `plan` and `apply` stop on
/// them (exit 1) before anything changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} managed by Amazon ECS Express Mode (DescribeServices reports resourceManagementType ECS): deckhand does not manage Express Mode services, whose load balancer, scaling and deployments ECS owns, and changed nothing; take {} out of `services:` and change {} with the Express Mode API (`aws ecs update-express-gateway-service`) or the console, or run the app as a standard ECS service under another name",
    listed(.services),
    if .services.len() == 1 { "it" } else { "them" },
    if .services.len() == 1 { "it" } else { "them" },
)]
pub struct ExpressServices {
    /// Their names, in the order given.
    pub services: Vec<String>,
}

impl ExpressServices {
    /// Those of `described` (name and `resourceManagementType`, as
    /// DescribeServices reports them) that Express Mode manages; None when
    /// there are none.
    pub fn among<'a>(
        described: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Option<ExpressServices> {
        let services: Vec<String> = described
            .into_iter()
            .filter(|(_, managed_by)| *managed_by == Some(MANAGED_BY_EXPRESS_MODE))
            .map(|(name, _)| name.to_owned())
            .collect();
        (!services.is_empty()).then_some(ExpressServices { services })
    }
}

/// `live::fetch` reports it as a request ECS must not be sent: a user error
/// (exit 1; the controller does not retry it for this commit).
impl From<ExpressServices> for AwsError {
    fn from(express: ExpressServices) -> AwsError {
        AwsError::Request {
            operation: "DescribeServices",
            detail: express.to_string(),
        }
    }
}

fn listed(services: &[String]) -> String {
    let quoted: Vec<String> = services.iter().map(|s| format!("'{s}'")).collect();
    match quoted.as_slice() {
        [one] => format!("service {one} is"),
        _ => format!("services {} are", quoted.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::ErrorClass;

    #[test]
    fn only_services_ecs_manages_are_express() {
        assert_eq!(
            ExpressServices::among([
                ("web", Some("ECS")),
                ("worker", Some("CUSTOMER")),
                ("old", None)
            ]),
            Some(ExpressServices {
                services: vec!["web".into()]
            })
        );
        assert_eq!(
            ExpressServices::among([("web", Some("CUSTOMER")), ("worker", None)]),
            None
        );
    }

    #[test]
    fn the_refusal_names_the_service_says_why_and_what_to_do() {
        let express = ExpressServices::among([("web", Some("ECS"))]).unwrap();
        let text = express.to_string();
        assert!(
            text.starts_with("service 'web' is managed by Amazon ECS Express Mode"),
            "{text}"
        );
        assert!(
            text.contains("deckhand does not manage Express Mode services"),
            "{text}"
        );
        assert!(
            text.contains("take it out of `services:`")
                && text.contains("update-express-gateway-service"),
            "{text}"
        );
        let two = ExpressServices::among([("web", Some("ECS")), ("api", Some("ECS"))]).unwrap();
        assert!(
            two.to_string()
                .starts_with("services 'web', 'api' are managed"),
            "{two}"
        );
    }

    #[test]
    fn it_is_a_user_error_not_retried() {
        let error = AwsError::from(ExpressServices::among([("web", Some("ECS"))]).unwrap());
        assert_eq!(error.class(), ErrorClass::User);
        assert!(error.to_string().contains("service 'web'"), "{error}");
    }
}
