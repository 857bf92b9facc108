//! The messages of the local IPC protocol: one JSON object per line.
//!
//! A client opens a connection, writes one [`Request`] and reads
//! [`Event`]s. Every request except [`Request::Subscribe`] gets exactly one
//! reply, and then the server closes the connection. A subscription gets an
//! [`Event::Snapshot`] and then every engine event until either side closes.
//!
//! The types carry account status, readiness, notification text, the user
//! code of a device code sign-in and error codes only. None has a field for
//! a token, and none of the types they contain has one.

use serde::{Deserialize, Serialize};

use crate::engine::policy::Notification;
use crate::link::{Attempt, DeviceCodePrompt};
use crate::readiness::AccountReport;
use crate::state::{Action, ErrorDetail, LinkState};

/// Maximum length of a request line, in bytes. Requests are tiny, and the
/// limit keeps a misbehaving client from growing the tray's memory.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// A request from a client to the tray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Send a snapshot of every account, then every engine event.
    Subscribe,
    /// Reply with the latest status of every account.
    Status,
    /// Check every account now. The results arrive as events.
    CheckNow,
    /// Link a new account through the browser, the username pre-filled
    /// with `login_hint` when given. The reply is an [`Event::SignInPage`]
    /// once the browser was started, then the [`Event::ConnectResult`].
    /// Closing the connection before the result cancels the sign-in.
    Connect {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login_hint: Option<String>,
    },
    /// Sign in again as a linked account (its key or username), as [`Request::Connect`] does.
    Reconnect { account: String },
    /// Link a new account, or sign in again as `account`, with a code
    /// entered on another device. The reply is an [`Event::DeviceCode`] with
    /// the code to show, then the [`Event::ConnectResult`]. Closing the
    /// connection before the result cancels the sign-in.
    ConnectDeviceCode { account: Option<String> },
    /// Remove linked accounts and their keyring entries: the named one (key
    /// or username), or every account when `account` is `None`.
    Disconnect { account: Option<String> },
    /// Reply with the text to send to IT for an account that needs an administrator.
    ItRequest { account: String },
    /// Reply with the last connect that ended at a block only IT can lift,
    /// kept until an account links.
    LastConnectAttempt,
    /// Show the status window.
    OpenWindow,
    /// Break or repair the demo account on purpose. Only `graphlink demo` accepts it.
    Demo { fault: DemoFault },
}

impl Event {
    /// Returns true for the events a request sends ahead of its reply.
    #[must_use]
    pub const fn is_progress(&self) -> bool {
        matches!(self, Self::DeviceCode { .. } | Self::SignInPage { .. })
    }
}

impl Request {
    /// Returns true for the requests that wait for the user to sign in.
    #[must_use]
    pub const fn is_sign_in(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Reconnect { .. } | Self::ConnectDeviceCode { .. })
    }
}

/// A failure the demo injects into its simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoFault {
    /// Revoke the refresh token, as a password change does.
    Revoke,
    /// Require multi-factor authentication on the next refresh.
    RequireMfa,
    /// Disable user consent in the tenant, so only an admin can approve.
    BlockConsent,
    /// Stop the simulator, so Microsoft looks unreachable.
    GoOffline,
    /// Make Graph return 429 Too Many Requests.
    Throttle,
    /// Undo every fault and bring the simulator back.
    Repair,
}

impl DemoFault {
    /// Every fault, in the order the Demo menu lists them.
    pub const ALL: [Self; 6] = [Self::Revoke, Self::RequireMfa, Self::BlockConsent, Self::GoOffline, Self::Throttle, Self::Repair];

    /// Returns the menu label.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Revoke => "Revoke the sign-in",
            Self::RequireMfa => "Require MFA",
            Self::BlockConsent => "Block user consent",
            Self::GoOffline => "Go offline",
            Self::Throttle => "Throttle Graph",
            Self::Repair => "Repair everything",
        }
    }
}

/// A message from the tray to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Every account's latest status: the first event of a subscription,
    /// and the reply to [`Request::Status`].
    Snapshot { accounts: Vec<AccountReport> },
    /// A check finished for an account.
    Status { status: AccountReport },
    /// An account was disconnected.
    Removed { account: String },
    /// The tray showed a desktop notification.
    Notification { notification: Notification },
    /// The code and address of a device code sign-in, for the user to enter
    /// on another device. The result follows when the sign-in ends.
    DeviceCode { prompt: DeviceCodePrompt },
    /// The address of the sign-in page, sent once the browser was started,
    /// because a browser can start and still show nothing. The result
    /// follows when the sign-in ends.
    SignInPage {
        url: String,
        /// The error that kept the browser from starting, if one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        browser_error: Option<String>,
    },
    /// The reply to a connect or reconnect.
    ConnectResult { outcome: ConnectOutcome },
    /// The reply to [`Request::ItRequest`]: the text to paste into a ticket.
    ItRequest { text: String },
    /// The reply to [`Request::LastConnectAttempt`].
    LastConnectAttempt { attempt: Option<Box<Attempt>> },
    /// The user opened Graphlink again while its window was open, so the
    /// window comes to the front.
    ShowWindow,
    /// The request was carried out, and its effects arrive as events.
    Done,
    /// The request failed.
    Error(IpcError),
}

/// The outcome of a connect or reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ConnectOutcome {
    Connected { status: AccountReport },
    Failed {
        state: LinkState,
        message: String,
        action: Action,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ErrorDetail>,
        /// The text for IT, when only an administrator can fix the failure.
        #[serde(skip_serializing_if = "Option::is_none")]
        it_request: Option<String>,
    },
}

/// A failed request, as every client shows it: a stable code to act on and
/// a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// The reason a request failed. A code exists only where a client acts differently on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The line was not a valid request, so the client and tray versions differ.
    BadRequest,
    /// No linked account matches the one named.
    NotFound,
    /// A sign-in is already in progress, so the client waits for its result.
    Busy,
    /// This tray does not offer the request (demo controls outside the demo).
    Unsupported,
    /// The keyring or the account file could not be changed.
    Storage,
    /// The tray could not be reached or closed the connection early.
    Unavailable,
    /// The user cancelled the request, so the client shows no failure.
    Cancelled,
}
