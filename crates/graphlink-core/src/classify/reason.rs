//! Causes of account states, each with a message for the user.

use serde::{Deserialize, Serialize};

/// The cause of a state, each with one plain-language message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Healthy,
    Unreachable,
    TlsFailed,
    ServiceUnavailable,
    Throttled,
    UnexpectedResponse,
    PasswordChanged,
    LinkExpired,
    TokenRevoked,
    SignInFrequency,
    MfaRequired,
    SignInRequired,
    PasswordExpired,
    ConsentMissing,
    SignInRejected,
    NoSavedSignIn,
    BlockedByPolicy,
    ProtectionPolicyRequired,
    DeviceNotRegistered,
    AccountDisabled,
    AccountLocked,
    SingleTenantAuthority,
    NotPublicClient,
    AppNotUsable,
    ScopesInvalid,
    ConsentNotGranted,
    UserNotInTenant,
    KeyringUnavailable,
    CapabilityDenied,
    /// Graph's directory refused a read that the tenant must allow (`Authorization_RequestDenied`).
    CapabilityBlockedByTenant,
    MailboxUnavailable,
    AccessTokenRejected,
    AuthorityInvalid,
    ClientIdChanged,
    RequestRejected,
}

impl Reason {
    /// Returns the message shown to the user for this reason.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Healthy => "Connected. Mail and calendar are readable.",
            Self::Unreachable => "Microsoft 365 cannot be reached from this computer right now. This is usually temporary, and the link itself is fine.",
            Self::TlsFailed => "The secure connection to Microsoft 365 failed, usually because of a network proxy. The link itself is fine; ask IT if this lasts.",
            Self::ServiceUnavailable => "Microsoft 365 reported a temporary problem. The link itself is fine.",
            Self::Throttled => "Microsoft 365 asked Graphlink to wait a moment before its next check. The link itself is fine.",
            Self::UnexpectedResponse => "Microsoft 365 sent an unexpected response. This is usually temporary; if it lasts, send the details to IT.",
            Self::PasswordChanged => "Your password was changed or your sessions were signed out, so the link stopped working. Reconnect to sign in again.",
            Self::LinkExpired => "The link expired because it was not used for a long time. Reconnect to sign in again.",
            Self::TokenRevoked => "Microsoft 365 no longer accepts the saved sign-in. Reconnect to sign in again.",
            Self::SignInFrequency => "Your organisation requires you to sign in again periodically. Reconnect to sign in again.",
            Self::MfaRequired => "Your organisation requires multi-factor authentication. Reconnect and complete the sign-in.",
            Self::SignInRequired => "Microsoft 365 needs you to sign in again. Reconnect to continue.",
            Self::PasswordExpired => "Your password has expired. Reconnect and change it when asked.",
            Self::ConsentMissing => "Graphlink needs your permission again to read mail and calendar. Reconnect and accept. If you see \"Need admin approval\", your IT department must approve Graphlink first.",
            Self::SignInRejected => "Microsoft 365 rejected the sign-in. Reconnect to try again; if it keeps failing, send the details to IT.",
            Self::NoSavedSignIn => "No saved sign-in was found in the keyring for this account. Reconnect to sign in again.",
            Self::BlockedByPolicy => "A Conditional Access policy of your organisation blocks this sign-in. Only IT can change that: send them the details below.",
            Self::ProtectionPolicyRequired => "Your organisation requires an app protection policy for this sign-in. Ask IT to allow Graphlink.",
            Self::DeviceNotRegistered => "This computer must be registered with your organisation again. Ask IT for help.",
            Self::AccountDisabled => "Your Microsoft 365 account is disabled. Ask IT to enable it.",
            Self::AccountLocked => "Your Microsoft 365 account is locked. Wait a while or ask IT to unlock it.",
            Self::SingleTenantAuthority => "Graphlink's app registration allows only your organisation, but the authority setting names no tenant. IT must set authority to https://login.microsoftonline.com/<tenant-id>/v2.0.",
            Self::NotPublicClient => "Graphlink's app registration does not allow public client flows. IT must enable \"Allow public client flows\" on it.",
            Self::AppNotUsable => "Graphlink's app registration is not available in your organisation. IT must add or enable it.",
            Self::ScopesInvalid => "Graphlink asked for permissions that its app registration does not offer. IT must correct the scopes setting or the app registration.",
            Self::ConsentNotGranted => "Graphlink was not given access to your mailbox. If you saw \"Need admin approval\", your IT department must approve Graphlink: send them the request for IT. If you cancelled, connect again and accept.",
            Self::UserNotInTenant => "This account does not belong to the organisation Graphlink is set up for. Sign in with your work account, or ask IT.",
            Self::KeyringUnavailable => "The system keyring cannot be used, so Graphlink cannot keep your sign-in. Unlock the keyring (or install one), and Graphlink will continue by itself.",
            Self::CapabilityDenied => "Graphlink is not allowed to read part of your mailbox. Reconnect and accept the permissions; if that does not help, ask IT.",
            Self::CapabilityBlockedByTenant => "Your organisation does not allow Graphlink to read part of your account. Only IT can change that: send them the request for IT.",
            Self::MailboxUnavailable => "Your mailbox is not available through Microsoft Graph (no Exchange Online licence, or it is hosted on premises). Ask IT.",
            Self::AccessTokenRejected => "Microsoft Graph rejected the link's credentials. Reconnect to sign in again.",
            Self::ClientIdChanged => "Graphlink's client_id setting differs from the one this account was linked with, so its saved sign-in cannot be used. IT must restore the previous client_id, or you reconnect to link the account with the new one.",
            Self::RequestRejected => "Microsoft 365 rejected Graphlink's sign-in request as invalid. IT must check Graphlink's configuration (client_id, authority, scopes) and the computer's clock; send them the details below.",
            Self::AuthorityInvalid => "The sign-in server named in the authority setting did not answer as an OpenID Connect server. IT must correct the authority setting.",
        }
    }
}
