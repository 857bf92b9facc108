//! The health states of a linked account and the status that every shell
//! (command line, tray, window) renders.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The one state of an account; the tray shows the worst of all accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// The last refresh and Graph check succeeded.
    Connected,
    /// First check, or a reconnect in progress.
    Checking,
    /// Microsoft could not be reached (DNS, connect, timeout, TLS).
    Offline,
    /// Microsoft returned a temporary failure, or one capability fails.
    Degraded,
    /// Only the user can fix it, by signing in again.
    ReconnectNeeded,
    /// Only an administrator can fix it.
    AdminNeeded,
    /// The OS keyring is missing, locked or too slow.
    KeyringUnavailable,
    /// No account is linked yet.
    NotConnected,
}

impl LinkState {
    /// Returns the state name used in `status --json` and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Checking => "checking",
            Self::Offline => "offline",
            Self::Degraded => "degraded",
            Self::ReconnectNeeded => "reconnect_needed",
            Self::AdminNeeded => "admin_needed",
            Self::KeyringUnavailable => "keyring_unavailable",
            Self::NotConnected => "not_connected",
        }
    }

    /// Returns how bad the state is, so the tray can show the worst account.
    #[must_use]
    pub const fn severity(self) -> u8 {
        match self {
            Self::Connected | Self::NotConnected => 0,
            Self::Checking => 1,
            Self::Offline => 2,
            Self::Degraded => 3,
            Self::KeyringUnavailable => 4,
            Self::ReconnectNeeded => 5,
            Self::AdminNeeded => 6,
        }
    }

    /// Returns true for states only a person can resolve.
    #[must_use]
    pub const fn needs_action(self) -> bool {
        matches!(self, Self::ReconnectNeeded | Self::AdminNeeded | Self::KeyringUnavailable | Self::NotConnected)
    }
}

impl std::fmt::Display for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result of one Graph capability in the last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapabilityStatus {
    Ok,
    Failed,
    #[default]
    Unknown,
}

/// The three things a health check proves: profile, mail and calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    pub profile: CapabilityStatus,
    pub mail: CapabilityStatus,
    pub calendar: CapabilityStatus,
}

impl Capabilities {
    #[must_use]
    pub fn all_ok(&self) -> bool {
        [self.profile, self.mail, self.calendar].iter().all(|status| *status == CapabilityStatus::Ok)
    }
}

/// The user's next step for a state. Shells turn it into a button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do; Graphlink retries by itself.
    None,
    /// Sign in again through the browser.
    Reconnect,
    /// Send this request to IT.
    AskAdmin { admin_consent_url: String },
    /// Unlock or install the OS keyring, then Graphlink retries.
    UnlockKeyring,
    /// Fix the named configuration setting.
    FixConfiguration,
}

/// The last error Microsoft reported, kept for support tickets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `error` from the token endpoint or `code` from Graph.
    pub code: String,
    /// AADSTS number, when the identity platform sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aadsts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// The outcome of one health check, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub state: LinkState,
    pub capabilities: Capabilities,
    /// A plain-language sentence for the user.
    pub message: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The status of one account, as `graphlink status --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStatus {
    /// Stable account key: `{oid}.{tid}`.
    pub account: String,
    pub username: String,
    pub tenant_id: String,
    pub state: LinkState,
    pub capabilities: Capabilities,
    pub message: String,
    pub action: Action,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_checked: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_connected: Option<OffsetDateTime>,
    /// When the health engine checks the account next. Only a running
    /// engine plans checks, so one-shot commands leave it unset.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub next_check: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}
