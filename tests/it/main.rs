//! deckhand's integration tests: one binary (every extra test binary is
//! another full link of the AWS SDK). Tests that touch ECS run against the
//! local emulator (moto + our plugin), started once for the binary.

mod accounts;
mod apply;
mod autoscaling;
mod aws;
mod ci_recipe;
mod cli;
mod controller;
mod corpus;
mod docs;
mod explain;
mod freeze;
mod git_auth;
mod iam;
mod ignore;
mod image;
mod init;
mod notify;
mod plan;
mod preflight;
mod promote;
mod replicas;
mod rollback;
mod service_definition;
mod servicedefs;
mod smoke;
mod support;
mod taskdefs;
mod trust;
mod ui;
