//! Shared helpers of the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod gated_store;
pub mod harness;
