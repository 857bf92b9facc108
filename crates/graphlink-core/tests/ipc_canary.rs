//! The messages the status window receives carry no secret. The tray's
//! engine and IPC service run against a simulator that starts every token
//! and code with a canary. Every reply and subscribed event of a connect,
//! checks, a revocation, a reconnect, a reconnect with a device code, an IT
//! request and a disconnect is searched for the canary, the PKCE verifiers
//! and the ID tokens.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graphlink_core::accounts::AccountStore;
use graphlink_core::config::Config;
use graphlink_core::engine::{self, clock::SystemClock};
use graphlink_core::ipc::{self, EngineService, Endpoint, Event, IpcError, Listener, Request, ShellHooks, Subscription, WindowOpened};
use graphlink_core::link::Link;
use graphlink_core::token_store::TokenStore;
use graphlink_sim::{SimState, UserSpec};
use support::gated_store::GatedStore;
use support::harness::sim_browser;
use url::Url;

const CANARY: &str = "CANARYipcW8v2";

/// A shell whose window is always open already.
struct WindowAlreadyOpen;

impl ShellHooks for WindowAlreadyOpen {
    fn open_window(&self) -> Result<WindowOpened, IpcError> {
        Ok(WindowOpened::AlreadyOpen)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ipc_messages_carry_no_secret() {
    let state = SimState::new();
    state.set_token_prefix(CANARY);
    let user = state.add_user(UserSpec { username: "adele.vance@contoso.example".into(), password: "correct horse battery staple".into(), ..UserSpec::default() });
    let sim = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator");
    let base = sim.base_url();
    let config = Config {
        client_id: graphlink_sim::DEMO_CLIENT_ID.into(),
        authority: Url::parse(&format!("{base}/organizations/v2.0")).expect("url"),
        graph_url: Url::parse(&format!("{base}/v1.0")).expect("url"),
        ..Config::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = GatedStore::new();
    let tokens = TokenStore::with_store("graphlink", Duration::from_secs(5), keyring.as_store());
    let link = Arc::new(Link::new(config, tokens, AccountStore::new(dir.path().join("accounts.json"))).expect("link"));
    let engine = engine::spawn(Arc::clone(&link), Arc::new(SystemClock));
    let service = Arc::new(EngineService::new(Arc::clone(&link), engine, WindowAlreadyOpen, Some(sim_browser(&user))));
    let endpoint = Endpoint::at(dir.path().join("run/graphlink.sock"));
    let _server = ipc::serve(Listener::bind(&endpoint).await.expect("bind"), service);

    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut subscription = Subscription::open(&endpoint).await.expect("subscribe");
    let collected = Arc::clone(&messages);
    let reader = tokio::spawn(async move {
        while let Ok(Some(event)) = subscription.next().await {
            collected.lock().unwrap().push(serde_json::to_string(&event).expect("serialise"));
        }
    });

    let mut needles = vec![CANARY.to_owned()];
    let mut send = async |request: Request| {
        // An error reply is a message the window shows, so it is searched too.
        let reply = ipc::request(&endpoint, &request).await.unwrap_or_else(Event::Error);
        messages.lock().unwrap().push(serde_json::to_string(&reply).expect("serialise"));
        // Let the checks that a request starts publish their events.
        tokio::time::sleep(Duration::from_millis(500)).await;
        needles.extend(state.last_code_verifier());
        needles.extend(state.last_id_token());
        reply
    };
    let connected = send(Request::Connect { login_hint: None }).await;
    assert!(matches!(connected, Event::ConnectResult { .. }), "{connected:?}");
    send(Request::CheckNow).await;
    send(Request::Status).await;
    state.revoke(&user.username);
    send(Request::CheckNow).await;
    send(Request::ItRequest { account: user.username.clone() }).await;
    let reconnected = send(Request::Reconnect { account: user.username.clone() }).await;
    assert!(matches!(reconnected, Event::ConnectResult { .. }), "{reconnected:?}");
    send(Request::CheckNow).await;

    // A device code sign-in sends the code to show before its result.
    state.set_device_code_interval(1);
    let (shown, mut codes) = tokio::sync::mpsc::unbounded_channel();
    let request = Request::ConnectDeviceCode { account: Some(user.username.clone()) };
    let waiting = ipc::request_with_progress(&endpoint, &request, move |event| {
        let _ = shown.send(event.clone());
    });
    let approve = async {
        let event = codes.recv().await.expect("the code arrives before the result");
        let Event::DeviceCode { prompt } = &event else { panic!("not a device code: {event:?}") };
        sign_in_with_code(&user, &prompt.verification_uri, &prompt.user_code).await;
        event
    };
    let (reply, code_event) = tokio::join!(waiting, approve);
    let reply = reply.expect("device code reply");
    assert!(matches!(&reply, Event::ConnectResult { outcome: ipc::ConnectOutcome::Connected { .. } }), "{reply:?}");
    messages.lock().unwrap().extend([&code_event, &reply].map(|event| serde_json::to_string(event).expect("serialise")));

    // Opening the window again brings the open one to the front.
    assert_eq!(send(Request::OpenWindow).await, Event::Done);
    send(Request::Disconnect { account: None }).await;
    reader.abort();

    let messages = messages.lock().unwrap().clone();
    let events = messages.iter().filter(|message| message.contains("\"type\":\"status\"")).count();
    assert!(events >= 2, "expected status events from the checks, got:\n{}", messages.join("\n"));
    assert!(messages.iter().any(|message| message.contains("reconnect_needed")), "the revocation was not reported:\n{}", messages.join("\n"));
    assert!(messages.iter().any(|message| message == r#"{"type":"show_window"}"#), "the subscriber was not asked to show the window:\n{}", messages.join("\n"));
    assert!(needles.len() >= 3, "expected verifiers and ID tokens from two sign-ins");
    for message in &messages {
        for needle in &needles {
            assert!(!message.contains(needle.as_str()), "an IPC message contains a secret:\n{message}");
        }
    }
}

/// Signs in on the simulator's device page as `user`, as a phone would.
async fn sign_in_with_code(user: &graphlink_sim::SimUser, address: &str, code: &str) {
    let browser = sim_browser(user);
    let mut command = std::process::Command::new(&browser.program);
    command.arg(address).envs(browser.env.iter().map(|(name, value)| (name, value))).env("SIM_BROWSER_CODE", code);
    let output = tokio::task::spawn_blocking(move || command.output().expect("sim-browser runs")).await.expect("join");
    assert!(output.status.success(), "sim-browser failed: {}", String::from_utf8_lossy(&output.stderr));
}
