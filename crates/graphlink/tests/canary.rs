//! Secrets never leave the keyring: every command-line flow runs with trace
//! logging while the simulator issues tokens and codes that start with a
//! canary. Afterwards, the log files, every file under the test's home,
//! configuration, data, state and runtime directories, and the output of
//! every command (including a panic and a SIGABRT) are searched for the
//! canary, the PKCE verifiers, the ID tokens and the demo's refresh token.
//! None may appear.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{TestEnv, describe};
use graphlink_sim::Faults;

/// Base64url characters only, so codes and tokens stay valid in URLs and forms.
const CANARY: &str = "CANARYq7Zk3Wx";

/// The output of one command, kept for the final search.
struct Transcript {
    label: String,
    output: Output,
}

struct CanaryRun {
    env: TestEnv,
    transcripts: Vec<Transcript>,
    /// Secrets without the canary prefix, each with its kind: the PKCE
    /// verifiers and ID tokens the simulator saw or issued, and the demo's
    /// refresh token from its own simulator.
    needles: Vec<(String, &'static str)>,
}

impl CanaryRun {
    async fn start() -> Self {
        let env = TestEnv::start().await;
        env.state.set_token_prefix(CANARY);
        std::fs::create_dir_all(env.dir.path().join("runtime")).expect("runtime dir");
        Self { env, transcripts: Vec::new(), needles: Vec::new() }
    }

    /// Returns the command with a private runtime directory (so a running
    /// tray never handles it), full backtraces, and the test directory as working
    /// directory, so a core dump would land where the search looks.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.env.command(args);
        let runtime = self.env.dir.path().join("runtime");
        command
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("RUST_BACKTRACE", "full")
            .env("RUST_LIB_BACKTRACE", "1")
            .current_dir(self.env.dir.path());
        command
    }

    async fn run(&mut self, label: &str, args: &[&str]) -> Output {
        let mut command = self.command(args);
        let output = tokio::task::spawn_blocking(move || command.output().expect("graphlink runs")).await.expect("join");
        self.record(label, output.clone());
        output
    }

    fn record(&mut self, label: &str, output: Output) {
        self.collect_needles();
        self.transcripts.push(Transcript { label: label.to_owned(), output });
    }

    /// Remembers the latest verifier and ID token the simulator saw.
    fn collect_needles(&mut self) {
        let latest = [(self.env.state.last_code_verifier(), "PKCE verifier"), (self.env.state.last_id_token(), "ID token")];
        for (needle, kind) in latest {
            self.remember(needle, kind);
        }
    }

    fn remember(&mut self, needle: Option<String>, kind: &'static str) {
        if let Some(needle) = needle.filter(|needle| !self.needles.iter().any(|(known, _)| known == needle)) {
            self.needles.push((needle, kind));
        }
    }

    /// Remembers the refresh tokens of `graphlink demo`, whose simulator
    /// runs inside the demo process and issues no canary.
    fn collect_demo_tokens(&mut self) {
        let output = Command::new("secret-tool").args(["search", "--all", "service", "graphlink-demo"]).output().expect("secret-tool runs");
        let listing = String::from_utf8_lossy(&output.stdout).into_owned();
        for line in listing.lines() {
            if let Some(secret) = line.strip_prefix("secret = ") {
                self.remember(Some(secret.to_owned()), "demo refresh token");
            }
        }
    }

    /// Runs `graphlink demo` with its own simulator and scripted browser.
    async fn demo(&mut self) -> Output {
        let mut command = self.command(&["demo"]);
        command.env_remove("BROWSER").env_remove("SIM_BROWSER_USER").env_remove("SIM_BROWSER_PASSWORD");
        let output = tokio::time::timeout(Duration::from_secs(60), tokio::task::spawn_blocking(move || command.output().expect("graphlink runs")))
            .await
            .expect("the demo finishes within a minute")
            .expect("join");
        self.record("demo", output.clone());
        output
    }

    /// Runs `connect --device-code` and signs in on the device page with the
    /// code it prints.
    async fn device_code_connect(&mut self) -> Output {
        let output = self.env.device_code_connect(&[], &self.env.user, None).await;
        self.record("connect --device-code", output.clone());
        output
    }

