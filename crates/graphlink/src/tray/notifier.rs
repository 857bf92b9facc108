//! Desktop notifications. The engine's notification policy decides when;
//! this shows what it decided, with at most one notification per account on
//! screen, and turns a click on it into the request that fixes the account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use graphlink_core::engine::policy::{Notification, NotificationKind};
use graphlink_core::ipc::Request;
use graphlink_core::state::Action;

/// Carries out a request as the tray's menu would.
type OnAction = Arc<dyn Fn(Request) + Send + Sync>;

/// Shows the policy's notifications and remembers the one on screen for
/// each account, by its ID.
pub struct Notifier {
    on_screen: Mutex<HashMap<String, u32>>,
    on_action: OnAction,
}

impl Notifier {
    pub fn new(on_action: impl Fn(Request) + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self { on_screen: Mutex::new(HashMap::new()), on_action: Arc::new(on_action) })
    }

    /// Shows a notification in place of the account's earlier one, which
    /// asked for something that is now done or outdated, such as a Reconnect
    /// after the link was restored.
    pub async fn show(&self, notification: Notification) {
        let previous = self.on_screen.lock().unwrap_or_else(PoisonError::into_inner).remove(&notification.account);
        if let Some(id) = previous {
            close(id).await;
        }
        let account = notification.account.clone();
        let action = button(&notification);
        let label = action.as_ref().map(|(label, _)| *label);
        // The Linux implementation makes synchronous D-Bus calls.
        let result = tokio::task::spawn_blocking(move || desktop(&notification, label).show()).await;
        match result {
            Ok(Ok(handle)) => {
                tracing::info!(account = %account, "notification shown");
                self.keep(account, handle, action.map(|(_, request)| request));
            }
            Ok(Err(error)) => tracing::warn!(account = %account, %error, "could not show a notification"),
            Err(error) => tracing::warn!(account = %account, %error, "the notification task failed"),
        }
    }

    /// Remembers the notification's ID, and waits for a click on it on a
    /// blocking thread, because the wait lasts until the user acts or the
    /// notification closes, which may be hours. The wait needs the handle's
    /// own D-Bus connection: notification servers such as dunst send the click
    /// only to the connection that showed the notification.
    #[cfg(all(unix, not(target_os = "macos")))]
    fn keep(&self, account: String, handle: notify_rust::NotificationHandle, request: Option<Request>) {
        self.on_screen.lock().unwrap_or_else(PoisonError::into_inner).insert(account, handle.id());
        let Some(request) = request else { return };
        let on_action = Arc::clone(&self.on_action);
        tokio::task::spawn_blocking(move || {
            handle.wait_for_action(|action| {
                tracing::info!(action, "notification action received");
                if action != "__closed" {
                    on_action(request);
                }
            });
        });
    }

    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn keep(&self, _account: String, _handle: notify_rust::NotificationHandle, _request: Option<Request>) {
        // NOTE: outside Linux and the BSDs, a notification is neither replaced
        // nor clickable; the tray menu offers the same actions.
        let _ = (&self.on_screen, &self.on_action);
    }

    /// Closes every notification still on screen, so none offers an action
    /// after the tray has quit.
    pub async fn close_all(&self) {
        let closing = std::mem::take(&mut *self.on_screen.lock().unwrap_or_else(PoisonError::into_inner));
        for id in closing.into_values() {
            close(id).await;
        }
    }
}

/// Builds the desktop notification, with `label` as its button.
fn desktop(notification: &Notification, label: Option<&str>) -> notify_rust::Notification {
    let mut desktop = notify_rust::Notification::new();
    desktop.appname("Graphlink").summary(&notification.summary).body(&notification.body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let urgency = match notification.kind {
            NotificationKind::Restored => notify_rust::Urgency::Normal,
            _ => notify_rust::Urgency::Critical,
        };
        desktop.urgency(urgency);
        if let Some(label) = label {
            // "default" is a click on the notification itself.
            desktop.action("default", label).action("act", label);
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = label;
    desktop
}

/// The maximum wait for the notification server to close a notification,
/// so a hung server cannot stall the notifications or the tray's exit.
#[cfg(all(unix, not(target_os = "macos")))]
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Closes the notification with this ID through the notification server.
#[cfg(all(unix, not(target_os = "macos")))]
async fn close(id: u32) {
    let closed = async {
        let connection = zbus::Connection::session().await?;
        connection
            .call_method(Some("org.freedesktop.Notifications"), "/org/freedesktop/Notifications", Some("org.freedesktop.Notifications"), "CloseNotification", &(id,))
            .await?;
        Ok::<_, zbus::Error>(())
    };
    match tokio::time::timeout(CLOSE_TIMEOUT, closed).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(id, %error, "could not close a notification"),
        Err(_) => tracing::warn!(id, "the notification server did not close a notification in time"),
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn close(_id: u32) {}

/// Returns the button of a notification and the request a click sends.
fn button(notification: &Notification) -> Option<(&'static str, Request)> {
    if notification.kind == NotificationKind::Restored {
        return None;
    }
    match notification.action {
        Action::Reconnect => Some(("Reconnect", Request::Reconnect { account: notification.account.clone() })),
        // The window has the request for IT to copy.
        Action::AskAdmin { .. } | Action::FixConfiguration | Action::UnlockKeyring => Some(("Open Graphlink", Request::OpenWindow)),
        Action::None => None,
    }
}

/// Shows a plain notification that no policy decided, as feedback on an
/// action the user just took from the menu.
pub async fn show_text(summary: &str, body: &str) {
    let (summary, body) = (summary.to_owned(), body.to_owned());
    let shown = tokio::task::spawn_blocking(move || notify_rust::Notification::new().appname("Graphlink").summary(&summary).body(&body).show().map(|_| ())).await;
    if let Ok(Err(error)) = shown {
        tracing::warn!(%error, "could not show a notification");
    }
}

#[cfg(test)]
mod tests {
    use graphlink_core::state::LinkState;

    use super::*;

    fn notification(kind: NotificationKind, action: Action) -> Notification {
        Notification { account: "oid.tid".into(), kind, state: LinkState::ReconnectNeeded, summary: String::new(), body: String::new(), action }
    }

    #[test]
    fn reconnect_button_reconnects_that_account() {
        let (label, request) = button(&notification(NotificationKind::ActionNeeded, Action::Reconnect)).expect("a button");
        assert_eq!(label, "Reconnect");
        assert_eq!(request, Request::Reconnect { account: "oid.tid".into() });
    }

    #[test]
    fn it_request_opens_window() {
        let action = Action::AskAdmin { admin_consent_url: "https://x/adminconsent".into() };
        assert_eq!(button(&notification(NotificationKind::Reminder, action)).map(|(_, request)| request), Some(Request::OpenWindow));
    }

    #[test]
    fn restored_notice_has_no_button() {
        assert!(button(&notification(NotificationKind::Restored, Action::Reconnect)).is_none());
    }
}
