//! The window's commands: each forwards one request to the tray and returns
//! its reply. Errors reach the UI as `{code, message}`.

use std::sync::Mutex;

use graphlink_core::ipc::{self, ConnectOutcome, Endpoint, ErrorCode, Event, IpcError, Request};
use graphlink_core::readiness::AccountReport;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::oneshot;

/// The event that carries the code of a device code sign-in to the page.
const DEVICE_CODE_EVENT: &str = "graphlink://device-code";

/// The way to cancel the device code sign-in in progress, if one runs.
#[derive(Debug, Default)]
pub struct DeviceSignIn(Mutex<Option<oneshot::Sender<()>>>);

#[tauri::command]
pub async fn snapshot(endpoint: State<'_, Endpoint>) -> Result<Vec<AccountReport>, IpcError> {
    match ipc::request(&endpoint, &Request::Status).await? {
        Event::Snapshot { accounts } => Ok(accounts),
        other => Err(unexpected(&other)),
    }
}

#[tauri::command]
pub async fn connect(endpoint: State<'_, Endpoint>) -> Result<ConnectOutcome, IpcError> {
    connect_result(ipc::request(&endpoint, &Request::Connect).await?)
}

#[tauri::command]
pub async fn reconnect(endpoint: State<'_, Endpoint>, account: String) -> Result<ConnectOutcome, IpcError> {
    connect_result(ipc::request(&endpoint, &Request::Reconnect { account }).await?)
}

/// Signs in with a code entered on another device. The code reaches the
/// page as a `graphlink://device-code` event; the outcome is the reply.
#[tauri::command]
pub async fn connect_device_code(
    app: AppHandle,
    endpoint: State<'_, Endpoint>,
    sign_in: State<'_, DeviceSignIn>,
    account: Option<String>,
) -> Result<ConnectOutcome, IpcError> {
    let (cancel, cancelled) = oneshot::channel();
    if let Ok(mut slot) = sign_in.0.lock() {
        *slot = Some(cancel);
    }
    let on_progress = |event: &Event| {
        if let Event::DeviceCode { prompt } = event
            && let Err(error) = app.emit(DEVICE_CODE_EVENT, prompt)
        {
            tracing::warn!(%error, "could not show the device code");
        }
    };
    let request = Request::ConnectDeviceCode { account };
    tokio::select! {
        reply = ipc::request_with_progress(&endpoint, &request, on_progress) => connect_result(reply?),
        // Dropping the request closes the connection, and the tray stops polling.
        Ok(()) = cancelled => Err(IpcError::new(ErrorCode::Cancelled, "The sign-in with a code was cancelled.")),
    }
}

/// Cancels the device code sign-in in progress, if any.
#[tauri::command]
pub fn cancel_sign_in(sign_in: State<'_, DeviceSignIn>) {
    if let Some(cancel) = sign_in.0.lock().ok().and_then(|mut slot| slot.take()) {
        let _ = cancel.send(());
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
