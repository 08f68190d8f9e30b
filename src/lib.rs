//! deckhand: a declarative GitOps reconciler for AWS ECS.
//!
//! The layout follows the pipeline:
//!
//! - [`source`]: the config repo (directory, local git, git URL) as an immutable snapshot;
//! - [`spec`]: `environments/<name>.yaml` parsed, validated and rendered;
//! - [`tags`]: every `deckhand:*` tag key deckhand keeps its state in;
//! - [`taskdef`]: task definitions as RegisterTaskDefinition JSON;
//! - [`ecs`]: the one module that reaches ECS: the [`ecs::Ecs`] trait, its
//!   SDK client, plain ECS types, classified errors (and an in-memory fake for tests);
//! - [`live`]: what ECS runs now, read through [`ecs::Ecs`];
//! - [`plan`]: the pure planner (desired + live → ordered steps and diffs);
//! - [`apply`]: the release (lease, quiesce, migrate, roll out, roll back, notify);
//! - [`controller`]: continuous reconciliation (poll + webhook, drift, backoff, HTTP);
//! - [`report`]: how a plan is shown (text, JSON, Markdown);
//! - [`adopt`]: `init`, a config repo written from what a cluster runs;
//! - [`iam`]: the least-privilege IAM policy for applying environments;
//! - [`commands`]: each CLI command wired from those parts ([`cli`] holds the clap types).

pub mod adopt;
pub mod apply;
pub mod cli;
pub mod commands;
pub mod controller;
pub mod ecs;
pub mod history;
pub mod iam;
pub mod live;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod source;
pub mod spec;
pub mod tags;
pub mod taskdef;
#[cfg(test)]
mod testkit;
