#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::Mutex;

use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::protocol::MAX_REQUEST_BYTES;
use super::*;
use crate::engine::EngineEvent;
use crate::engine::policy::{Notification, NotificationKind};
use crate::state::{AccountStatus, Action, Capabilities, CapabilityStatus, ErrorDetail, LinkState};

/// Strings shaped like the secrets of a sign-in: an access token (a JWT), a
/// refresh token, an authorization code and a PKCE verifier.
const CANARIES: [&str; 4] = [
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.canary-access-token",
    "0.AVYAcanary-refresh-token-Zm9vYmFy",
    "M.C507_BAY.2.U.canary-authorization-code",
    "canary-pkce-verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
];

fn status(state: LinkState) -> AccountStatus {
    AccountStatus {
        account: "00000000-0000-0000-0000-0000000000a1.00000000-0000-0000-0000-0000000000b2".into(),
        username: "adele.vance@contoso.example".into(),
        tenant_id: "00000000-0000-0000-0000-0000000000b2".into(),
        state,
        capabilities: Capabilities { profile: CapabilityStatus::Ok, mail: CapabilityStatus::Failed, calendar: CapabilityStatus::Unknown },
        message: "Sign in again to reconnect.".into(),
        action: Action::AskAdmin { admin_consent_url: "https://login.example/adminconsent?client_id=x".into() },
        last_checked: Some(OffsetDateTime::UNIX_EPOCH),
        last_connected: None,
        next_check: None,
        error: Some(ErrorDetail { code: "invalid_grant".into(), aadsts: Some(50173), correlation_id: Some("c0ffee".into()), trace_id: Some("7ace".into()) }),
    }
}

fn notification() -> Notification {
    Notification {
        account: status(LinkState::ReconnectNeeded).account,
        kind: NotificationKind::ActionNeeded,
        state: LinkState::ReconnectNeeded,
        summary: "Reconnect adele.vance@contoso.example".into(),
        body: "Sign in again to reconnect.".into(),
        action: Action::Reconnect,
    }
}

fn prompt() -> crate::link::DeviceCodePrompt {
    crate::link::DeviceCodePrompt {
        user_code: "GHJK-LMNP".into(),
        verification_uri: "https://microsoft.com/devicelogin".into(),
        expires_in_secs: 900,
        message: Some("To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code GHJK-LMNP.".into()),
    }
}

/// One value of every request. The match without a wildcard makes a new
/// variant a compile error here until it is added to the list.
fn every_request() -> Vec<Request> {
    let all = vec![
        Request::Subscribe,
        Request::Status,
        Request::CheckNow,
        Request::Connect { login_hint: None },
        Request::Connect { login_hint: Some("adele.vance@contoso.example".into()) },
        Request::Reconnect { account: "adele.vance@contoso.example".into() },
        Request::ConnectDeviceCode { account: None },
        Request::ConnectDeviceCode { account: Some("adele.vance@contoso.example".into()) },
        Request::Disconnect { account: None },
        Request::Disconnect { account: Some("adele.vance@contoso.example".into()) },
        Request::ItRequest { account: "adele.vance@contoso.example".into() },
        Request::LastConnectAttempt,
        Request::OpenWindow,
    ];
    let mut all = all;
    all.extend(DemoFault::ALL.map(|fault| Request::Demo { fault }));
    for request in &all {
        match request {
            Request::Subscribe
            | Request::Status
            | Request::CheckNow
            | Request::Connect { .. }
            | Request::Reconnect { .. }
            | Request::ConnectDeviceCode { .. }
            | Request::Disconnect { .. }
            | Request::ItRequest { .. }
            | Request::LastConnectAttempt
            | Request::OpenWindow
            | Request::Demo { .. } => {}
        }
    }
    all
}

