//! The window's commands: each forwards one request to the tray and returns
//! its reply. Errors reach the UI as `{code, message}`.

use std::sync::Mutex;

use graphlink_core::ipc::{self, ConnectOutcome, Endpoint, ErrorCode, Event, IpcError, Request};
use graphlink_core::link::Attempt;
use graphlink_core::readiness::AccountReport;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::oneshot;

/// The event that carries a sign-in's progress to the page: the address of
/// the sign-in page, or the code of a device code sign-in.
const SIGN_IN_PROGRESS_EVENT: &str = "graphlink://sign-in-progress";

/// The way to cancel the sign-in in progress, if one runs.
#[derive(Debug, Default)]
pub struct SignIn(Mutex<Option<oneshot::Sender<()>>>);

#[tauri::command]
pub async fn snapshot(endpoint: State<'_, Endpoint>) -> Result<Vec<AccountReport>, IpcError> {
    match ipc::request(&endpoint, &Request::Status).await? {
        Event::Snapshot { accounts } => Ok(accounts),
        other => Err(unexpected(&other)),
    }
}

/// Links a new account through the browser.
#[tauri::command]
pub async fn connect(app: AppHandle, endpoint: State<'_, Endpoint>, sign_in: State<'_, SignIn>) -> Result<ConnectOutcome, IpcError> {
    run_sign_in(&app, &endpoint, &sign_in, Request::Connect { login_hint: None }).await
}

/// Signs in again as a linked account through the browser.
#[tauri::command]
pub async fn reconnect(app: AppHandle, endpoint: State<'_, Endpoint>, sign_in: State<'_, SignIn>, account: String) -> Result<ConnectOutcome, IpcError> {
    run_sign_in(&app, &endpoint, &sign_in, Request::Reconnect { account }).await
}

/// Signs in with a code entered on another device, for a new account or as `account`.
#[tauri::command]
pub async fn connect_device_code(
    app: AppHandle,
    endpoint: State<'_, Endpoint>,
    sign_in: State<'_, SignIn>,
    account: Option<String>,
) -> Result<ConnectOutcome, IpcError> {
    run_sign_in(&app, &endpoint, &sign_in, Request::ConnectDeviceCode { account }).await
}

/// Cancels the sign-in in progress, if any.
#[tauri::command]
pub fn cancel_sign_in(sign_in: State<'_, SignIn>) {
    if let Some(cancel) = sign_in.0.lock().ok().and_then(|mut slot| slot.take()) {
        let _ = cancel.send(());
    }
}

/// Sends a sign-in request and returns its outcome. Its progress reaches the
/// page as `graphlink://sign-in-progress` events.
async fn run_sign_in(app: &AppHandle, endpoint: &Endpoint, sign_in: &SignIn, request: Request) -> Result<ConnectOutcome, IpcError> {
    let (cancel, cancelled) = oneshot::channel();
    if let Ok(mut slot) = sign_in.0.lock() {
        *slot = Some(cancel);
    }
    let on_progress = |event: &Event| {
        if let Err(error) = app.emit(SIGN_IN_PROGRESS_EVENT, event) {
            tracing::warn!(%error, "could not show the sign-in progress");
        }
    };
    tokio::select! {
        reply = ipc::request_with_progress(endpoint, &request, on_progress) => connect_result(reply?),
        // Dropping the request closes the connection, and the tray ends the sign-in.
        Ok(()) = cancelled => Err(IpcError::new(ErrorCode::Cancelled, "The sign-in was cancelled.")),
    }
}

/// Returns the last connect that only IT can unblock, if no account linked since.
#[tauri::command]
pub async fn last_connect_attempt(endpoint: State<'_, Endpoint>) -> Result<Option<Attempt>, IpcError> {
    match ipc::request(&endpoint, &Request::LastConnectAttempt).await? {
        Event::LastConnectAttempt { attempt } => Ok(attempt.map(|attempt| *attempt)),
        other => Err(unexpected(&other)),
    }
}

#[tauri::command]
pub async fn check_now(endpoint: State<'_, Endpoint>) -> Result<(), IpcError> {
    ipc::request(&endpoint, &Request::CheckNow).await.map(|_| ())
}

#[tauri::command]
pub async fn it_request(endpoint: State<'_, Endpoint>, account: String) -> Result<String, IpcError> {
    match ipc::request(&endpoint, &Request::ItRequest { account }).await? {
        Event::ItRequest { text } => Ok(text),
        other => Err(unexpected(&other)),
    }
}

fn connect_result(reply: Event) -> Result<ConnectOutcome, IpcError> {
    match reply {
        Event::ConnectResult { outcome } => Ok(outcome),
        other => Err(unexpected(&other)),
    }
}

fn unexpected(reply: &Event) -> IpcError {
    tracing::warn!(?reply, "unexpected reply from the tray");
    IpcError::new(ErrorCode::BadRequest, "Graphlink sent an unexpected reply; the window and the tray may be different versions.")
}
