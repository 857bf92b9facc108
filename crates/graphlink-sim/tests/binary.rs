//! The `graphlink-sim` binary.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_base_url_and_serves_users() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graphlink-sim"))
        .args([
            "--port",
            "0",
            "--user",
            "dora@contoso.example:dora-pass",
            "--user",
            "eve@contoso.example",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("graphlink-sim starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();

    let base = lines
        .next_line()
        .await
        .expect("read stdout")
        .expect("a first line");
    let users: serde_json::Value = reqwest::get(format!("{base}/_sim/users"))
        .await
        .expect("control API reachable")
        .json()
        .await
        .expect("JSON");
    child.kill().await.expect("stop graphlink-sim");

    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with('/'));
    let users = users.as_array().expect("user list");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["username"], "dora@contoso.example");
    assert_eq!(users[0]["password"], "dora-pass");
    assert_eq!(users[1]["password"], graphlink_sim::DEFAULT_PASSWORD);
}

#[tokio::test]
async fn binary_rejects_non_loopback_host() {
    // The check runs before binding, so nothing listens on or contacts this address.
    let output = Command::new(env!("CARGO_BIN_EXE_graphlink-sim"))
        .args(["--host", "0.0.0.0"])
        .output()
        .await
        .expect("graphlink-sim runs");

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
    assert!(output.stdout.is_empty());
}