/// One value of every event, as above.
fn every_event() -> Vec<Event> {
    let all = vec![
        Event::Snapshot { accounts: vec![status(LinkState::Connected).into(), status(LinkState::AdminNeeded).into()] },
        Event::Status { status: status(LinkState::ReconnectNeeded).into() },
        Event::Removed { account: status(LinkState::Connected).account },
        Event::Notification { notification: notification() },
        Event::DeviceCode { prompt: prompt() },
        Event::SignInPage { url: "https://login.example/organizations/oauth2/v2.0/authorize?client_id=x".into(), browser_error: None },
        Event::SignInPage { url: "https://login.example/authorize".into(), browser_error: Some("no browser found".into()) },
        Event::ConnectResult { outcome: ConnectOutcome::Connected { status: status(LinkState::Connected).into() } },
        Event::ConnectResult {
            outcome: ConnectOutcome::Failed {
                state: LinkState::AdminNeeded,
                message: "Your organisation requires an administrator to approve Graphlink.".into(),
                action: Action::Reconnect,
                error: status(LinkState::AdminNeeded).error,
                it_request: Some("Subject: Please approve Graphlink".into()),
            },
        },
        Event::ItRequest { text: "Subject: Please approve Graphlink".into() },
        Event::LastConnectAttempt { attempt: None },
        Event::ShowWindow,
        Event::Done,
        Event::Error(IpcError::new(ErrorCode::Busy, "A sign-in is already in progress.")),
    ];
    for event in &all {
        match event {
            Event::Snapshot { .. }
            | Event::Status { .. }
            | Event::Removed { .. }
            | Event::Notification { .. }
            | Event::DeviceCode { .. }
            | Event::SignInPage { .. }
            | Event::ConnectResult { .. }
            | Event::ItRequest { .. }
            | Event::LastConnectAttempt { .. }
            | Event::ShowWindow
            | Event::Done
            | Event::Error(_) => {}
        }
    }
    all
}

#[test]
fn no_message_contains_a_token() {
    // The secrets of a sign-in exist in this scope, as they do in the tray;
    // the messages are built from the same kinds of values the tray sends.
    let secrets = CANARIES.map(crate::SecretString::from);
    let lines: Vec<String> = every_request()
        .iter()
        .map(|request| serde_json::to_string(request).unwrap())
        .chain(every_event().iter().map(|event| serde_json::to_string(event).unwrap()))
        .collect();

    for line in &lines {
        for secret in &secrets {
            assert!(!line.contains(crate::ExposeSecret::expose_secret(secret)), "a message contains a token: {line}");
        }
        assert!(!line.contains("eyJ"), "a message contains something shaped like a JWT: {line}");
        assert!(!line.contains('\n'), "a message spans lines: {line}");
    }
}

#[test]
fn every_message_round_trips() {
    for request in every_request() {
        let line = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), request, "{line}");
    }
    for event in every_event() {
        let line = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), event, "{line}");
    }
}

#[test]
fn wire_format_is_stable() {
    assert_eq!(serde_json::to_string(&Request::Reconnect { account: "a".into() }).unwrap(), r#"{"type":"reconnect","account":"a"}"#);
    assert_eq!(serde_json::to_string(&Request::Demo { fault: DemoFault::RequireMfa }).unwrap(), r#"{"type":"demo","fault":"require_mfa"}"#);
    assert_eq!(
        serde_json::to_string(&Event::Error(IpcError::new(ErrorCode::NotFound, "gone"))).unwrap(),
        r#"{"type":"error","code":"not_found","message":"gone"}"#
    );
}

/// A service that records requests and relays events sent through
/// `events`. A device code sign-in sends its code and then waits for
/// `sign_in_done`, recording in `cancelled` whether it was dropped first.
struct FakeService {
    events: broadcast::Sender<EngineEvent>,
    accounts: Vec<AccountStatus>,
    calls: Mutex<Vec<Request>>,
    sign_in_done: tokio::sync::Notify,
    cancelled: std::sync::atomic::AtomicBool,
}

impl FakeService {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            events: broadcast::channel(16).0,
            accounts: vec![status(LinkState::Connected)],
            calls: Mutex::new(Vec::new()),
            sign_in_done: tokio::sync::Notify::new(),
            cancelled: std::sync::atomic::AtomicBool::new(false),
        })
    }
}

/// Sets a flag when dropped before [`DropFlag::disarm`].
struct DropFlag<'a>(Option<&'a std::sync::atomic::AtomicBool>);

impl DropFlag<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for DropFlag<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Service for FakeService {
    fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    fn snapshot(&self) -> Vec<AccountStatus> {
        self.accounts.clone()
    }

