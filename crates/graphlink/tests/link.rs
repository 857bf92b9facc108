//! The main job end to end: the real `graphlink` binary against the
//! simulator over loopback HTTP, with the real Secret Service keyring.

mod common;

use common::{TestEnv, describe};
use graphlink_sim::Faults;

#[tokio::test(flavor = "multi_thread")]
async fn connect_then_status_connected() {
    let env = TestEnv::start().await;

    let output = env.connect().await;
    assert!(output.status.success(), "{}", describe(&output));

    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "connected");
    assert_eq!(account["username"], env.user.username.as_str());
    assert_eq!(account["tenant_id"], env.user.tenant_id.as_str());
    assert_eq!(account["account"], env.account_key().as_str());
    for capability in ["profile", "mail", "calendar"] {
        assert_eq!(account["capabilities"][capability], "ok", "{capability}");
    }
    assert!(account["last_checked"].is_string(), "{account}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keyring_holds_rotated_token() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let first = env.keyring_secret().expect("token stored after connect");

    // Each status runs in a new process, so it refreshes and rotates.
    for _ in 0..2 {
        let (code, _) = env.status().await;
        assert_eq!(code, 0);
        let latest = env.state.latest_refresh_token(&env.user.username).expect("simulator issued a token");
        assert_eq!(env.keyring_secret().as_deref(), Some(latest.as_str()), "keyring must hold the newest refresh token");
    }
    assert_ne!(env.keyring_secret().as_deref(), Some(first.as_str()), "the token must have rotated");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_never_reach_files() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let (code, document) = env.status().await;
    assert_eq!(code, 0);

    let token = env.state.latest_refresh_token(&env.user.username).expect("token");
    assert!(env.files_containing(&token).is_empty(), "refresh token found in {:?}", env.files_containing(&token));
    assert!(!document.to_string().contains(&token));
    let logs = env.dir.path().join("state");
    assert!(logs.exists(), "trace logging wrote no log directory");
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_needs_reconnect() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());

    env.state.revoke(&env.user.username);
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "reconnect_needed", "{account}");
    assert!(account["message"].as_str().unwrap_or_default().contains("password was changed"), "{account}");
    assert_eq!(account["error"]["aadsts"], 50173);
    assert!(account["error"]["correlation_id"].is_string(), "{account}");
    assert_eq!(env.keyring_secret(), None, "a revoked refresh token is deleted");

    // Still listed, and a reconnect restores it.
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    assert_eq!(TestEnv::only_account(&document)["state"], "reconnect_needed");
    assert!(env.connect().await.status.success());
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_down_is_offline() {
    let mut env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let stored = env.keyring_secret().expect("stored");

    env.stop_sim().await;
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    assert_eq!(TestEnv::only_account(&document)["state"], "offline", "{document}");
    assert_eq!(env.keyring_secret(), Some(stored), "an unreachable server never costs the token");

    env.restart_sim().await;
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    assert_eq!(TestEnv::only_account(&document)["state"], "connected");
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_disabled_needs_admin() {
    let env = TestEnv::start().await;
    env.state.set_faults(&env.user.username, Faults { consent_disabled: true, ..Faults::default() });

    let output = env.connect().await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("admin_needed"), "{stderr}");
    let expected = format!("{}/organizations/v2.0/adminconsent?client_id={}", env.base_url(), graphlink_sim::DEMO_CLIENT_ID);
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(env.keyring_secret(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_secret_service_stops_before_browser() {
    let env = TestEnv::start().await;
    let mut command = env.command(&["connect", "--timeout", "10"]);
    command.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", env.dir.path().join("no-bus").display()));
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("keyring_unavailable"), "{stderr}");
    assert!(stderr.contains("Unlock the keyring (or install one), then connect again."), "nothing retries a connect: {stderr}");
    assert!(!stderr.contains("by itself"), "nothing retries a connect: {stderr}");
    assert!(!stderr.contains("browser"), "no browser is mentioned for a sign-in that cannot be kept: {stderr}");
    assert_eq!(env.state.stats().authorize_requests, 0, "the browser must not open");
    assert_eq!(env.state.stats().token_requests, 0);
    assert!(!env.data_dir().join("graphlink/accounts.json").exists(), "no account may be recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_removes_keyring_entry() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    assert!(env.keyring_secret().is_some());

    let output = env.run(&["disconnect", &env.user.username]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(env.keyring_secret(), None);
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    assert_eq!(document["accounts"].as_array().map(Vec::len), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_checks_keep_newest_token() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());

    // Three processes check at once, as the tray and two scripts might.
    let children: Vec<_> = (0..3)
        .map(|_| env.command(&["status", "--json"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("spawn"))
        .collect();
    let outputs = tokio::task::spawn_blocking(move || children.into_iter().map(|child| child.wait_with_output().expect("wait")).collect::<Vec<_>>())
        .await
        .expect("join");
    for output in &outputs {
        assert!(output.status.success(), "{}", describe(output));
    }
    let latest = env.state.latest_refresh_token(&env.user.username).expect("issued");
    assert_eq!(env.keyring_secret().as_deref(), Some(latest.as_str()), "the keyring holds the newest rotated token");
}
