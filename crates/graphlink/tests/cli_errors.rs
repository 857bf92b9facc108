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

const CLIENT_ID_FIX: &str = "use the Application (client) ID from the app registration's Overview page, a GUID such as 00000000-0000-0000-0000-000000000000";

#[tokio::test(flavor = "multi_thread")]
async fn client_id_not_guid_stops_commands() {
    let env = TestEnv::start().await;
    // The DEMO_CLIENT_ID with its last digit missing.
    let short = &graphlink_sim::DEMO_CLIENT_ID[..35];
    for value in ["xyz", short] {
        for args in [&["connect", "--timeout", "5"][..], &["status"], &["status", "--json"], &["doctor"], &["doctor", "--json"]] {
            let mut command = env.command(args);
            command.env("GRAPHLINK_CLIENT_ID", value);
            let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
            let context = format!("`graphlink {}` with GRAPHLINK_CLIENT_ID={value}\n{}", args.join(" "), describe(&output));
            assert_eq!(output.status.code(), Some(2), "{context}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("environment variable GRAPHLINK_CLIENT_ID"), "{context}");
            assert!(stderr.contains(&format!("`client_id` is {value:?}, which is not a GUID")), "{context}");
            assert!(stderr.contains(CLIENT_ID_FIX), "{context}");
            if args.contains(&"--json") {
                let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("no JSON: {context}"));
                let configuration = &report["error"]["configuration"];
                assert_eq!(configuration["key"], "client_id", "{context}");
                assert_eq!(configuration["source"], "environment variable GRAPHLINK_CLIENT_ID", "{context}");
                assert!(configuration["fix"].as_str().is_some_and(|fix| fix.contains(CLIENT_ID_FIX)), "{context}");
            }
        }
    }
    assert_eq!(env.state.stats().authorize_requests, 0, "no sign-in page may open with an invalid client ID");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_id_not_guid_in_user_file() {
    let env = TestEnv::start().await;
    let config_file = env.dir.path().join("config/graphlink/config.toml");
    std::fs::create_dir_all(config_file.parent().expect("parent")).expect("config dir");
    std::fs::write(&config_file, "# from the portal\nclient_id = \"xyz\"\n").expect("write config");
    let mut command = env.command(&["doctor"]);
    command.env_remove("GRAPHLINK_CLIENT_ID");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");

    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{} line 2: `client_id` is \"xyz\"", config_file.display())), "{stderr}");
    assert!(stderr.contains(CLIENT_ID_FIX), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_with_nothing_linked() {
    let env = TestEnv::start().await;
    for args in [&["disconnect"][..], &["disconnect", "--all"]] {
        let output = env.run(args).await;
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no account is linked, so there is nothing to disconnect"), "{stderr}");
        assert!(!stderr.contains("matches \"\""), "{stderr}");
    }
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

/// Runs `graphlink doctor --json` with each variable set, or removed when its
/// value is `None`, and returns the exit code and the findings.
async fn doctor_findings(env: &TestEnv, vars: &[(&str, Option<String>)]) -> (Option<i32>, Vec<String>) {
    let mut command = env.command(&["doctor", "--json"]);
    for (name, value) in vars {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let findings = report["attention"].as_array().expect("attention list").iter().map(|item| item.as_str().expect("text").to_owned()).collect();
    (output.status.code(), findings)
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_flags_broken_setups() {
    let env = TestEnv::start().await;
    let base = env.base_url();
    let cases = [
        (("GRAPHLINK_AUTHORITY", Some(format!("{base}/wrongtenant"))), "check authority (from environment variable GRAPHLINK_AUTHORITY)"),
        (("GRAPHLINK_GRAPH_URL", Some(format!("{base}/v9"))), "check graph_url (from environment variable GRAPHLINK_GRAPH_URL)"),
        (("GRAPHLINK_CLIENT_ID", None), "client_id is not set"),
    ];
    for (var, expected) in cases {
        let (code, findings) = doctor_findings(&env, std::slice::from_ref(&var)).await;
        assert_eq!(code, Some(1), "{var:?}: {findings:?}");
        assert!(findings.iter().any(|finding| finding.contains(expected)), "{var:?}: {findings:?}");
    }

    let accounts_file = env.data_dir().join("graphlink/accounts.json");
    std::fs::create_dir_all(accounts_file.parent().expect("parent")).expect("data dir");
    std::fs::write(&accounts_file, "{\"version\":1,\"accounts\":[").expect("damage");
    let (code, findings) = doctor_findings(&env, &[]).await;
    assert_eq!(code, Some(1), "{findings:?}");
    assert!(findings.iter().any(|finding| finding.contains("accounts.json is damaged")), "{findings:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_without_browser_prints_address() {
    let env = TestEnv::start().await;
    let mut command = env.command(&["connect", "--timeout", "2"]);
    command.env("BROWSER", "/nonexistent/browser");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("could not open a browser (/nonexistent/browser"), "{stderr}");
    assert!(stderr.contains(&format!("  {}/organizations/oauth2/v2.0/authorize?", env.base_url())), "{stderr}");
    assert!(stderr.contains("graphlink connect --device-code"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_hint_only_for_new_browser_sign_in() {
    let env = TestEnv::start().await;
    for other in [&["--account", "adele"][..], &["--device-code"]] {
        let mut args = vec!["connect", "--login-hint", "adele@contoso.example"];
        args.extend_from_slice(other);
        let output = env.run(&args).await;
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be used with"), "{}", describe(&output));
    }
    assert_eq!(env.state.stats().authorize_requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_id_in_upper_case_connects() {
    let env = TestEnv::start().await;
    let upper = graphlink_sim::DEMO_CLIENT_ID.to_ascii_uppercase();
    for args in [&["connect", "--timeout", "30"][..], &["status"]] {
        let mut command = env.command(args);
        command.env("GRAPHLINK_CLIENT_ID", &upper);
        let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
        assert_eq!(output.status.code(), Some(0), "`graphlink {}` with the client ID in upper case\n{}", args.join(" "), describe(&output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_client_id_after_demo_points_to_demo() {
    let env = TestEnv::start().await;
    let demo_accounts = env.data_dir().join("graphlink/demo/accounts.json");
    std::fs::create_dir_all(demo_accounts.parent().expect("parent")).expect("demo dir");
    std::fs::write(&demo_accounts, r#"{"version":1,"accounts":[]}"#).expect("demo accounts");
    let mut command = env.command(&["status"]);
    command.env_remove("GRAPHLINK_CLIENT_ID");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");

    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`client_id` is not set"), "{stderr}");
    assert!(stderr.contains("The demo keeps its account apart from yours"), "{stderr}");
}
