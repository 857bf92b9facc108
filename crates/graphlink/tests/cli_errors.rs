//! Command-line mistakes and environments: each gets a clear error and loses nothing.

mod common;

use std::io::Read as _;
use std::process::Stdio;

use common::{TestEnv, describe};

#[tokio::test(flavor = "multi_thread")]
async fn status_without_client_id_names_setting() {
    let env = TestEnv::start().await;
    let mut command = env.command(&["status"]);
    command.env_remove("GRAPHLINK_CLIENT_ID");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`client_id` is not set"), "{stderr}");
    assert!(stderr.contains("GRAPHLINK_CLIENT_ID"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_pipe_is_not_a_crash() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let mut command = env.command(&["status", "--json"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("spawn");
        // The reader goes away at once, as `| head -c 0` would.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read");
        (child.wait().expect("wait"), stderr)
    })
    .await
    .expect("join");
    assert_eq!(output.0.code(), Some(0), "the exit code still reports the state: {}", output.1);
    assert!(!output.1.contains("panicked"), "{}", output.1);
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_without_name_keeps_several() {
    let env = TestEnv::start().await;
    let other = env.add_colleague();
    assert!(env.connect().await.status.success());
    let output = env.run_as(&other, &["connect", "--timeout", "30"]).await;
    assert!(output.status.success(), "{}", describe(&output));

    let output = env.run(&["disconnect"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--all"), "{stderr}");
    let (_, document) = env.status().await;
    assert_eq!(document["accounts"].as_array().map(Vec::len), Some(2), "nothing was removed");
    assert!(env.keyring_secret().is_some());

    let output = env.run(&["disconnect", "--all"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(env.keyring_secret(), None);
}
