//! A desktop session for one test: its own directories and runtime
//! directory, the tray against the simulator, a D-Bus monitor that records
//! every notification, and tauri-driver to launch and drive the window.
//!
//! The caller provides the display, the session bus and the unlocked keyring
//! (`xvfb-run -a scripts/with-keyring.sh …`, as `make test` does).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graphlink_core::ipc::Endpoint;
use graphlink_sim::{SimHandle, SimState, SimUser, UserSpec};
use tempfile::TempDir;

/// Access tokens shorter-lived than the engine's refresh margin, so every
/// check refreshes and a revocation shows at the next check.
const ACCESS_TOKEN_LIFETIME_SECS: u64 = 120;

pub struct Desktop {
    pub dir: TempDir,
    pub state: SimState,
    pub user: SimUser,
    _sim: SimHandle,
    pub addr: SocketAddr,
    pub endpoint: Endpoint,
    monitor: Option<Child>,
    tray: Option<Child>,
    driver: Option<Child>,
    pub driver_port: u16,
}

impl Desktop {
    pub async fn start() -> Self {
        Self::start_with_tray_env(&[]).await
    }

    /// Starts the desktop with `tray_env` added to the tray's environment only.
    pub async fn start_with_tray_env(tray_env: &[(&str, &str)]) -> Self {
        assert!(std::env::var_os("DISPLAY").is_some(), "the desktop tests need a display: run them with `make test`, which uses Xvfb");
        let state = SimState::new();
        let user = state.add_user(UserSpec {
            username: "adele.vance@contoso.example".into(),
            display_name: "Adele Vance".into(),
            password: "correct horse battery staple".into(),
            tenant_id: None,
        });
        state.set_access_token_lifetime(ACCESS_TOKEN_LIFETIME_SECS);
        let sim = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator starts");
        let addr = sim.addr();

        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = dir.path().join("runtime");
        fs::create_dir_all(&runtime).expect("runtime dir");
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).expect("chmod runtime dir");
        let endpoint = Endpoint::at(runtime.join("graphlink").join("tray.sock"));

        let monitor = Command::new("dbus-monitor")
            .args(["--session", "type=method_call,interface=org.freedesktop.Notifications,member=Notify"])
            .stdout(fs::File::create(dir.path().join("notifications.log")).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor runs (install dbus)");

        let recorder = dir.path().join("record-window-launch");
        fs::write(&recorder, format!("#!/bin/sh\necho launched >> '{}'\n", dir.path().join("window-launches").display())).expect("launch recorder");
        fs::set_permissions(&recorder, fs::Permissions::from_mode(0o755)).expect("chmod launch recorder");

        let mut desktop = Self { dir, state, user, _sim: sim, addr, endpoint, monitor: Some(monitor), tray: None, driver: None, driver_port: free_port() };
        desktop.start_tray(tray_env);
        desktop.start_driver();
        desktop
    }

