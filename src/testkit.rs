//! Fixtures shared by the unit tests: a validated environment built in
//! memory (no repo, no files), the shape of a Rails app with a web and a
//! worker service from one template.

use crate::spec::{
    DEFAULT_DEPLOY_TIMEOUT, DEFAULT_MIGRATION_TIMEOUT, DeployPolicy, Environment, Migration,
    Service, SyncPolicy,
};
use crate::taskdef::model::parse_task_definition;

/// The template both services use.
pub const TEMPLATE: &str = r#"{
  "family": "app",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "0.5 vCPU",
  "memory": "1 GB",
  "containerDefinitions": [{
    "name": "app",
    "image": "placeholder",
    "memoryReservation": 512,
    "portMappings": [{"containerPort": 3000}],
    "environment": [{"name": "RAILS_ENV", "value": "production"}]
  }]
}"#;

/// A service of the template with `count` tasks running `command`.
pub fn service(name: &str, count: Option<i32>, command: &[&str]) -> Service {
    Service {
        name: name.into(),
        family: format!("shop-{name}"),
        desired_count: count,
        container: "app".into(),
        command: Some(command.iter().map(|s| s.to_string()).collect()),
        environment: Default::default(),
        template_path: "task-definitions/app.json".into(),
        template: parse_task_definition(TEMPLATE).unwrap().into(),
        service_definition: None,
        autoscaling: None,
    }
}

/// `staging` on cluster `shop-staging`: web (2) and worker (2) on `image`;
/// with a revision, a migration from web's definition that quiesces worker.
pub fn environment(image: &str, revision: Option<&str>) -> Environment {
    Environment {
        name: "staging".into(),
        file: "environments/staging.yaml".into(),
        cluster: "shop-staging".into(),
        region: None,
        image: image.into(),
        migration: revision.map(|r| Migration {
            revision: r.into(),
            command: vec!["bin/rails".into(), "db:migrate".into()],
            timeout: DEFAULT_MIGRATION_TIMEOUT,
            quiesce: vec!["worker".into()],
            network_from: "web".into(),
        }),
        services: vec![
            service("web", Some(2), &["bin/rails", "server"]),
            service("worker", Some(2), &["bundle", "exec", "sidekiq"]),
        ],
        deploy: DeployPolicy {
            timeout: DEFAULT_DEPLOY_TIMEOUT,
            rollback: true,
        },
        sync: SyncPolicy {
            auto: true,
            self_heal: true,
            suspend: false,
            windows: Vec::new(),
        },
        notifications: vec![],
        promotion: Default::default(),
        smoke_test: None,
        ignore: Vec::new(),
        role_arn: None,
        role_external_id: None,
        signer: None,
    }
}
