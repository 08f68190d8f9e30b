//! Task definitions as the config repo writes them (RegisterTaskDefinition input), and their mapping to the ECS SDK.
pub mod model;
pub mod sdk;
