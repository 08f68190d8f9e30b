//! Test support: the shared ECS emulator, a headless Chromium driver, a tiny HTTP client for its admin
//! API, and `Fixture`, one isolated environment per test (its own access key,
//! cluster, families and config repo).

pub mod browser;
pub mod emulator;
pub mod fixture;

pub use emulator::{Call, emulator};
pub use fixture::Fixture;
