//! Wake-up and network signals from the operating system, so a check runs
//! at once after a suspend or when the network returns, rather than at the
//! next scheduled time.
//!
//! On Linux these are systemd-logind's `PrepareForSleep(false)` and
//! NetworkManager's `StateChanged` on the system bus. Elsewhere, and where no
//! system bus exists, the engine still notices a suspend by the jump of the
//! wall clock, within [`super::schedule::MAX_WAIT`].

/// A signal that calls for an immediate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemEvent {
    /// The machine resumed from suspend.
    Resumed,
    /// The network reported full connectivity again.
    NetworkUp,
}

/// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`: full internet access.
#[cfg(target_os = "linux")]
const NM_CONNECTED_GLOBAL: u32 = 70;

/// Listens on `connection` until it closes, calling `on_event` for each signal.
///
/// # Errors
///
/// Fails when the match rules cannot be added to the bus.
#[cfg(target_os = "linux")]
pub async fn watch(connection: zbus::Connection, on_event: impl Fn(SystemEvent) + Send + Sync) -> zbus::Result<()> {
    use futures_util::StreamExt as _;
    use zbus::message::Type;
    use zbus::{MatchRule, MessageStream};

    let sleep = MatchRule::builder().msg_type(Type::Signal).interface("org.freedesktop.login1.Manager")?.member("PrepareForSleep")?.build();
    let network = MatchRule::builder().msg_type(Type::Signal).interface("org.freedesktop.NetworkManager")?.member("StateChanged")?.build();
    let sleep = MessageStream::for_match_rule(sleep, &connection, None).await?;
    let network = MessageStream::for_match_rule(network, &connection, None).await?;
    let mut messages = futures_util::stream::select(sleep, network);

    while let Some(message) = messages.next().await {
        let Ok(message) = message else { continue };
        let body = message.body();
        let event = match message.header().member().map(|member| member.as_str()) {
            Some("PrepareForSleep") => body.deserialize::<bool>().ok().filter(|starting| !starting).map(|_| SystemEvent::Resumed),
            Some("StateChanged") => body.deserialize::<u32>().ok().filter(|state| *state == NM_CONNECTED_GLOBAL).map(|_| SystemEvent::NetworkUp),
            _ => None,
        };
        if let Some(event) = event {
            tracing::info!(?event, "system event");
            on_event(event);
        }
    }
    Ok(())
}

/// Connects to the system bus and watches it; logs and returns when there is
/// no system bus, leaving the wall-clock detection in charge.
#[cfg(target_os = "linux")]
pub async fn watch_system_bus(on_event: impl Fn(SystemEvent) + Send + Sync) {
    match zbus::Connection::system().await {
        Ok(connection) => {
            if let Err(error) = watch(connection, on_event).await {
                tracing::warn!(%error, "stopped watching wake-up and network signals");
            }
        }
        Err(error) => tracing::info!(%error, "no system bus; wake-ups are detected by the clock alone"),
    }
}

/// Without OS signals on this platform, wake-ups are detected by the clock alone.
// NOTE: macOS (NSWorkspaceDidWakeNotification) and Windows (WM_POWERBROADCAST)
// have equivalents that are not wired up yet.
#[cfg(not(target_os = "linux"))]
pub async fn watch_system_bus(_on_event: impl Fn(SystemEvent) + Send + Sync) {}