    async fn call(&self, request: Request, progress: Progress) -> Event {
        self.calls.lock().unwrap().push(request.clone());
        match request {
            Request::ConnectDeviceCode { .. } => {
                let flag = DropFlag(Some(&self.cancelled));
                progress.send(Event::DeviceCode { prompt: prompt() });
                self.sign_in_done.notified().await;
                flag.disarm();
                Event::ConnectResult { outcome: ConnectOutcome::Connected { status: status(LinkState::Connected).into() } }
            }
            Request::Disconnect { account: Some(account) } => Event::Error(IpcError::new(ErrorCode::NotFound, format!("no {account}"))),
            _ => Event::Done,
        }
    }
}

async fn start(service: Arc<FakeService>) -> (tempfile::TempDir, Endpoint, ServerHandle) {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::at(dir.path().join("run").join("tray.sock"));
    let listener = Listener::bind(&endpoint).await.unwrap();
    (dir, endpoint.clone(), serve(listener, service))
}

#[tokio::test]
async fn request_gets_its_reply() {
    let service = FakeService::new();
    let (_dir, endpoint, _server) = start(Arc::clone(&service)).await;

    assert_eq!(request(&endpoint, &Request::CheckNow).await.unwrap(), Event::Done);
    let failure = request(&endpoint, &Request::Disconnect { account: Some("nobody".into()) }).await.unwrap_err();

    assert_eq!(failure.code, ErrorCode::NotFound);
    assert_eq!(failure.message, "no nobody");
    assert_eq!(*service.calls.lock().unwrap(), vec![Request::CheckNow, Request::Disconnect { account: Some("nobody".into()) }]);
}

#[tokio::test]
async fn device_code_sends_its_code_before_the_result() {
    let service = FakeService::new();
    let (_dir, endpoint, _server) = start(Arc::clone(&service)).await;
    let mut progress = Vec::new();

    let finish = async {
        // Finishes the sign-in only after the code reached the client.
        for _ in 0..500 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            if service.calls.lock().unwrap().len() == 1 {
                service.sign_in_done.notify_one();
                return;
            }
        }
    };
    let (reply, ()) = tokio::join!(request_with_progress(&endpoint, &Request::ConnectDeviceCode { account: None }, |event| progress.push(event.clone())), finish);

    assert_eq!(progress, vec![Event::DeviceCode { prompt: prompt() }]);
    assert!(matches!(reply.unwrap(), Event::ConnectResult { outcome: ConnectOutcome::Connected { .. } }));
    assert!(!service.cancelled.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn leaving_client_cancels_its_sign_in() {
    let service = FakeService::new();
    let (_dir, endpoint, _server) = start(Arc::clone(&service)).await;
    let (shown, mut code) = tokio::sync::mpsc::unbounded_channel();
    let waiting = request_with_progress(&endpoint, &Request::ConnectDeviceCode { account: None }, move |event| {
        let _ = shown.send(event.clone());
    });

    // The client waits until the code arrives, then goes away.
    tokio::select! {
        _ = waiting => panic!("the sign-in finished without the user"),
        event = code.recv() => assert_eq!(event, Some(Event::DeviceCode { prompt: prompt() })),
    }

    for _ in 0..200 {
        if service.cancelled.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the sign-in kept running after its client left");
}

#[tokio::test]
async fn subscription_gets_snapshot_then_events() {
    let service = FakeService::new();
    let (_dir, endpoint, _server) = start(Arc::clone(&service)).await;
    let mut subscription = Subscription::open(&endpoint).await.unwrap();

    assert_eq!(subscription.next().await.unwrap(), Some(Event::Snapshot { accounts: vec![status(LinkState::Connected).into()] }));
    service.events.send(EngineEvent::Status(status(LinkState::ReconnectNeeded))).unwrap();
    service.events.send(EngineEvent::Notify(notification())).unwrap();
    service.events.send(EngineEvent::Removed { account: "gone".into() }).unwrap();

    assert_eq!(subscription.next().await.unwrap(), Some(Event::Status { status: status(LinkState::ReconnectNeeded).into() }));
    assert_eq!(subscription.next().await.unwrap(), Some(Event::Notification { notification: notification() }));
    assert_eq!(subscription.next().await.unwrap(), Some(Event::Removed { account: "gone".into() }));
}

#[tokio::test]
async fn subscriber_leaving_ends_forwarding() {
    let service = FakeService::new();
    let (_dir, endpoint, _server) = start(Arc::clone(&service)).await;
    let mut subscription = Subscription::open(&endpoint).await.unwrap();
    subscription.next().await.unwrap();
    assert_eq!(service.events.receiver_count(), 1);

    drop(subscription);

    for _ in 0..100 {
        if service.events.receiver_count() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the server still forwards events to a client that left");
}

#[tokio::test]
async fn invalid_line_gets_bad_request() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (_dir, endpoint, _server) = start(FakeService::new()).await;

    let mut stream = tokio::net::UnixStream::connect(&endpoint.address).await.unwrap();
    stream.write_all(b"{\"type\":\"give_me_the_token\"}\n").await.unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.unwrap();

    let Event::Error(failure) = serde_json::from_str(&line).unwrap() else { panic!("not an error: {line}") };
    assert_eq!(failure.code, ErrorCode::BadRequest);
}

#[tokio::test]
async fn oversized_request_is_rejected() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (_dir, endpoint, _server) = start(FakeService::new()).await;

    let mut stream = tokio::net::UnixStream::connect(&endpoint.address).await.unwrap();
    let huge = format!("{{\"type\":\"reconnect\",\"account\":\"{}\"}}\n", "a".repeat(MAX_REQUEST_BYTES));
    // The server may close before reading all of it; only its reply matters.
    let _ = stream.write_all(huge.as_bytes()).await;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.unwrap();

    let Event::Error(failure) = serde_json::from_str(&line).unwrap() else { panic!("not an error: {line}") };
    assert_eq!(failure.code, ErrorCode::BadRequest);
    assert!(failure.message.contains("longer than"), "{}", failure.message);
}

#[tokio::test]
async fn socket_and_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, endpoint, _server) = start(FakeService::new()).await;

    let socket_mode = std::fs::metadata(&endpoint.address).unwrap().permissions().mode() & 0o777;
    let dir_mode = std::fs::metadata(endpoint.address.parent().unwrap()).unwrap().permissions().mode() & 0o777;

    assert_eq!(socket_mode, 0o600);
    assert_eq!(dir_mode, 0o700);
}

