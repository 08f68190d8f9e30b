//! Validating `ignore:` rules: the service each names, and every pointer
//! against the model it points into (`spec::ignore::check`).

use super::super::ignore::{IgnoreRule, Pointer, Target, check};
use super::super::raw::IgnoreBlock;
use super::Validator;
use crate::spec::{FieldPath, Service};

impl Validator<'_> {
    /// The rules of `ignore:`, each checked against `services`.
    pub(super) fn ignore(
        &mut self,
        blocks: &[IgnoreBlock],
        services: &[Service],
    ) -> Vec<IgnoreRule> {
        let mut rules = Vec::with_capacity(blocks.len());
        for (index, block) in blocks.iter().enumerate() {
            let at = FieldPath::keys(&["ignore"]).index(index);
            let service = (block.service != "*").then(|| block.service.clone());
            let covered: Vec<&Service> = services
                .iter()
                .filter(|s| service.as_deref().is_none_or(|n| n == s.name))
                .collect();
            if let Some(name) = &service
                && covered.is_empty()
            {
                let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                self.problem_at(
                    &at.clone().key("service"),
                    format!("'{name}' is not a service of this environment"),
                    format!(
                        "name one of: {}, or \"*\" for every service",
                        names.join(", ")
                    ),
                );
            }
            let (tds, sds) = (
                block.task_definition.as_deref().unwrap_or(&[]),
                block.service_definition.as_deref().unwrap_or(&[]),
            );
            if tds.is_empty() && sds.is_empty() {
                self.problem_at(
                    &at,
                    "the rule ignores nothing",
                    "give it `taskDefinition:` or `serviceDefinition:` pointers, e.g. `taskDefinition: [/containerDefinitions/app/environment/NEW_RELIC_APP_NAME]`",
                );
            }
            let containers: Vec<&str> = covered.iter().map(|s| s.container.as_str()).collect();
            let task_definition = self.pointers(&at, Target::TaskDefinition, tds, &containers);
            let service_definition =
                self.pointers(&at, Target::ServiceDefinition, sds, &containers);
            if !sds.is_empty()
                && !covered.is_empty()
                && covered.iter().all(|s| s.service_definition.is_none())
            {
                self.problem_at(
                    &at.clone().key("serviceDefinition"),
                    format!(
                        "{} no serviceDefinition, so these pointers would match nothing",
                        match &service {
                            Some(name) => format!("service '{name}' has"),
                            None => "no service has".to_owned(),
                        }
                    ),
                    "give the service a serviceDefinition, or remove the serviceDefinition pointers",
                );
            }
            rules.push(IgnoreRule {
                index,
                service,
                task_definition,
                service_definition,
            });
        }
        rules
    }

    /// The pointers of one list, each parsed and checked.
    fn pointers(
        &mut self,
        at: &FieldPath,
        target: Target,
        texts: &[String],
        containers: &[&str],
    ) -> Vec<Pointer> {
        let mut pointers = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let field = at.clone().key(target.key()).index(index);
            match Pointer::parse(text) {
                Err(why) => self.problem_at(
                    &field,
                    why,
                    "write a JSON Pointer such as /containerDefinitions/app/environment/NEW_RELIC_APP_NAME (escape ~ as ~0 and / as ~1)",
                ),
                Ok(pointer) => match check(target, &pointer, containers) {
                    Err(refusal) => self.problem_at(&field, refusal.message, refusal.hint),
                    Ok(()) => pointers.push(pointer),
                },
            }
        }
        pointers
    }
}
