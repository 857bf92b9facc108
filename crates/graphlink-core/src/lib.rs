//! Everything in Graphlink that is not user interface: configuration, sign-in,
//! token storage, the Graph health check and the classification of failures.
//!
//! The command-line program, the tray and the status window are shells over
//! this crate. None of its public types exposes a token except through
//! [`secrecy`] wrappers, whose `Debug` output is redacted.

pub mod accounts;
pub mod browser;
pub mod classify;
pub mod config;
pub mod consent;
pub mod discovery;
pub mod doctor;
pub mod engine;
pub mod graph;
pub mod http;
pub mod ipc;
pub mod link;
pub mod lock;
pub mod loopback;
pub mod managed_file;
pub mod oauth;
pub mod paths;
pub mod proxy;
pub mod readiness;
pub mod signin;
pub mod state;
pub mod tls;
pub mod token_store;

pub use secrecy::{self, ExposeSecret, SecretString};
