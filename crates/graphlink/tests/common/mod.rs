//! A private Graphlink installation per test: its own directories, the real
//! `graphlink` binary, the simulator on a loopback port, the simulator's
//! scripted browser as `BROWSER`, and the session's real Secret Service.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

use graphlink_sim::{SimHandle, SimState, SimUser, UserSpec};
use serde_json::Value;
use tempfile::TempDir;

pub struct TestEnv {
    pub dir: TempDir,
    pub sim: Option<SimHandle>,
    pub state: SimState,
    pub addr: SocketAddr,
    pub user: SimUser,
}

impl TestEnv {
    pub async fn start() -> Self {
        require_secret_service();
        let state = SimState::new();
        let user = state.add_user(UserSpec {
            username: "adele.vance@contoso.example".into(),
            display_name: "Test Rep".into(),
            password: "correct horse battery staple".into(),
            tenant_id: None,
        });
        let sim = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator starts");
        let addr = sim.addr();
        Self { dir: tempfile::tempdir().expect("tempdir"), sim: Some(sim), state, addr, user }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the simulator, as if Microsoft were unreachable.
    pub async fn stop_sim(&mut self) {
        if let Some(sim) = self.sim.take() {
            sim.stop().await;
        }
    }

    /// Starts the simulator again on the same port with the same state.
    pub async fn restart_sim(&mut self) {
        self.sim = Some(graphlink_sim::serve(self.state.clone(), self.addr).await.expect("simulator restarts on the same port"));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_graphlink"));
        let root = self.dir.path();
        command
            .args(args)
            .env("HOME", root.join("home"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_STATE_HOME", root.join("state"))
            // A private runtime directory, so a tray running on this machine never handles the test's commands.
            .env("XDG_RUNTIME_DIR", root.join("runtime"))
            .env("GRAPHLINK_CLIENT_ID", graphlink_sim::DEMO_CLIENT_ID)
            .env("GRAPHLINK_AUTHORITY", format!("{}/organizations/v2.0", self.base_url()))
            .env("GRAPHLINK_GRAPH_URL", format!("{}/v1.0", self.base_url()))
            .env("GRAPHLINK_LOG", "trace")
            .env("BROWSER", sim_browser())
            .env("SIM_BROWSER_USER", &self.user.username)
            .env("SIM_BROWSER_PASSWORD", &self.user.password)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Runs `graphlink` to completion on a blocking thread.
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().expect("graphlink runs")).await.expect("join")
    }

    pub async fn connect(&self) -> Output {
        self.run(&["connect", "--timeout", "30"]).await
    }

    /// Adds a second user to the first user's tenant.
    pub fn add_colleague(&self) -> SimUser {
        self.state.add_user(UserSpec {
            username: "megan.bowen@contoso.example".into(),
            display_name: "Megan Bowen".into(),
            password: "another horse battery staple".into(),
            tenant_id: Some(self.user.tenant_id.clone()),
        })
    }

    /// Runs `graphlink` with the scripted browser signing in as `user`.
    pub async fn run_as(&self, user: &SimUser, args: &[&str]) -> Output {
        let mut command = self.command(args);
        command.env("SIM_BROWSER_USER", &user.username).env("SIM_BROWSER_PASSWORD", &user.password);
        tokio::task::spawn_blocking(move || command.output().expect("graphlink runs")).await.expect("join")
    }

    /// Runs `connect --device-code` with `extra` arguments, then signs in as
    /// `user` on the device page with the printed code, pressing `choices`
    /// (`None`: the scripted browser's defaults). Its stderr contains Graphlink's
    /// lines followed by the scripted browser's output.
    pub async fn device_code_connect(&self, extra: &[&str], user: &SimUser, choices: Option<&str>) -> Output {
        self.state.set_device_code_interval(1);
        let mut args = vec!["connect", "--device-code"];
        args.extend_from_slice(extra);
        let mut command = self.command(&args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("graphlink starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut browser = Command::new(sim_browser());
        browser.env("SIM_BROWSER_USER", &user.username).env("SIM_BROWSER_PASSWORD", &user.password);
        if let Some(choices) = choices {
            browser.env("SIM_BROWSER_CHOICES", choices);
        }

        tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stderr).lines();
            let mut seen = Vec::new();
            let mut address = None;
            let code = loop {
                let line = lines.next().expect("graphlink printed the code").expect("utf-8");
                seen.push(line.clone());
                if let Some(rest) = line.strip_prefix("To sign in, open ") {
                    address = rest.split_whitespace().next().map(str::to_owned);
                } else if address.is_some() && !line.trim().is_empty() {
                    break line.trim().to_owned();
                }
            };
            let signed_in = browser.arg(address.expect("address printed")).env("SIM_BROWSER_CODE", &code).output().expect("sim-browser runs");
            // wait_with_output reads only what is still in the pipe, so the rest is collected here.
            seen.extend(lines.map_while(Result::ok));
            let mut output = child.wait_with_output().expect("graphlink exits");
            let mut stderr = seen.join("\n").into_bytes();
            stderr.push(b'\n');
            stderr.extend_from_slice(&signed_in.stdout);
            stderr.extend_from_slice(&signed_in.stderr);
            stderr.extend_from_slice(format!("\n[sim-browser exit {:?}]", signed_in.status.code()).as_bytes());
            output.stderr = stderr;
            output
        })
        .await
        .expect("join")
    }

    /// Runs `status --json` and returns the exit code and the document.
    pub async fn status(&self) -> (i32, Value) {
        let output = self.run(&["status", "--json"]).await;
        let document: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("status --json printed no JSON ({error}): {}", describe(&output)));
        (output.status.code().expect("exit code"), document)
    }

    /// Returns the single account of a status document.
    pub fn only_account(document: &Value) -> &Value {
        let accounts = document["accounts"].as_array().expect("accounts array");
        assert_eq!(accounts.len(), 1, "{document}");
        &accounts[0]
    }

    pub fn account_key(&self) -> String {
        format!("{}.{}", self.user.oid, self.user.tenant_id)
    }

    /// Reads the account's keyring entry with `secret-tool`, as a user would.
    pub fn keyring_secret(&self) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", "graphlink", "username", &self.account_key()])
            .output()
            .expect("secret-tool runs (install libsecret-tools)");
        let secret = String::from_utf8(output.stdout).expect("utf-8");
        (!secret.is_empty()).then_some(secret)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Returns every file under the test's directories containing `needle`.
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        walk(self.dir.path(), &mut |path| {
            if std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle.as_bytes())) {
                found.push(path.to_path_buf());
            }
        });
        found
    }
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Returns the path of the simulator's scripted browser, built next to `graphlink`.
pub fn sim_browser() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_graphlink")).with_file_name("sim-browser");
    assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` first (make test does)", path.display());
    path
}

fn require_secret_service() {
    let ok = Command::new("dbus-send")
        .args(["--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.DBus.Peer.Ping"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(ok, "these tests need a Secret Service on the session bus: run them through `make test` (scripts/with-keyring.sh)");
}
