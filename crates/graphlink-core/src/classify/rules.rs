//! The table from token-endpoint errors to states. First match wins, so
//! specific rows come before general ones.

use super::reason::Reason;
use crate::state::LinkState::{self, AdminNeeded, Degraded, ReconnectNeeded};

/// One row of the table. `None` in a column matches anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRule {
    pub error: Option<&'static str>,
    pub suberror: Option<&'static str>,
    pub codes: &'static [u32],
    pub state: LinkState,
    pub reason: Reason,
    /// The error proves the refresh token dead, so it is deleted.
    pub token_dead: bool,
}

impl TokenRule {
    /// Returns true when this row applies. A row without codes matches any code.
    #[must_use]
    pub fn matches(&self, error: &str, suberror: Option<&str>, aadsts: Option<u32>) -> bool {
        self.error.is_none_or(|expected| expected == error)
            && self.suberror.is_none_or(|expected| Some(expected) == suberror)
            && (self.codes.is_empty() || aadsts.is_some_and(|code| self.codes.contains(&code)))
    }
}

const fn row(
    error: Option<&'static str>,
    suberror: Option<&'static str>,
    codes: &'static [u32],
    state: LinkState,
    reason: Reason,
    token_dead: bool,
) -> TokenRule {
    TokenRule { error, suberror, codes, state, reason, token_dead }
}

const INVALID_GRANT: Option<&str> = Some("invalid_grant");

/// Used when no row matches: ask for a sign-in but keep the token.
pub const FALLBACK: TokenRule = row(None, None, &[], ReconnectNeeded, Reason::SignInRejected, false);

/// The classification table for token-endpoint errors.
pub const TOKEN_RULES: &[TokenRule] = &[
    // Refresh token proven dead: revoked, expired, invalidated.
    row(INVALID_GRANT, Some("bad_token"), &[50173, 50132, 50133], ReconnectNeeded, Reason::PasswordChanged, true),
    row(INVALID_GRANT, Some("bad_token"), &[700082, 700084, 70008], ReconnectNeeded, Reason::LinkExpired, true),
    row(INVALID_GRANT, Some("bad_token"), &[], ReconnectNeeded, Reason::TokenRevoked, true),
    row(INVALID_GRANT, Some("token_expired"), &[70043], ReconnectNeeded, Reason::SignInFrequency, true),
    row(INVALID_GRANT, Some("token_expired"), &[], ReconnectNeeded, Reason::LinkExpired, true),
    // A sign-in loop on Microsoft's side: back off rather than ask the user.
    row(None, None, &[50196], Degraded, Reason::ServiceUnavailable, false),
    // Interaction needed: the token may work again after a sign-in, so keep it.
    row(None, Some("basic_action"), &[], ReconnectNeeded, Reason::MfaRequired, false),
    row(None, Some("additional_action"), &[], ReconnectNeeded, Reason::SignInRequired, false),
    row(None, Some("user_password_expired"), &[], ReconnectNeeded, Reason::PasswordExpired, false),
    row(None, Some("consent_required"), &[], ReconnectNeeded, Reason::ConsentMissing, false),
    row(None, Some("client_mismatch"), &[], ReconnectNeeded, Reason::SignInRequired, false),
    // Only IT can fix these.
    row(None, Some("message_only"), &[], AdminNeeded, Reason::BlockedByPolicy, false),
    row(None, Some("protection_policy_required"), &[], AdminNeeded, Reason::ProtectionPolicyRequired, false),
    row(None, Some("device_authentication_failed"), &[], AdminNeeded, Reason::DeviceNotRegistered, false),
    // No suberror: the AADSTS code decides.
    row(INVALID_GRANT, None, &[50173, 50132, 50133], ReconnectNeeded, Reason::PasswordChanged, true),
    row(INVALID_GRANT, None, &[700082, 700084, 70008, 70000], ReconnectNeeded, Reason::LinkExpired, true),
    row(INVALID_GRANT, None, &[70043], ReconnectNeeded, Reason::SignInFrequency, true),
    row(INVALID_GRANT, None, &[50076, 50079, 50078, 50158], ReconnectNeeded, Reason::MfaRequired, false),
    row(INVALID_GRANT, None, &[65001], ReconnectNeeded, Reason::ConsentMissing, false),
    row(INVALID_GRANT, None, &[53003], AdminNeeded, Reason::BlockedByPolicy, false),
    row(INVALID_GRANT, None, &[50057], AdminNeeded, Reason::AccountDisabled, false),
    row(INVALID_GRANT, None, &[50053], AdminNeeded, Reason::AccountLocked, false),
    row(INVALID_GRANT, None, &[50194], AdminNeeded, Reason::SingleTenantAuthority, false),
    row(INVALID_GRANT, None, &[54005, 501481, 500133], AdminNeeded, Reason::RequestRejected, false),
    row(INVALID_GRANT, None, &[], ReconnectNeeded, Reason::SignInRejected, false),
    row(Some("interaction_required"), None, &[53003], AdminNeeded, Reason::BlockedByPolicy, false),
    row(Some("interaction_required"), None, &[], ReconnectNeeded, Reason::SignInRequired, false),
    row(Some("login_required"), None, &[], ReconnectNeeded, Reason::SignInRequired, false),
    row(Some("consent_required"), None, &[], ReconnectNeeded, Reason::ConsentMissing, false),
    row(Some("invalid_client"), None, &[], AdminNeeded, Reason::NotPublicClient, false),
    row(Some("unauthorized_client"), None, &[], AdminNeeded, Reason::AppNotUsable, false),
    row(Some("invalid_resource"), None, &[], AdminNeeded, Reason::AppNotUsable, false),
    row(Some("invalid_scope"), None, &[], AdminNeeded, Reason::ScopesInvalid, false),
    row(Some("invalid_request"), None, &[50194], AdminNeeded, Reason::SingleTenantAuthority, false),
    row(Some("invalid_request"), None, &[], AdminNeeded, Reason::RequestRejected, false),
    row(Some("unsupported_grant_type"), None, &[], AdminNeeded, Reason::RequestRejected, false),
    // Temporary on Microsoft's side.
    row(Some("temporarily_unavailable"), None, &[], Degraded, Reason::ServiceUnavailable, false),
    row(Some("server_error"), None, &[], Degraded, Reason::ServiceUnavailable, false),
];
