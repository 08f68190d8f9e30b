//! deckhand: a declarative GitOps reconciler for AWS ECS.
//!
//! The modules follow the pipeline, source → spec → live → plan → apply →
//! controller; each says what it is for in its own doc comment, and
//! `docs/ARCHITECTURE.md` (section "Layout") is the map of them.

pub mod adopt;
pub mod apply;
pub mod cli;
pub mod commands;
pub mod controller;
pub mod ecs;
pub mod guard;
pub mod history;
pub mod iam;
pub mod json;
pub mod live;
pub mod plan;
pub mod preflight;
pub mod promote;
pub mod report;
pub mod servicedef;
pub mod source;
pub mod spec;
pub mod tags;
pub mod taskdef;
#[cfg(test)]
mod testkit;
