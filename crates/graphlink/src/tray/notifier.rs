//! Desktop notifications. The engine's notification policy decides when;
//! this only shows what it decided.

use graphlink_core::engine::policy::{Notification, NotificationKind};

/// Shows a notification. Runs on a blocking thread, because the Linux
/// implementation makes synchronous D-Bus calls.
pub async fn show(notification: Notification) {
    let account = notification.account.clone();
    let shown = tokio::task::spawn_blocking(move || {
        let urgency = match notification.kind {
            NotificationKind::Restored => notify_rust::Urgency::Normal,
            _ => notify_rust::Urgency::Critical,
        };
        let mut desktop = notify_rust::Notification::new();
        desktop.appname("Graphlink").summary(&notification.summary).body(&notification.body);
        #[cfg(all(unix, not(target_os = "macos")))]
        desktop.urgency(urgency);
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = urgency;
        desktop.show().map(|_| ())
    })
    .await;
    match shown {
        Ok(Ok(())) => tracing::info!(account = %account, "notification shown"),
        Ok(Err(error)) => tracing::warn!(account = %account, %error, "could not show a notification"),
        Err(error) => tracing::warn!(account = %account, %error, "the notification task failed"),
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
