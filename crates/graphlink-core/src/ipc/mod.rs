//! Local IPC between the tray, which runs the one health engine of a user,
//! and its clients: the status window and the subcommands.
//!
//! JSON lines over a Unix domain socket in the user's runtime directory
//! (directory 0700, socket 0600, peers checked to be the same user), or a
//! named pipe on Windows. See [`protocol`] for the messages.

mod client;
mod endpoint;
pub mod protocol;
mod server;
mod service;
mod transport;

pub use client::{Subscription, is_running, request, request_with_progress};
pub use endpoint::Endpoint;
pub use protocol::{ConnectOutcome, DemoFault, ErrorCode, Event, IpcError, Request};
pub use server::{Progress, ServerHandle, Service, serve};
pub use service::{EngineService, ShellHooks, WindowOpened};
pub use transport::{BindError, Listener};

#[cfg(all(test, unix))]
mod tests;
