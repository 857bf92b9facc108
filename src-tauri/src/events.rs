//! Live updates: the tray's events, forwarded to the web view as
//! `graphlink://event`. When the tray goes away the window shows that it
//! is not running, and subscribes again until it is back.

use std::time::Duration;

use graphlink_core::ipc::{Endpoint, Event, Subscription};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

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
        if event == Event::ShowWindow {
            bring_to_front(app);
            continue;
        }
        if let Err(error) = app.emit(EVENT_NAME, &event) {
            tracing::warn!(%error, "could not forward an event to the window");
        }
        if matches!(event, Event::Error(_)) {
            break;
        }
    }
    Ok(())
}

/// Shows the window above the others, because the user opened Graphlink again.
fn bring_to_front(app: &AppHandle) {
    let Some(window) = app.get_webview_window("main") else { return };
    let raised = window.unminimize().and_then(|()| window.show()).and_then(|()| window.set_focus());
    if let Err(error) = raised {
        tracing::warn!(%error, "could not bring the window to the front");
    }
}