    /// Runs `status` with its standard output closed before it prints. A
    /// plain `println!` panics there, and a panic prints to stderr.
    async fn status_with_closed_stdout(&mut self) -> Output {
        let mut command = self.command(&["status"]);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("graphlink starts");
        drop(child.stdout.take());
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().expect("graphlink exits")).await.expect("join");
        self.record("status with stdout closed", output.clone());
        output
    }

    /// Runs `status` against a slow token endpoint and sends SIGABRT while
    /// it waits for the refresh, with core dumps allowed by the shell.
    async fn status_aborted_mid_refresh(&mut self) -> Output {
        let username = self.env.user.username.clone();
        self.env.state.set_faults(&username, Faults { latency_ms: 2_000, ..Faults::default() });
        let binary = env!("CARGO_BIN_EXE_graphlink");
        let command = self.command(&[]);
        // `ulimit -c` raises the soft limit up to the hard one, as a user
        // debugging a crash would. Graphlink must still leave no core behind.
        let mut shell = Command::new("sh");
        shell.args(["-c", "ulimit -c unlimited 2>/dev/null; exec \"$0\" status --json", binary]);
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => shell.env(key, value),
                None => shell.env_remove(key),
            };
        }
        shell.current_dir(self.env.dir.path()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = shell.spawn().expect("graphlink starts");

        tokio::time::sleep(Duration::from_millis(1_000)).await;
        // The shell's built-in `kill`, because minimal systems lack procps.
        let killed = Command::new("sh").args(["-c", "kill -ABRT \"$0\"", &child.id().to_string()]).status().expect("sh runs");
        assert!(killed.success(), "kill -ABRT failed");
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().expect("graphlink exits")).await.expect("join");
        self.env.state.set_faults(&username, Faults::default());
        self.record("status killed with SIGABRT", output.clone());
        output
    }

    /// Returns every place a secret was found, as "where: which".
    fn findings(&self) -> Vec<String> {
        let mut needles = vec![(CANARY.to_owned(), "canary".to_owned())];
        for (index, (needle, kind)) in self.needles.iter().enumerate() {
            needles.push((needle.clone(), format!("{kind} #{index}")));
            // A JWT's signature alone identifies it.
            if let Some(signature) = needle.rsplit('.').next().filter(|_| *kind == "ID token") {
                needles.push((signature.to_owned(), format!("{kind} #{index} signature")));
            }
        }

        let mut findings = Vec::new();
        let mut search = |place: &str, bytes: &[u8]| {
            for (needle, name) in &needles {
                if contains(bytes, needle.as_bytes()) {
                    findings.push(format!("{place}: {name}"));
                }
            }
        };
        for transcript in &self.transcripts {
            search(&format!("stdout of {}", transcript.label), &transcript.output.stdout);
            search(&format!("stderr of {}", transcript.label), &transcript.output.stderr);
        }
        for file in files_under(self.env.dir.path()) {
            if let Ok(bytes) = std::fs::read(&file) {
                search(&file.display().to_string(), &bytes);
            }
        }
        findings
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn no_flow_leaks_secrets() {
    let mut run = CanaryRun::start().await;
    let username = run.env.user.username.clone();

    let output = run.run("connect", &["connect", "--timeout", "30"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    let stored = run.env.keyring_secret().expect("refresh token stored");
    assert!(stored.starts_with(CANARY), "the simulator must issue canary tokens");
    assert!(run.env.state.last_code_verifier().is_some(), "the simulator saw no PKCE verifier");

    // Each status runs in a new process, so each one refreshes and rotates.
    for args in [&["status", "--json"][..], &["status"], &["status", "--it-request"]] {
        let output = run.run(&args.join(" "), args).await;
        assert_ne!(output.status.code(), Some(2), "{}", describe(&output));
    }
    let output = run.run("reconnect", &["connect", "--timeout", "30", "--account", &username]).await;
    assert!(output.status.success(), "{}", describe(&output));
    let output = run.run("doctor --json", &["doctor", "--json"]).await;
    assert!(output.status.code().is_some(), "{}", describe(&output));
    let output = run.device_code_connect().await;
    assert!(output.status.success(), "{}", describe(&output));
    let output = run.demo().await;
    assert!(output.status.success(), "{}", describe(&output));
    run.collect_demo_tokens();
    assert!(run.needles.iter().any(|(_, kind)| *kind == "demo refresh token"), "the demo stored no refresh token");

    // Failures carry error bodies, trace IDs and claims, never the token sent.
    run.env.state.set_faults(&username, Faults { mfa_required: true, ..Faults::default() });
    run.run("status after an MFA demand", &["status", "--json"]).await;
    run.env.state.set_faults(&username, Faults::default());
    let output = run.run("reconnect after MFA", &["connect", "--timeout", "30", "--account", &username]).await;
    assert!(output.status.success(), "{}", describe(&output));

    let output = run.status_with_closed_stdout().await;
    assert!(output.status.code().is_some(), "status must end by itself when it cannot print: {}", describe(&output));
    let output = run.status_aborted_mid_refresh().await;
    assert!(output.status.code().is_none(), "SIGABRT must end graphlink: {}", describe(&output));

    let output = run.run("status after the crashes", &["status", "--json"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    let output = run.run("disconnect", &["disconnect", &username]).await;
    assert!(output.status.success(), "{}", describe(&output));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let logs = run.env.dir.path().join("state/graphlink/logs");
        let mode = std::fs::metadata(&logs).expect("log directory").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the log directory {} must be private", logs.display());
    }
    assert!(files_under(&run.env.dir.path().join("state")).iter().any(|file| file.to_string_lossy().contains("graphlink")), "trace logging wrote no log file");
    let log_bytes: u64 = files_under(&run.env.dir.path().join("state")).iter().filter_map(|file| file.metadata().ok()).map(|meta| meta.len()).sum();
    assert!(log_bytes > 10_000, "a trace log of every flow should be large, found {log_bytes} bytes");
    assert!(run.needles.len() >= 5, "expected verifiers and ID tokens from three sign-ins, got {}", run.needles.len());
    let findings = run.findings();
    assert!(findings.is_empty(), "secrets found:\n{}", findings.join("\n"));
}
