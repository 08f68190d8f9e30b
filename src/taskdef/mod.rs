//! Task definitions as the config repo writes them (RegisterTaskDefinition
//! input). Their mapping to the ECS SDK lives in `ecs::taskdef`, the only
//! place that knows the SDK's types.
pub mod model;
