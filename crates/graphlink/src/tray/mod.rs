//! `graphlink` without arguments: the tray app. It runs the one health
//! engine of the user, shows the worst state as an icon with a menu, shows
//! the notifications the engine's policy decides, and serves the IPC
//! endpoint that the status window and the subcommands use.
//!
//! It links no web engine: the window is a separate program.

mod app;
mod autostart;
mod demo_sim;
mod hooks;
mod look;
mod menu;
mod notifier;
mod window;

use std::process::ExitCode;
use std::sync::Arc;

use graphlink_core::engine::{self, clock::SystemClock};
use graphlink_core::ipc::{self, BindError, EngineService, Endpoint, Listener, Request};
use graphlink_core::link::DisconnectError;

use crate::commands::{Context, Profile};
use demo_sim::DemoSim;
use hooks::TrayHooks;
use window::WindowLauncher;

pub use window::ENDPOINT_VARIABLE;

/// The set of accounts the tray manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user's accounts.
    User,
    /// The demo account against an in-process simulator, with a Demo menu.
    Demo,
}

impl Mode {
    /// Returns the endpoint of this mode, so a demo and a real tray can run at once.
    ///
    /// # Errors
    ///
    /// Fails when there is no home directory.
    pub fn endpoint(self) -> anyhow::Result<Endpoint> {
        if let Some(address) = std::env::var_os(ENDPOINT_VARIABLE) {
            return Ok(Endpoint::at(address));
        }
        Ok(Endpoint::for_profile(match self {
            Self::User => "tray",
            Self::Demo => "demo",
        })?)
    }
}

/// Everything the running tray holds.
pub(crate) struct Tray {
    pub service: Arc<EngineService<TrayHooks>>,
    pub server: ipc::ServerHandle,
    pub demo: Option<Arc<DemoSim>>,
    pub endpoint: Endpoint,
    pub first_run: bool,
    pub log: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Runs the tray until the user quits. Blocks the calling thread, which
/// must be the main thread: desktop event loops require it.
///
/// When a tray already runs, this asks it to open its window, unless
/// `at_login` is set: a start-at-login entry that finds a tray (say, a
/// per-user entry next to a fleet-wide one) exits without showing anything.
pub fn run(mode: Mode, at_login: bool) -> ExitCode {
    #[cfg(all(unix, not(target_os = "macos")))]
    restart_without_opengl();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().thread_name("graphlink-engine").build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("graphlink: could not start: {error}");
            return ExitCode::from(2);
        }
    };
    let tray = match runtime.block_on(start(mode, at_login)) {
        Ok(Started::Running(tray)) => tray,
        Ok(Started::AlreadyRunning) => return ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("graphlink: {error:#}");
            // A tray started at login has no terminal, so the rep hears of it here.
            runtime.block_on(notifier::show_text("Graphlink could not start", &format!("{error:#}")));
            return ExitCode::from(2);
        }
    };
    let code = app::run(&runtime, tray);
    // A thread still waiting for a click on a notification that the server
    // never closed must not keep the tray from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

enum Started {
    Running(Box<Tray>),
    /// Another tray was running: it was asked to open its window, or left
    /// alone at login.
    AlreadyRunning,
}

async fn start(mode: Mode, at_login: bool) -> anyhow::Result<Started> {
    let endpoint = mode.endpoint()?;
    if ipc::is_running(&endpoint).await {
        if at_login {
            return Ok(Started::AlreadyRunning);
        }
        return open_running_window(&endpoint).await;
    }

    let demo = match mode {
        Mode::Demo => Some(Arc::new(DemoSim::start().await?)),
        Mode::User => None,
    };
    let profile = match &demo {
        Some(demo) => Profile::Demo(Box::new(demo.config()?)),
        None => Profile::Default,
    };
    let (link, log) = Context::load(profile)?.into_shared();
    if demo.is_some() {
        // Demo accounts from an earlier run belong to a simulator that is gone.
        match link.disconnect(None).await {
            Ok(_) | Err(DisconnectError::NotFound(_)) => {}
            Err(error) => return Err(anyhow::Error::new(error).context("could not clear the previous demo account")),
        }
    }

    let listener = match Listener::bind(&endpoint).await {
        Ok(listener) => listener,
        // Another tray started between the check above and now.
        Err(BindError::AlreadyRunning(_)) if at_login => return Ok(Started::AlreadyRunning),
        Err(BindError::AlreadyRunning(_)) => return open_running_window(&endpoint).await,
        Err(error) => return Err(error.into()),
    };
    let first_run = link.account_store().load().map(|records| records.is_empty()).unwrap_or(false);
    let mut engine = engine::spawn(Arc::clone(&link), Arc::new(SystemClock));
    // The demo's simulator does not care about sleep or the network.
    if mode == Mode::User {
        engine.watch_system_events();
    }
    let hooks = TrayHooks { window: WindowLauncher::new(endpoint.clone()), demo: demo.clone() };
    let service = Arc::new(EngineService::new(link, engine, hooks, None));
    let server = ipc::serve(listener, Arc::clone(&service));
    tracing::info!(endpoint = %endpoint, ?mode, "tray started");
    Ok(Started::Running(Box::new(Tray { service, server, demo, endpoint, first_run, log })))
}

async fn open_running_window(endpoint: &Endpoint) -> anyhow::Result<Started> {
    ipc::request(endpoint, &Request::OpenWindow).await?;
    eprintln!("Graphlink is already running; its window was opened.");
    Ok(Started::AlreadyRunning)
}

/// Returns true when a desktop session can show the tray: always on macOS
/// and Windows, and with `DISPLAY` or `WAYLAND_DISPLAY` set elsewhere.
pub fn has_display() -> bool {
    cfg!(any(target_os = "macos", windows)) || std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Restarts this process once with `GDK_GL=disable`, unless the variable is
/// set. GTK 3 opens an OpenGL context at start to choose visuals, which maps
/// the GL driver: under Xvfb with Mesa's software renderer that was 30 MB of
/// the tray's 65 MB PSS (libLLVM alone 26 MB). The tray draws nothing with
/// OpenGL. `exec` keeps the process ID, so launchers see no difference.
#[cfg(all(unix, not(target_os = "macos")))]
fn restart_without_opengl() {
    use std::os::unix::process::CommandExt as _;

    if std::env::var_os("GDK_GL").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let error = std::process::Command::new(&exe).args(std::env::args_os().skip(1)).env("GDK_GL", "disable").exec();
    // Only reached when exec failed; the tray then runs with OpenGL.
    eprintln!("graphlink: could not restart {} without OpenGL: {error}", exe.display());
}
