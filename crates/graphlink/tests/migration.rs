//! The migration and admin path end to end: consent blocked by the tenant,
//! reconnect identity, device code sign-in, readiness checklist, permission
//! growth and `doctor`, with the real binary, the simulator on loopback and
//! the real Secret Service keyring.

mod common;


use common::{TestEnv, describe, sim_browser};
use graphlink_sim::{Capability, Faults, GraphFault};
use serde_json::Value;

/// Writes a `BROWSER` script that logs each URL, then runs the scripted browser.
fn logging_browser(env: &TestEnv) -> (std::path::PathBuf, std::path::PathBuf) {
    let script = env.dir.path().join("browser.sh");
    let log = env.dir.path().join("urls.log");
    let text = format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\nexec '{}' \"$1\"\n", log.display(), sim_browser().display());
    std::fs::write(&script, text).expect("write browser script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    (script, log)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_block_gives_it_request() {
    let env = TestEnv::start().await;
    env.state.set_faults(&env.user.username, Faults { consent_disabled: true, ..Faults::default() });

    let output = env.run(&["connect", "--timeout", "30", "--login-hint", &env.user.username]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stderr(&output);
    assert!(text.contains("admin_needed"), "{text}");
    assert!(text.contains(&format!("Application (client) ID: {}", graphlink_sim::DEMO_CLIENT_ID)), "{text}");
    assert!(text.contains("Delegated Microsoft Graph permissions: User.Read, Mail.Read, Calendars.Read"), "{text}");
    assert!(text.contains("/v2.0/adminconsent?client_id="), "{text}");
    assert!(text.contains("Error: access_denied (AADSTS65004)"), "{text}");
    assert!(text.contains("Correlation ID: "), "{text}");
    assert!(text.contains(&env.user.username), "{text}");

    // The same request stays available from `status`, although no account was linked.
    let output = env.run(&["status", "--it-request"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let request = stdout(&output);
    assert!(request.starts_with("Subject: Please approve Graphlink"), "{request}");
    assert!(request.contains("adminconsent?client_id="), "{request}");

    let (_, document) = env.status().await;
    let attempt = &document["last_connect_attempt"];
    assert_eq!(attempt["state"], "admin_needed", "{document}");
    assert!(attempt["it_request"]["error"]["correlation_id"].is_string(), "{attempt}");
    assert!(attempt["it_request"]["text"].as_str().is_some_and(|text| text.contains("Correlation ID")), "{attempt}");
    assert_eq!(env.keyring_secret(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_second_account_keeps_it_request() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let colleague = env.add_colleague();
    env.state.set_faults(&colleague.username, Faults { consent_disabled: true, ..Faults::default() });

    let output = env.run_as(&colleague, &["connect", "--timeout", "30", "--login-hint", &colleague.username]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));

    // The linked account does not hide the colleague's request.
    let output = env.run(&["status", "--it-request"]).await;
    let request = stdout(&output);
    assert!(request.starts_with("Subject: Please approve Graphlink"), "{}", describe(&output));
    assert!(request.contains(&colleague.username), "{request}");
    let (_, document) = env.status().await;
    assert_eq!(document["accounts"][0]["state"], "connected", "{document}");
    assert_eq!(document["last_connect_attempt"]["state"], "admin_needed", "{document}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnect_sends_hints_and_accepts_same_user() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let (script, log) = logging_browser(&env);

    let mut command = env.command(&["connect", "--timeout", "30", "--account", &env.user.username]);
    command.env("BROWSER", &script).env_remove("SIM_BROWSER_USER");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert!(output.status.success(), "{}", describe(&output));

    let urls = std::fs::read_to_string(&log).expect("browser was called");
    let url = url::Url::parse(urls.lines().next().expect("one URL")).expect("authorize URL");
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query.get("login_hint"), Some(&env.user.username), "{url}");
    assert_eq!(query.get("domain_hint"), Some(&env.user.tenant_id), "{url}");
    assert_eq!(query.get("prompt").map(String::as_str), Some("select_account"), "{url}");
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    assert_eq!(TestEnv::only_account(&document)["account"], env.account_key().as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnect_as_other_user_rejected() {
    let env = TestEnv::start().await;
    let other = env.add_colleague();
    assert!(env.connect().await.status.success());
    let before = env.keyring_secret().expect("token stored");
    let accounts_file = env.data_dir().join("graphlink/accounts.json");
    let accounts_before = std::fs::read_to_string(&accounts_file).expect("accounts file");

    let output = env.run_as(&other, &["connect", "--timeout", "30", "--account", &env.account_key()]).await;

    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stderr(&output);
    assert!(text.contains(&format!("You signed in as {}", other.username)), "{text}");
    assert!(text.contains(&format!("this reconnect is for {}", env.user.username)), "{text}");
    assert!(text.contains("Nothing was changed"), "{text}");
    assert!(text.contains("Sign-in failed; the account stays connected"), "{text}");
    assert_eq!(env.keyring_secret(), Some(before), "the original keyring entry is untouched");
    assert_eq!(std::fs::read_to_string(&accounts_file).expect("accounts file"), accounts_before);
    let other_token = env.state.latest_refresh_token(&other.username).expect("the other user got tokens");
    assert!(env.files_containing(&other_token).is_empty(), "the other user's token was kept");
    assert!(!accounts_before.contains(&other.oid));
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnect_unknown_account_fails_fast() {
    let env = TestEnv::start().await;
    let output = env.run(&["connect", "--account", "nobody@contoso.example"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(stderr(&output).contains("no linked account matches \"nobody@contoso.example\""), "{}", describe(&output));
    assert_eq!(env.state.stats().authorize_requests, 0);
}

/// Runs `connect --device-code` and signs in as the test's user with `choices`.
async fn device_code_connect(env: &TestEnv, choices: &str) -> std::process::Output {
    env.device_code_connect(&[], &env.user, Some(choices)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn device_code_links_account() {
    let env = TestEnv::start().await;
    let output = device_code_connect(&env, "signin,approve,accept").await;
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stderr(&output).contains("/devicelogin on any device"), "{}", describe(&output));
    assert!(env.keyring_secret().is_some());
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    assert_eq!(TestEnv::only_account(&document)["account"], env.account_key().as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn device_code_declined_links_nothing() {
    let env = TestEnv::start().await;
    let output = device_code_connect(&env, "signin,decline").await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr(&output).contains("declined on the other device"), "{}", describe(&output));
    assert_eq!(env.keyring_secret(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn device_code_policy_block_points_to_browser() {
    let env = TestEnv::start().await;
    env.state.set_faults(&env.user.username, Faults { device_code_blocked: true, ..Faults::default() });
    let output = device_code_connect(&env, "signin,approve,accept").await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stderr(&output);
    assert!(text.contains("policy blocks signing in with a code from another device (AADSTS53003)"), "{text}");
    assert!(text.contains("run `graphlink connect` without --device-code"), "{text}");
    assert_eq!(env.keyring_secret(), None);

    // The browser flow on this computer still works.
    assert!(env.connect().await.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn device_code_reconnect_checks_identity() {
    let env = TestEnv::start().await;
    let other = env.add_colleague();
    assert!(env.connect().await.status.success());
    let before = env.keyring_secret().expect("token stored");

    let output = env.device_code_connect(&["--account", &env.user.username], &other, Some("signin,approve,accept")).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr(&output).contains(&format!("You signed in as {}", other.username)), "{}", describe(&output));
    assert_eq!(env.keyring_secret(), Some(before), "the original keyring entry is untouched");

    let output = env.device_code_connect(&["--account", &env.user.username], &env.user, Some("signin,approve,accept")).await;
    assert!(output.status.success(), "{}", describe(&output));
}

fn readiness_step<'a>(account: &'a Value, step: &str) -> &'a Value {
    account["readiness"]["steps"].as_array().expect("steps").iter().find(|item| item["step"] == step).expect("step listed")
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_capabilities() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let (_, document) = env.status().await;
    let account = TestEnv::only_account(&document);
    assert_eq!(account["readiness"]["ews_can_be_switched_off"], true, "{account}");
    assert!(account.get("it_request").is_none(), "{account}");

    env.state.set_faults(&env.user.username, Faults { graph_forbidden: vec![Capability::Calendar], ..Faults::default() });
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    let account = TestEnv::only_account(&document);
    assert_eq!(account["readiness"]["ews_can_be_switched_off"], false, "{account}");
    assert_eq!(readiness_step(account, "mail_readable")["status"], "done");
    assert_eq!(readiness_step(account, "calendar_readable")["status"], "missing", "{account}");
    assert!(readiness_step(account, "calendar_readable")["fixed_by"].is_string(), "{account}");

    let output = env.run(&["status"]).await;
    let text = stdout(&output);
    assert!(text.contains("Migration readiness:"), "{text}");
    assert!(text.contains("[ ] calendar readable"), "{text}");
    assert!(text.contains("Keep the old EWS link switched on"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mailbox_not_enabled_asks_it_for_licence() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let not_enabled = GraphFault { capability: Capability::Mail, status: 404, code: "MailboxNotEnabledForRESTAPI".into(), retry_after_secs: None };
    env.state.set_faults(&env.user.username, Faults { graph_errors: vec![not_enabled], ..Faults::default() });

    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "admin_needed", "{account}");
    assert_eq!(readiness_step(account, "consent_allowed")["status"], "done", "{account}");
    assert_eq!(readiness_step(account, "connected")["status"], "done", "the sign-in works: {account}");
    assert_eq!(readiness_step(account, "calendar_readable")["status"], "done", "{account}");
    let mail = readiness_step(account, "mail_readable");
    assert_eq!((&mail["status"], &mail["fixed_by"]), (&Value::from("missing"), &Value::from("it")), "{account}");
    assert_eq!(account["readiness"]["ews_can_be_switched_off"], false, "{account}");

    let request = account["it_request"]["text"].as_str().expect("request for IT");
    assert!(request.starts_with("Subject: Please enable the Exchange Online mailbox for Microsoft Graph"), "{request}");
    assert!(request.contains("licence that includes Exchange Online"), "{request}");
    assert!(!request.contains("sign-in logs"), "{request}");
    assert!(request.contains(&format!("Application (client) ID: {}", graphlink_sim::DEMO_CLIENT_ID)), "{request}");
    assert!(request.contains("Error: MailboxNotEnabledForRESTAPI"), "{request}");
}

#[tokio::test(flavor = "multi_thread")]
async fn scope_growth_asks_one_reconsent() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let grown = "openid profile offline_access User.Read Mail.Read Calendars.Read MailboxSettings.Read";

    let mut command = env.command(&["status", "--json"]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "reconnect_needed", "{account}");
    assert!(account["message"].as_str().is_some_and(|text| text.contains("New permissions: MailboxSettings.Read.")), "{account}");
    assert_eq!(account["action"]["kind"], "reconnect");
    assert!(env.keyring_secret().is_some(), "a missing consent never costs the refresh token");

    // One reconnect with the new scopes restores the link.
    let mut command = env.command(&["connect", "--timeout", "30", "--account", &env.user.username]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert!(output.status.success(), "{}", describe(&output));
    let mut command = env.command(&["status", "--json"]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn scope_growth_blocked_needs_admin() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    env.state.set_faults(&env.user.username, Faults { consent_disabled: true, ..Faults::default() });
    let grown = "openid profile offline_access User.Read Mail.Read Calendars.Read MailboxSettings.Read";

    let mut command = env.command(&["connect", "--timeout", "30", "--account", &env.user.username]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr(&output).contains("admin_needed"), "{}", describe(&output));

    let mut command = env.command(&["status", "--json"]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "admin_needed", "{account}");
    assert_eq!(account["action"]["kind"], "ask_admin", "{account}");
    let message = account["message"].as_str().expect("message");
    assert!(message.ends_with("Send the request for IT to your IT department."), "{message}");
    assert!(account["it_request"]["text"].as_str().is_some_and(|text| text.contains("MailboxSettings.Read")), "{account}");
    assert_eq!(readiness_step(account, "consent_allowed")["fixed_by"], "it", "{account}");

    // IT opens the admin-consent link from the request; the next check connects.
    let link = account["action"]["admin_consent_url"].as_str().expect("admin-consent link").to_owned();
    assert!(link.contains("MailboxSettings.Read"), "the link asks for the grown scopes: {link}");
    let user = env.user.clone();
    let consent = tokio::task::spawn_blocking(move || {
        std::process::Command::new(sim_browser())
            .arg(&link)
            .env("SIM_BROWSER_USER", &user.username)
            .env("SIM_BROWSER_PASSWORD", &user.password)
            .env("SIM_BROWSER_CHOICES", "signin,accept")
            .output()
            .expect("sim-browser runs")
    })
    .await
    .expect("join");
    let consent_log = String::from_utf8_lossy(&consent.stderr).into_owned();
    assert!(consent_log.contains("admin_consent=<redacted>"), "admin consent did not finish: {consent_log}");

    let mut command = env.command(&["status", "--json"]);
    command.env("GRAPHLINK_SCOPES", grown);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let account = TestEnv::only_account(&document);
    assert_eq!(account["readiness"]["ews_can_be_switched_off"], true, "{account}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_without_secrets() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let token = env.state.latest_refresh_token(&env.user.username).expect("token");

    let mut command = env.command(&["doctor", "--json"]);
    command.env("HTTPS_PROXY", "http://rep:canary-proxy-password@127.0.0.1:9").env("NO_PROXY", "127.0.0.1,localhost");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!printed.contains("canary-proxy-password"), "{printed}");
    assert!(!printed.contains(&token), "refresh token printed");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));

    let source = |key: &str| report["config"].as_array().expect("config").iter().find(|entry| entry["key"] == key).cloned().expect("key");
    assert_eq!(source("client_id")["source"], "environment variable GRAPHLINK_CLIENT_ID");
    assert_eq!(source("check_interval")["source"], "built-in defaults");
    assert_eq!(report["keyring"]["ok"], true, "{report}");
    for endpoint in report["endpoints"].as_array().expect("endpoints") {
        assert_eq!(endpoint["reachable"], true, "{endpoint}");
        assert!(endpoint["proxy"].is_null(), "NO_PROXY excludes loopback: {endpoint}");
    }
    let names: Vec<&str> = report["endpoints"].as_array().expect("endpoints").iter().filter_map(|endpoint| endpoint["name"].as_str()).collect();
    assert_eq!(names, ["discovery", "token", "graph"]);
    assert!(report["clock"]["skew_secs"].as_i64().is_some_and(|skew| skew.abs() <= 5), "{report}");
    assert_eq!(report["accounts"][0]["state"], "connected", "{report}");
    assert!(report["proxy_variables"].to_string().contains("127.0.0.1:9"), "{report}");
    assert_eq!(report["attention"], serde_json::json!([]), "{report}");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    let output = env.run(&["doctor"]).await;
    let text = stdout(&output);
    assert!(text.contains("client_id = 6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40  (environment variable GRAPHLINK_CLIENT_ID)"), "{text}");
    assert!(!text.contains(&token));
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_reconnect_forwards_claims() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    env.state.set_faults(&env.user.username, Faults { mfa_required: true, ..Faults::default() });
    let (code, document) = env.status().await;
    assert_eq!(code, 1);
    assert_eq!(TestEnv::only_account(&document)["state"], "reconnect_needed", "{document}");

    let (script, log) = logging_browser(&env);
    let mut command = env.command(&["connect", "--timeout", "30", "--account", &env.user.username]);
    command.env("BROWSER", &script);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert!(output.status.success(), "{}", describe(&output));

    let urls = std::fs::read_to_string(&log).expect("browser was called");
    let url = url::Url::parse(urls.lines().next().expect("one URL")).expect("authorize URL");
    let claims = url.query_pairs().find(|(name, _)| name == "claims").map(|(_, value)| value.into_owned()).expect("claims sent");
    let claims: serde_json::Value = serde_json::from_str(&claims).expect("claims are JSON");
    assert!(claims["access_token"]["capolids"].is_object(), "the MFA challenge is forwarded: {claims}");
    assert_eq!(claims["access_token"]["xms_cc"]["values"][0], "cp1");

    let (code, document) = env.status().await;
    assert_eq!(code, 0, "one sign-in satisfied the challenge: {document}");
}