    /// Applies the test's environment: private directories, the simulator as
    /// Microsoft, and its scripted browser.
    pub fn configure(&self, command: &mut Command) {
        let root = self.dir.path();
        let base = format!("http://{}", self.addr);
        command
            .env("HOME", root.join("home"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_STATE_HOME", root.join("state"))
            .env("XDG_RUNTIME_DIR", root.join("runtime"))
            .env("GRAPHLINK_CLIENT_ID", graphlink_sim::DEMO_CLIENT_ID)
            .env("GRAPHLINK_AUTHORITY", format!("{base}/organizations/v2.0"))
            .env("GRAPHLINK_GRAPH_URL", format!("{base}/v1.0"))
            .env("GRAPHLINK_LOG", "debug")
            .env("BROWSER", sibling("sim-browser"))
            .env("SIM_BROWSER_USER", &self.user.username)
            .env("SIM_BROWSER_PASSWORD", &self.user.password)
            // The test launches the window through tauri-driver; the tray's
            // own launches only leave a line in a file.
            .env("GRAPHLINK_WINDOW", root.join("record-window-launch"));
    }

    fn start_tray(&mut self, extra_env: &[(&str, &str)]) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_graphlink"));
        self.configure(&mut command);
        command.envs(extra_env.iter().copied());
        command.stdout(Stdio::null()).stderr(fs::File::create(self.dir.path().join("tray.stderr")).expect("stderr file"));
        self.tray = Some(command.spawn().expect("the tray starts"));
        wait_until(Duration::from_secs(20), "the tray's IPC socket", || self.endpoint.address.exists());
    }

    fn start_driver(&mut self) {
        let mut command = Command::new(tauri_driver());
        self.configure(&mut command);
        command
            .env("GRAPHLINK_ENDPOINT", &self.endpoint.address)
            .args(["--port", &self.driver_port.to_string(), "--native-port", &free_port().to_string(), "--native-driver", "/usr/bin/WebKitWebDriver"])
            .stdout(Stdio::null())
            .stderr(fs::File::create(self.dir.path().join("tauri-driver.stderr")).expect("stderr file"));
        // A group of its own, so WebKitWebDriver, its child, ends with it.
        command.process_group(0);
        self.driver = Some(command.spawn().expect("tauri-driver starts"));
    }

    /// Runs `graphlink` with arguments, as the user would while the tray runs.
    pub async fn graphlink(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_graphlink"));
        self.configure(&mut command);
        command.args(args).env_remove("DISPLAY");
        tokio::task::spawn_blocking(move || command.output().expect("graphlink runs")).await.expect("join")
    }

    /// Returns how often the tray started the window program so far.
    pub fn window_launches(&self) -> usize {
        fs::read_to_string(self.dir.path().join("window-launches")).unwrap_or_default().lines().count()
    }

    /// Returns the summaries of every notification sent so far.
    pub fn notifications(&self) -> Vec<String> {
        let log = fs::read_to_string(self.dir.path().join("notifications.log")).unwrap_or_default();
        notification_summaries(&log)
    }

    /// Waits for the notifications to reach `count`, then returns them.
    pub async fn wait_for_notifications(&self, count: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.notifications();
            if seen.len() >= count || Instant::now() > deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot of the window as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // The page's DOM changes before WebKit paints it on the X server.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let dir = target_dir().join("screenshots");
        fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        let windows = Command::new("xdotool").args(["search", "--onlyvisible", "--name", "^Graphlink$"]).output().expect("xdotool runs (install xdotool)");
        let window = String::from_utf8_lossy(&windows.stdout).lines().last().map(str::to_owned);
        // Without a window manager the window may have no visible top-level
        // of its own; the whole screen is the fallback.
        for target in window.iter().map(String::as_str).chain(["root"]) {
            let imported = Command::new("import").args(["-window", target, path.to_str().expect("utf-8 path")]).status().expect("import runs (install imagemagick)");
            if imported.success() {
                return path;
            }
        }
        panic!("import could not take a screenshot");
    }

    /// Signs in on the simulator's device page with `code`, as a phone would.
    pub async fn sign_in_with_code(&self, address: &str, code: &str) {
        let mut command = Command::new(sibling("sim-browser"));
        command
            .arg(address)
            .env("SIM_BROWSER_USER", &self.user.username)
            .env("SIM_BROWSER_PASSWORD", &self.user.password)
            .env("SIM_BROWSER_CODE", code);
        let output = tokio::task::spawn_blocking(move || command.output().expect("sim-browser runs")).await.expect("join");
        assert!(output.status.success(), "sim-browser failed: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Waits up to `timeout` for the clipboard to contain `needle` and returns its text.
    pub async fn wait_for_clipboard(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let output = Command::new("xclip").args(["-selection", "clipboard", "-o"]).output().expect("xclip runs (install xclip)");
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "the clipboard does not contain {needle:?} after {timeout:?}: {text:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Returns everything the tray wrote to its log directory.
    pub fn tray_logs(&self) -> String {
        let dir = self.dir.path().join("state").join("graphlink").join("logs");
        let mut text = String::new();
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            text.push_str(&fs::read_to_string(entry.path()).unwrap_or_default());
        }
        text
    }

    /// Returns the home directory the tray and the commands run with.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Returns the process ID of the tray.
    pub fn tray_pid(&self) -> u32 {
        self.tray.as_ref().expect("the tray runs").id()
    }

    /// Stops the tray with SIGTERM, as a logout does, and returns its exit status.
    pub fn stop_tray(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.tray_pid().to_string()]).status();
        self.wait_for_tray_exit()
    }

    /// Waits up to ten seconds for the tray to exit and returns its exit status.
    pub fn wait_for_tray_exit(&mut self) -> std::process::ExitStatus {
        let mut tray = self.tray.take().expect("the tray runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = tray.try_wait().expect("wait for the tray") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = tray.kill();
                panic!("the tray did not exit within 10 seconds");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn artifact(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(driver) = &self.driver {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", driver.id())]).status();
        }
        for child in [self.driver.as_mut(), self.tray.as_mut(), self.monitor.as_mut()].into_iter().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Extracts the summary of each `Notify` call from `dbus-monitor` output:
/// the fourth string argument (app name, replaces ID, icon, summary, body, …).
pub fn notification_summaries(log: &str) -> Vec<String> {
    log.split("member=Notify")
        .skip(1)
        .filter_map(|call| {
            call.lines()
                .filter_map(|line| line.trim().strip_prefix("string \"").and_then(|rest| rest.strip_suffix('"')))
                .nth(2)
                .map(str::to_owned)
        })
        .collect()
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_graphlink")).parent().and_then(Path::parent).expect("target directory").to_path_buf()
}

/// Returns a binary built next to `graphlink`.
pub fn sibling(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_graphlink")).with_file_name(name)
}

/// Returns tauri-driver: `TAURI_DRIVER`, else the one `cargo install` put in Cargo's bin directory.
fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return path.into();
    }
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"), PathBuf::from);
    let path = cargo_home.join("bin").join("tauri-driver");
    assert!(path.exists(), "{} is missing: run scripts/install-tauri-driver.sh (make test does)", path.display());
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|listener| listener.local_addr()).expect("a free port").port()
}

fn wait_until(timeout: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
