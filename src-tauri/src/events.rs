//! Live updates: the tray's events, forwarded to the web view as
//! `graphlink://event`. When the tray goes away the window shows that it
//! is not running, and subscribes again until it is back.

use std::time::Duration;

use graphlink_core::ipc::{Endpoint, Event, Subscription};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

const EVENT_NAME: &str = "graphlink://event";
/// Pause before subscribing again after the tray went away.
const RETRY: Duration = Duration::from_secs(2);

/// The window's own event for a lost tray, next to the tray's events.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "disconnected")]
struct Disconnected {
    message: String,
}

/// Starts forwarding on Tauri's runtime. The task ends with the process.
pub fn forward(app: AppHandle, endpoint: Endpoint) {
    tauri::async_runtime::spawn(async move {
        loop {
            let message = match subscribe_until_closed(&app, &endpoint).await {
                Ok(()) => "Graphlink stopped.".to_owned(),
                Err(error) => error.message,
            };
            let _ = app.emit(EVENT_NAME, Disconnected { message });
            tokio::time::sleep(RETRY).await;
        }
    });
}

async fn subscribe_until_closed(app: &AppHandle, endpoint: &Endpoint) -> Result<(), graphlink_core::ipc::IpcError> {
    let mut subscription = Subscription::open(endpoint).await?;
    while let Some(event) = subscription.next().await? {
        if let Err(error) = app.emit(EVENT_NAME, &event) {
            tracing::warn!(%error, "could not forward an event to the window");
        }
        if matches!(event, Event::Error(_)) {
            break;
        }
    }
    Ok(())
}