#[tokio::test]
async fn open_directory_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();

    let _listener = Listener::bind(&Endpoint::at(run.join("tray.sock"))).await.unwrap();

    assert_eq!(std::fs::metadata(&run).unwrap().permissions().mode() & 0o777, 0o700);
}

#[tokio::test]
async fn second_bind_finds_the_first() {
    let (_dir, endpoint, _server) = start(FakeService::new()).await;

    let second = Listener::bind(&endpoint).await;

    assert!(matches!(second, Err(BindError::AlreadyRunning(_))), "{second:?}");
    assert!(is_running(&endpoint).await);
}

#[tokio::test]
async fn stale_socket_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::at(dir.path().join("tray.sock"));
    // A socket file nobody listens on, as a killed tray leaves behind.
    drop(std::os::unix::net::UnixListener::bind(&endpoint.address).unwrap());
    assert!(endpoint.address.exists());
    assert!(!is_running(&endpoint).await);

    let _server = serve(Listener::bind(&endpoint).await.unwrap(), FakeService::new());

    assert_eq!(request(&endpoint, &Request::CheckNow).await.unwrap(), Event::Done);
}

#[tokio::test]
async fn no_tray_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::at(dir.path().join("tray.sock"));

    let failure = request(&endpoint, &Request::Status).await.unwrap_err();

    assert_eq!(failure.code, ErrorCode::Unavailable);
    assert_eq!(failure.message, "Graphlink is not running.");
}

#[tokio::test]
async fn dropped_listener_removes_socket() {
    let (_dir, endpoint, server) = start(FakeService::new()).await;
    assert!(endpoint.address.exists());

    drop(server);

    for _ in 0..100 {
        if !endpoint.address.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the socket file outlived the server");
}
