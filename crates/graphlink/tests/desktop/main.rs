//! End-to-end tests of the tray and the status window in a real desktop
//! session: Xvfb, a private D-Bus session bus with gnome-keyring and a real
//! notification server (dunst, started by D-Bus on the first notification),
//! the window driven through WebDriver (tauri-driver with WebKitWebDriver),
//! and the simulator as Microsoft.
//!
//! They need a display, so plain `cargo test` skips them; `make test` runs
//! them with `--ignored` under `xvfb-run`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod desktop;
mod tray_menu;
mod webdriver;

use std::time::Duration;

use graphlink_core::ipc::{self, Event, Request, Subscription};
use graphlink_sim::{Capability, Faults, GraphFault};

use desktop::{Desktop, notification_summaries, sibling};
use tokio::task::block_in_place;
use tray_menu::TrayItem;
use webdriver::Session;

const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(30);
const STATE_TIMEOUT: Duration = Duration::from_secs(20);

fn card(username: &str, state: &str) -> String {
    format!(r#"li.card[data-account="{username}"][data-state="{state}"]"#)
}

// Multi-threaded, so the in-process simulator keeps serving requests while the
// test waits for a process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn window_connect_revoke_reconnect() {
    let mut desktop = Desktop::start().await;
    let username = desktop.user.username.clone();
    // Every event the tray sends, as raw JSON lines, to check for tokens at the end.
    let mut subscription = Subscription::open(&desktop.endpoint).await.expect("subscribe to the tray");
    let mut events = Vec::new();

    let window = Session::start(desktop.driver_port, sibling("graphlink-window").to_str().unwrap()).await;

    // First run: the window explains linking and offers Connect.
    let heading = window.wait_for("#first-run-title", STATE_TIMEOUT).await;
    assert_eq!(window.text(&heading).await, "Link your Microsoft 365 mailbox");
    desktop.screenshot("first-run").await;
    let connect = window.wait_for(r#"button[data-action="connect"]"#, STATE_TIMEOUT).await;
    window.click(&connect).await;

    // The scripted browser signs in; the window shows the account connected.
    let connected = window.wait_for(&card(&username, "connected"), SIGN_IN_TIMEOUT).await;
    assert!(window.text(&connected).await.contains("Connected"), "{}", window.source().await);
    window.wait_for(r#"details[data-role="readiness"][data-ready="true"]"#, STATE_TIMEOUT).await;
    let times = window.text(&window.wait_for("p.times", STATE_TIMEOUT).await).await;
    assert!(times.contains("Next check:"), "the card says when the next check runs: {times}");
    assert!(!times.contains("not planned"), "the tray planned the next check: {times}");
    desktop.screenshot("connected").await;
    assert_eq!(desktop.notifications(), Vec::<String>::new(), "a healthy link notifies nobody");

    // Revocation on the simulator, then `graphlink status`, which the tray carries out.
    desktop.state.revoke(&username);
    let status = desktop.graphlink(&["status", "--json"]).await;
    assert_eq!(status.status.code(), Some(1), "{}", String::from_utf8_lossy(&status.stderr));
    let document: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status --json prints JSON");
    assert_eq!(document["accounts"][0]["state"], "reconnect_needed", "{document}");

    window.wait_for(&card(&username, "reconnect_needed"), STATE_TIMEOUT).await;
    let notified = desktop.wait_for_notifications(1, STATE_TIMEOUT).await;
    assert_eq!(notified, [format!("Reconnect {username}")]);
    desktop.screenshot("reconnect_needed").await;

    // More checks in the same state send no second notification.
    ipc::request(&desktop.endpoint, &Request::CheckNow).await.expect("check now");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(desktop.notifications().len(), 1, "{:?}", desktop.notifications());

    // Reconnect from the window: connected again, and the restored notice arrives.
    let reconnect = window.wait_for(&format!(r#"li.card[data-account="{username}"] button[data-action="reconnect"]"#), STATE_TIMEOUT).await;
    window.click(&reconnect).await;
    window.wait_for(&card(&username, "connected"), SIGN_IN_TIMEOUT).await;
    let notified = desktop.wait_for_notifications(2, STATE_TIMEOUT).await;
    assert_eq!(notified, [format!("Reconnect {username}"), format!("{username} is connected again")]);

    // A permission only IT can grant: the window offers the request for IT.
    let denied = GraphFault { capability: Capability::Profile, status: 403, code: "Authorization_RequestDenied".into(), retry_after_secs: None };
    desktop.state.set_faults(&username, Faults { graph_errors: vec![denied], ..Faults::default() });
    ipc::request(&desktop.endpoint, &Request::CheckNow).await.expect("check now");
    let admin = window.wait_for(&card(&username, "admin_needed"), STATE_TIMEOUT).await;
    assert!(window.text(&admin).await.contains("Copy request for IT"), "{}", window.source().await);
    desktop.screenshot("admin_needed").await;
    let copy = window.wait_for(&format!(r#"li.card[data-account="{username}"] button[data-action="copy_it_request"]"#), STATE_TIMEOUT).await;
    window.click(&copy).await;
    let copied = desktop.wait_for_clipboard("adminconsent", STATE_TIMEOUT).await;
    assert!(copied.contains(&username), "the request names the rep: {copied}");

    // The readiness checklist names the missing step and who can fix it.
    let readiness = window.wait_for(r#"details[data-role="readiness"][data-ready="false"] summary"#, STATE_TIMEOUT).await;
    window.click(&readiness).await;
    let consent = window.wait_for(r#"li.step[data-step="consent_allowed"][data-status="missing"]"#, STATE_TIMEOUT).await;
    assert!(window.text(&consent).await.contains("Who can fix it: your IT department."), "{}", window.source().await);
    window.execute(r#"document.querySelector('details[data-role="readiness"]').scrollIntoView()"#).await;
    desktop.screenshot("readiness").await;

    // Once IT has acted, the card's second button signs in again.
    desktop.state.set_faults(&username, Faults::default());
    let again = window.wait_for(&format!(r#"li.card[data-account="{username}"] button[data-action="reconnect"]"#), STATE_TIMEOUT).await;
    assert_eq!(window.text(&again).await, "Reconnect after IT approved");
    window.click(&again).await;
    window.wait_for(&card(&username, "connected"), SIGN_IN_TIMEOUT).await;

    // No token reached the window, the IPC stream or the log.
    let refresh_token = desktop.state.latest_refresh_token(&username).expect("the simulator issued a refresh token");
    while let Ok(Ok(Some(event))) = tokio::time::timeout(Duration::from_millis(200), subscription.next()).await {
        events.push(serde_json::to_string(&event).unwrap());
    }
    assert!(events.iter().any(|line| line.contains("admin_needed")), "the subscription saw the whole scenario: {events:?}");
    let page = window.source().await;
    for (place, text) in [("the window", page.as_str()), ("the IPC events", &events.join("\n")), ("the tray log", &desktop.tray_logs())] {
        assert!(!text.contains(&refresh_token), "{place} contains the refresh token");
        assert!(!text.contains("eyJ"), "{place} contains something shaped like a JWT");
    }

    // Closing the window ends its process and its web engine.
    window.end().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let web_processes = std::process::Command::new("pgrep").args(["-f", "graphlink-window|WebKitWebProcess|WebKitNetworkProcess"]).output().unwrap();
    assert!(web_processes.stdout.is_empty(), "still running after the window closed: {}", String::from_utf8_lossy(&web_processes.stdout));

    // SIGTERM stops the tray cleanly and removes its socket.
    let status = desktop.stop_tray();
    assert!(status.success(), "the tray exited with {status}: {}", desktop.artifact("tray.stderr"));
    assert!(!desktop.endpoint.address.exists(), "the socket outlived the tray");
    assert!(!matches!(ipc::request(&desktop.endpoint, &Request::Status).await, Ok(Event::Snapshot { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn window_device_code_sign_in_and_cancel() {
    let desktop = Desktop::start().await;
    let username = desktop.user.username.clone();
    desktop.state.set_device_code_interval(1);
    let window = Session::start(desktop.driver_port, sibling("graphlink-window").to_str().unwrap()).await;

    // First run: sign in with a code entered on another device.
    let with_code = window.wait_for(r#"button[data-action="connect_with_code"]"#, STATE_TIMEOUT).await;
    window.click(&with_code).await;
    let code = window.text(&window.wait_for(r#"[data-role="user-code"]"#, STATE_TIMEOUT).await).await;
    let address = window.text(&window.wait_for(r#"[data-role="verification-uri"]"#, STATE_TIMEOUT).await).await;
    assert!(address.ends_with("/devicelogin"), "{address}");
    desktop.screenshot("device_code").await;
    desktop.sign_in_with_code(&address, &code).await;
    window.wait_for(&card(&username, "connected"), SIGN_IN_TIMEOUT).await;

    // A revoked link offers a code too; cancelling it frees the tray for the browser sign-in.
    desktop.state.revoke(&username);
    ipc::request(&desktop.endpoint, &Request::CheckNow).await.expect("check now");
    let with_code = window.wait_for(&format!(r#"li.card[data-account="{username}"] button[data-action="reconnect_with_code"]"#), STATE_TIMEOUT).await;
    window.click(&with_code).await;
    window.wait_for(r#"[data-role="user-code"]"#, STATE_TIMEOUT).await;
    let cancel = window.wait_for(r#"button[data-action="cancel_sign_in"]"#, STATE_TIMEOUT).await;
    window.click(&cancel).await;
    window.wait_for_none(r#"[data-role="device-code"]"#, STATE_TIMEOUT).await;
    let notice = window.text(&window.wait_for("#notice", STATE_TIMEOUT).await).await;
    assert_eq!(notice, "The sign-in was cancelled.");
    let reconnect = window.wait_for(&format!(r#"li.card[data-account="{username}"] button[data-action="reconnect"]"#), STATE_TIMEOUT).await;
    window.click(&reconnect).await;
    window.wait_for(&card(&username, "connected"), SIGN_IN_TIMEOUT).await;
    assert!(desktop.tray_logs().contains("cancelling its sign-in"), "the tray stopped polling for the cancelled code");
    window.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn blocked_first_connect_offers_it_request() {
    let desktop = Desktop::start().await;
    let username = desktop.user.username.clone();
    desktop.state.set_faults(&username, Faults { consent_disabled: true, ..Faults::default() });
    let window = Session::start(desktop.driver_port, sibling("graphlink-window").to_str().unwrap()).await;

    let connect = window.wait_for(r#"button[data-action="connect"]"#, STATE_TIMEOUT).await;
    window.click(&connect).await;
    window.wait_for(r#"[data-role="it-request"]"#, SIGN_IN_TIMEOUT).await;
    let copy = window.wait_for(r#"[data-role="it-request"] button[data-action="copy_it_request"]"#, STATE_TIMEOUT).await;
    window.click(&copy).await;
    let copied = desktop.wait_for_clipboard("adminconsent", STATE_TIMEOUT).await;
    assert!(copied.contains(graphlink_sim::DEMO_CLIENT_ID), "the request names the app: {copied}");
    window.end().await;

    // The window opened again, say the next morning, still offers the request.
    let window = Session::start(desktop.driver_port, sibling("graphlink-window").to_str().unwrap()).await;
    let text = window.wait_for(r#"[data-role="it-request-text"]"#, STATE_TIMEOUT).await;
    assert!(window.source().await.contains("adminconsent"), "{}", window.text(&text).await);
    window.end().await;
}

// The subcommands while a tray runs: the tray signs in and checks, and each
// command prints what it prints without a tray.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn commands_through_the_tray() {
    let desktop = Desktop::start().await;
    let username = desktop.user.username.clone();

    let nothing = desktop.graphlink(&["disconnect"]).await;
    assert_eq!(nothing.status.code(), Some(2), "{}", String::from_utf8_lossy(&nothing.stderr));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no account is linked"), "{}", String::from_utf8_lossy(&nothing.stderr));

    // A first sign-in that the tenant's consent block stops prints the request for IT.
    desktop.state.set_faults(&username, Faults { consent_disabled: true, ..Faults::default() });
    let blocked = desktop.graphlink(&["connect", "--timeout", "30"]).await;
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert_eq!(blocked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("If no sign-in page appeared, open this address"), "{stderr}");
    assert!(stderr.contains("Send this request to your IT department"), "{stderr}");
    assert!(stderr.contains("/adminconsent?client_id="), "{stderr}");
    let status = desktop.graphlink(&["status", "--json"]).await;
    let document: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status --json prints JSON");
    assert!(document["last_connect_attempt"]["it_request"]["text"].as_str().is_some_and(|text| text.contains("adminconsent")), "{document}");

    // Once IT allows it, the same command links the account; disconnect names it.
    desktop.state.set_faults(&username, Faults::default());
    let linked = desktop.graphlink(&["connect", "--timeout", "30", "--login-hint", &username]).await;
    assert!(linked.status.success(), "{}", String::from_utf8_lossy(&linked.stderr));
    let removed = desktop.graphlink(&["disconnect"]).await;
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    assert!(String::from_utf8_lossy(&removed.stdout).contains(&format!("Disconnected {username}")), "{}", String::from_utf8_lossy(&removed.stdout));
}

// Multi-threaded, so the in-process simulator keeps serving requests while the
// test waits for a process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn second_launch_opens_first_window() {
    let desktop = Desktop::start().await;
    // On first run, with no account linked, the tray opens its window.
    wait_for_launches(&desktop, 1).await;

    let second = {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_graphlink"));
        desktop.configure(&mut command);
        command.output().expect("graphlink runs")
    };

    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(desktop.endpoint.address.exists(), "the first tray still listens");
    wait_for_launches(&desktop, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn second_start_at_login_stays_quiet() {
    let desktop = Desktop::start().await;
    wait_for_launches(&desktop, 1).await;

    let second = {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_graphlink"));
        desktop.configure(&mut command);
        command.arg("--at-login").output().expect("graphlink runs")
    };

    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(String::from_utf8_lossy(&second.stderr), "", "a start at login next to a running tray prints nothing");
    assert!(desktop.endpoint.address.exists(), "the first tray still listens");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(desktop.window_launches(), 1, "a start at login opened the window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn tray_menu_from_a_panel() {
    let mut desktop = Desktop::start().await;
    let username = desktop.user.username.clone();
    let tray = block_in_place(|| TrayItem::find(desktop.tray_pid()));
    assert_eq!(block_in_place(|| tray.items())[0].label, "No account linked");

    // Connect from the menu: the scripted browser signs in.
    block_in_place(|| tray.click("Connect an account"));
    // The first menu line gives the state in words, because Linux panels get no tooltip from the tray.
    let line = block_in_place(|| tray.wait_for_item(&format!("{username}: connected"), SIGN_IN_TIMEOUT));
    assert!(!line.enabled, "an account line is not clickable: {line:?}");
    let status = block_in_place(|| tray.property("Status"));
    assert!(status.contains("Active"), "the icon is shown: {status}");

    // Check now from the menu checks with one Graph request.
    let before = desktop.state.user_stats(&username).graph_requests;
    block_in_place(|| tray.click("Check now"));
    wait_until(STATE_TIMEOUT, "a check after Check now", || desktop.state.user_stats(&username).graph_requests > before).await;

    // A revoked sign-in puts Reconnect in the menu; clicking it signs in again.
    desktop.state.revoke(&username);
    block_in_place(|| tray.click("Check now"));
    block_in_place(|| tray.click(&format!("Reconnect {username}")));
    block_in_place(|| tray.wait_for_item(&format!("{username}: connected"), SIGN_IN_TIMEOUT));
    let items = block_in_place(|| tray.items());
    assert!(!items.iter().any(|item| item.label.starts_with("Reconnect")), "{items:?}");

    // Open Graphlink starts the window; the tray opened it once already on first run.
    let launches = desktop.window_launches();
    block_in_place(|| tray.click("Open Graphlink"));
    wait_until(STATE_TIMEOUT, "a window launch", || desktop.window_launches() > launches).await;

    // Start at login writes and removes the autostart entry.
    let entry = std::path::Path::new(&desktop.home()).join(".config/autostart/Graphlink.desktop");
    block_in_place(|| tray.click("Start at login"));
    wait_until(STATE_TIMEOUT, "the autostart entry", || entry.exists()).await;
    assert!(std::fs::read_to_string(&entry).unwrap().contains("--at-login"));
    assert_eq!(block_in_place(|| tray.wait_for_item("Start at login", STATE_TIMEOUT)).checked, Some(true));
    block_in_place(|| tray.click("Start at login"));
    wait_until(STATE_TIMEOUT, "the autostart entry removed", || !entry.exists()).await;

    // Quit ends the tray cleanly.
    block_in_place(|| tray.click("Quit"));
    let status = block_in_place(|| desktop.wait_for_tray_exit());
    assert!(status.success(), "the tray exited with {status}: {}", desktop.artifact("tray.stderr"));
    assert!(!desktop.endpoint.address.exists(), "the socket outlived the tray");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn invalid_configuration_at_login_notifies() {
    use std::os::unix::fs::PermissionsExt as _;
    let desktop = Desktop::start().await;
    // A second session's directories, so this start finds no running tray.
    let other = tempfile::tempdir().unwrap();
    let config_dir = other.path().join("config/graphlink");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "check_interval = 5\n").unwrap();
    let runtime = other.path().join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_graphlink"));
    desktop.configure(&mut command);
    command
        .arg("--at-login")
        .env("XDG_CONFIG_HOME", other.path().join("config"))
        .env("XDG_STATE_HOME", other.path().join("state"))
        .env("XDG_RUNTIME_DIR", &runtime);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();

    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(desktop.wait_for_notifications(1, STATE_TIMEOUT).await, ["Graphlink could not start"]);
    let logs: String = std::fs::read_dir(other.path().join("state/graphlink/logs"))
        .unwrap()
        .flatten()
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
        .collect();
    assert!(logs.contains("invalid configuration"), "the log records why the tray stopped: {logs}");
    assert!(logs.contains("check_interval"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn menu_connect_without_browser_notifies() {
    let desktop = Desktop::start_with_tray_env(&[("BROWSER", "/nonexistent/browser")]).await;
    let tray = block_in_place(|| TrayItem::find(desktop.tray_pid()));

    block_in_place(|| tray.click("Connect an account"));

    assert_eq!(desktop.wait_for_notifications(1, STATE_TIMEOUT).await, ["Graphlink could not open a browser"]);
}

/// Runs `dunstctl` with `args` and returns its output.
fn dunstctl(args: &[&str]) -> String {
    let output = std::process::Command::new("dunstctl").args(args).output().expect("dunstctl runs (install dunst)");
    assert!(output.status.success(), "dunstctl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session; `make test` runs it under Xvfb"]
async fn notifications_act_and_give_way() {
    // The notification server outlives each test, so earlier tests' notifications go first.
    dunstctl(&["close-all"]);
    let window_program = sibling("graphlink-window");
    let mut desktop = Desktop::start_with_tray_env(&[("GRAPHLINK_WINDOW", window_program.to_str().unwrap())]).await;
    let username = desktop.user.username.clone();
    let tray = block_in_place(|| TrayItem::find(desktop.tray_pid()));
    block_in_place(|| tray.click("Connect an account"));
    block_in_place(|| tray.wait_for_item(&format!("{username}: connected"), SIGN_IN_TIMEOUT));

    // Fixed from the menu: the restored notice takes the place of the request to reconnect.
    desktop.state.revoke(&username);
    block_in_place(|| tray.click("Check now"));
    assert_eq!(desktop.wait_for_notifications(1, STATE_TIMEOUT).await, [format!("Reconnect {username}")]);
    block_in_place(|| tray.click(&format!("Reconnect {username}")));
    desktop.wait_for_notifications(2, SIGN_IN_TIMEOUT).await;
    assert_eq!(dunstctl(&["count", "displayed"]), "1", "the request to reconnect stayed on screen after the reconnect");

    // A click on the notification reconnects the account.
    desktop.state.revoke(&username);
    block_in_place(|| tray.click("Check now"));
    desktop.wait_for_notifications(3, STATE_TIMEOUT).await;
    dunstctl(&["action", "0"]);
    let notified = desktop.wait_for_notifications(4, SIGN_IN_TIMEOUT).await;
    assert_eq!(notified.len(), 4, "{notified:?}\n{}", desktop.tray_logs());
    assert_eq!(notified[3], format!("{username} is connected again"), "{notified:?}");

    // Quit closes the window the tray opened on first run, with its web engine.
    let window = std::process::Command::new("pgrep").args(["-P", &desktop.tray_pid().to_string(), "-f", "graphlink-window"]).output().unwrap();
    let window_pid = String::from_utf8_lossy(&window.stdout).trim().to_owned();
    assert!(window_pid.parse::<u32>().is_ok(), "the tray opened exactly one window on first run: {window_pid:?}");
    block_in_place(|| tray.click("Quit"));
    let status = block_in_place(|| desktop.wait_for_tray_exit());
    assert!(status.success(), "the tray exited with {status}: {}", desktop.artifact("tray.stderr"));
    assert!(!std::path::Path::new(&format!("/proc/{window_pid}")).exists(), "the window outlived the tray");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let web_processes = std::process::Command::new("pgrep").args(["-f", "WebKitWebProcess|WebKitNetworkProcess"]).output().unwrap();
    assert!(web_processes.stdout.is_empty(), "still running after Quit: {}", String::from_utf8_lossy(&web_processes.stdout));
    assert_eq!(dunstctl(&["count", "displayed"]), "0", "a notification outlived the tray");
}

async fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_launches(desktop: &Desktop, count: usize) {
    for _ in 0..100 {
        if desktop.window_launches() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(desktop.window_launches(), count, "window launches by the tray");
}

#[test]
fn summaries_parse_from_dbus_monitor() {
    let log = r#"method call time=1.0 sender=:1.9 -> destination=:1.10 serial=7 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "Graphlink"
   uint32 0
   string ""
   string "Reconnect adele@contoso.example"
   string "Sign in again."
   array [
   ]
method call time=2.0 sender=:1.9 -> destination=:1.10 serial=9 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "Graphlink"
   uint32 0
   string ""
   string "adele@contoso.example is connected again"
   string "Mail and calendar are readable again."
"#;

    assert_eq!(notification_summaries(log), ["Reconnect adele@contoso.example", "adele@contoso.example is connected again"]);
}
