//! Public data types of the simulator: users, faults, settings and counters.

use serde::{Deserialize, Serialize};

/// Password given to users created without one, through [`crate::SimState::add_user`],
/// the control API or `graphlink-sim --user NAME`.
pub const DEFAULT_PASSWORD: &str = "sim-password";

/// Request to create a simulated user. Empty fields get defaults: the display name is
/// derived from the username, the password is [`DEFAULT_PASSWORD`], and the tenant is
/// the simulator's default tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserSpec {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub tenant_id: Option<String>,
}

/// A simulated work account. `oid` and `tenant_id` are GUIDs, as in Entra ID, and `oid`
/// is also the `id` that Graph returns for `/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub oid: String,
    pub tenant_id: String,
}

/// Failures injected for one user. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Sign-in shows an MFA page, and refresh grants fail with AADSTS50076
    /// (`invalid_grant`, suberror `basic_action`). Approving the MFA page clears it.
    pub mfa_required: bool,
    /// User consent is disabled in the tenant: sign-in shows "Need admin approval" for
    /// scopes that an admin has not granted, and refresh grants fail with AADSTS65001
    /// (`invalid_grant`, suberror `consent_required`). Admin consent clears it.
    pub consent_disabled: bool,
    /// Every token request for this user fails with this transient error.
    pub token_error: Option<TokenFault>,
    /// Graph calls of these kinds fail with 403 even when the token has the scope.
    pub graph_forbidden: Vec<Capability>,
    /// Delay added to every identity and Graph response for this user, in milliseconds.
    pub latency_ms: u64,
    /// Every refresh grant of this user fails with the token endpoint error for this
    /// AADSTS code, as [`crate::entra_error_for`] lists it. Authorization code and
    /// device code grants are not affected.
    pub refresh_error: Option<u32>,
    /// Graph calls of a capability fail with the given status and code, also inside
    /// `$batch`, where each item gets its own error.
    pub graph_errors: Vec<GraphFault>,
    /// Every Graph request of this user, `$batch` included, fails as a whole with this
    /// 5xx status and Graph's error JSON.
    pub graph_outage: Option<u16>,
    /// `Retry-After` of the `graph_outage` responses, in seconds. Absent sends none.
    pub graph_outage_retry_after_secs: Option<u64>,
    /// Graph closes this user's connections without sending a response.
    pub graph_reset: bool,
    /// A Conditional Access policy changed: Graph rejects every CAE-capable access token
    /// issued before this fault was set with a claims challenge
    /// (`TokenCreatedWithOutdatedPolicies`). Tokens issued later pass.
    pub cae_challenge: bool,
    /// A Conditional Access policy blocks the device code flow for this user: after
    /// signing in at `/devicelogin` the page shows AADSTS53003, and polling fails with
    /// `invalid_grant`, suberror `message_only`, AADSTS53003. Browser sign-in still works.
    pub device_code_blocked: bool,
}

impl Faults {
    /// Checks the values a client could not act on: an AADSTS code missing from the
    /// catalogue, a Graph error status outside 400–599 or without a code, and a
    /// `graph_outage` status outside 500–599.
    ///
    /// # Errors
    ///
    /// Returns a message naming the invalid field and value.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(code) = self.refresh_error
            && crate::entra_errors::entra_error_for(code).is_none()
        {
            return Err(format!(
                "\"refresh_error\": AADSTS{code} is not in the simulator's catalogue. Known codes: {}.",
                crate::entra_errors::entra_error_codes()
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for fault in &self.graph_errors {
            if !(400..=599).contains(&fault.status) {
                return Err(format!(
                    "\"graph_errors\": status {} is not an error status (400-599).",
                    fault.status
                ));
            }
            if fault.code.trim().is_empty() {
                return Err(
                    "\"graph_errors\": \"code\" must name Graph's error code, such as \"TooManyRequests\"."
                        .to_owned(),
                );
            }
        }
        if let Some(status) = self.graph_outage
            && !(500..=599).contains(&status)
        {
            return Err(format!(
                "\"graph_outage\": status {status} is not a server error status (500-599)."
            ));
        }
        Ok(())
    }
}

/// A Graph error injected into every call of one capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphFault {
    pub capability: Capability,
    /// HTTP status of the call, or of the batch item.
    pub status: u16,
    /// Graph's `error.code`, such as `TooManyRequests`, `MailboxNotEnabledForRESTAPI` or
    /// `serviceNotAvailable`. Known codes get Graph's message text.
    pub code: String,
    /// Sent as `Retry-After`, in seconds.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
}

/// A transient token endpoint failure, applied to every token request of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenFault {
    /// HTTP `status` (500 gives `server_error`, any other `temporarily_unavailable`).
    ServerError { status: u16 },
    /// HTTP 429 with `Retry-After: retry_after_secs`.
    Throttled { retry_after_secs: u64 },
    /// HTTP `status` with an HTML error page, as a proxy or an outage page sends.
    ServerErrorHtml { status: u16 },
    /// The connection is closed without any HTTP response.
    Reset,
    /// The response is delayed by `secs` seconds, then sent as without the fault, so a
    /// client with a shorter timeout gives up first.
    Hang { secs: u64 },
}

/// A group of Graph calls that a fault can forbid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// `GET /me`.
    Profile,
    /// `GET /me/mailFolders/inbox`, `/me/messages` and `/me/mailboxSettings`.
    Mail,
    /// `GET /me/calendar` and `/me/calendarView`.
    Calendar,
}

/// Request counters since the simulator state was created, for all users or, through
/// [`crate::SimState::user_stats`], for one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// `GET /{tenant}/oauth2/v2.0/authorize` requests.
    pub authorize_requests: u64,
    /// Sign-ins that ended with an authorization code, an approved device code or an
    /// admin consent.
    pub sign_ins: u64,
    /// `POST /{tenant}/oauth2/v2.0/token` requests, whatever their outcome.
    pub token_requests: u64,
    /// Token requests that returned tokens.
    pub tokens_issued: u64,
    /// Token requests with `grant_type=refresh_token`.
    pub refresh_requests: u64,
    /// Token requests that returned an error (any status).
    pub token_errors: u64,
    /// `POST /{tenant}/oauth2/v2.0/devicecode` requests.
    pub device_code_requests: u64,
    /// HTTP requests to `/v1.0`, where a `$batch` request counts once.
    pub graph_requests: u64,
    /// `POST /v1.0/$batch` requests.
    pub batch_requests: u64,
    /// Graph calls that returned an error status, batch items included.
    pub graph_errors: u64,
}

/// Tunable timings. In a `PUT /_sim/settings` body every field is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `expires_in` of new access tokens, in seconds (default 3599).
    pub access_token_lifetime_secs: u64,
    /// `interval` of new device codes, in seconds (default 5). 0 disables `slow_down`.
    pub device_code_interval_secs: u64,
    /// `expires_in` of new device codes, in seconds (default 900).
    pub device_code_lifetime_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_lifetime_secs: 3599,
            device_code_interval_secs: 5,
            device_code_lifetime_secs: 900,
        }
    }
}

/// Partial update of [`Settings`]. Absent fields keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsUpdate {
    pub access_token_lifetime_secs: Option<u64>,
    pub device_code_interval_secs: Option<u64>,
    pub device_code_lifetime_secs: Option<u64>,
}
