//! The tray's additions to the engine's IPC service: opening the window
//! and, in the demo, injecting faults.

use std::sync::Arc;

use graphlink_core::ipc::{DemoFault, IpcError, ShellHooks, WindowOpened};

use super::demo_sim::DemoSim;
use super::window::WindowLauncher;

#[derive(Debug)]
pub struct TrayHooks {
    pub window: WindowLauncher,
    pub demo: Option<Arc<DemoSim>>,
}

impl ShellHooks for TrayHooks {
    fn open_window(&self) -> Result<WindowOpened, IpcError> {
        self.window.open()
    }

    async fn demo(&self, fault: DemoFault) -> Result<(), IpcError> {
        match &self.demo {
            Some(demo) => demo.apply(fault).await,
            None => Err(IpcError::new(graphlink_core::ipc::ErrorCode::Unsupported, "Demo controls exist only in `graphlink demo`.")),
        }
    }
}
