//! Starting the status window, `graphlink-window`, a separate process that
//! connects back to the tray over IPC and exits when closed.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Mutex;

use graphlink_core::ipc::{Endpoint, ErrorCode, IpcError, WindowOpened};

/// Environment variable that names the endpoint the window connects to.
pub const ENDPOINT_VARIABLE: &str = "GRAPHLINK_ENDPOINT";
/// Environment variable that overrides the window program, for development.
const PROGRAM_VARIABLE: &str = "GRAPHLINK_WINDOW";

/// Starts the window on request, at most one at a time.
#[derive(Debug)]
pub struct WindowLauncher {
    endpoint: Endpoint,
    child: Mutex<Option<Child>>,
}

impl WindowLauncher {
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint, child: Mutex::new(None) }
    }

    /// Starts the window unless one started by this tray is still open.
    ///
    /// # Errors
    ///
    /// Fails when the window program is missing or cannot be started.
    pub fn open(&self) -> Result<WindowOpened, IpcError> {
        let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(running) = child.as_mut()
            && matches!(running.try_wait(), Ok(None))
        {
            tracing::info!("the status window is already open");
            return Ok(WindowOpened::AlreadyOpen);
        }
        let program = program();
        let started = Command::new(&program).env(ENDPOINT_VARIABLE, &self.endpoint.address).spawn().map_err(|error| {
            tracing::error!(program = %program.display(), %error, "could not start the status window");
            IpcError::new(ErrorCode::Unavailable, format!("Could not open the Graphlink window ({}: {error}).", program.display()))
        })?;
        tracing::info!(pid = started.id(), "status window started");
        *child = Some(started);
        Ok(WindowOpened::Started)
    }

    /// Collects the exit of a closed window, so its process does not stay
    /// behind as a zombie until the next open.
    pub fn reap(&self) {
        let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if child.as_mut().is_some_and(|running| matches!(running.try_wait(), Ok(Some(_)))) {
            *child = None;
        }
    }

    /// Ends the window this tray started, because without the tray it has
    /// nothing to show and no one to send its commands to.
    pub fn close(&self) {
        let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(mut running) = child.take()
            && matches!(running.try_wait(), Ok(None))
        {
            tracing::info!(pid = running.id(), "closing the status window");
            if let Err(error) = running.kill() {
                tracing::warn!(%error, "could not close the status window");
            }
            let _ = running.wait();
        }
    }
}

/// Returns `graphlink-window` next to this executable, unless overridden.
fn program() -> PathBuf {
    if let Some(program) = std::env::var_os(PROGRAM_VARIABLE) {
        return program.into();
    }
    let name = format!("graphlink-window{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe().map_or_else(|_| name.clone().into(), |exe| exe.with_file_name(&name))
}
