//! The window's commands: each forwards one request to the tray and returns
//! its reply. Errors reach the UI as `{code, message}`.

use graphlink_core::ipc::{self, ConnectOutcome, Endpoint, ErrorCode, Event, IpcError, Request};
use graphlink_core::state::AccountStatus;
use tauri::State;

#[tauri::command]
pub async fn snapshot(endpoint: State<'_, Endpoint>) -> Result<Vec<AccountStatus>, IpcError> {
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
