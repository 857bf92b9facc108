//! Classification of every failure into a health state, a plain-language
//! reason and whether the refresh token is proven dead.
//!
//! Token-endpoint errors go through one ordered table ([`TOKEN_RULES`]).
//! Rules branch on `error` and `suberror` first, as the identity platform
//! advises. The AADSTS number only refines the reason, or decides when no
//! suberror was sent.

mod reason;
mod rules;

pub use reason::Reason;
pub use rules::{TOKEN_RULES, TokenRule};

use std::time::Duration;

use crate::discovery::DiscoveryError;
use crate::graph::{Capability, ProbeResult};
use crate::http::{TransportError, TransportKind};
use crate::oauth::EntraError;
use crate::state::{Capabilities, CapabilityStatus, LinkState};

/// The result of classifying one failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub state: LinkState,
    pub reason: Reason,
    /// True only when the error proves the refresh token can never work again.
    pub refresh_token_dead: bool,
    /// How long the server asked us to wait, for transient failures.
    pub retry_after: Option<Duration>,
}

impl Classification {
    const fn new(state: LinkState, reason: Reason) -> Self {
        Self { state, reason, refresh_token_dead: false, retry_after: None }
    }
}

/// Classifies a failure below HTTP: always `offline` or, for an oversized
/// body, `degraded`. The refresh token is never touched.
#[must_use]
pub fn transport(error: &TransportError) -> Classification {
    match error.kind {
        TransportKind::Tls => Classification::new(LinkState::Offline, Reason::TlsFailed),
        TransportKind::TooLarge => Classification::new(LinkState::Degraded, Reason::ServiceUnavailable),
        TransportKind::Dns | TransportKind::Connect | TransportKind::Timeout | TransportKind::Reset => {
            Classification::new(LinkState::Offline, Reason::Unreachable)
        }
    }
}

/// Classifies an error response of the token endpoint.
#[must_use]
pub fn token_error(status: u16, body: Option<&EntraError>, retry_after: Option<Duration>) -> Classification {
    let transient = |reason| Classification { retry_after, ..Classification::new(LinkState::Degraded, reason) };
    if status == 429 {
        return transient(Reason::Throttled);
    }
    if status >= 500 {
        return transient(Reason::ServiceUnavailable);
    }
    let Some(body) = body else {
        // A proxy's HTML page or some other body that is not OAuth: never
        // proof that the token is dead.
        return transient(Reason::UnexpectedResponse);
    };
    let aadsts = body.aadsts();
    let suberror = body.suberror.as_deref().filter(|value| !value.is_empty());
    let rule = TOKEN_RULES
        .iter()
        .find(|rule| rule.matches(&body.error, suberror, aadsts))
        .unwrap_or(&rules::FALLBACK);
    Classification {
        state: rule.state,
        reason: rule.reason,
        refresh_token_dead: rule.token_dead,
        retry_after: if rule.state == LinkState::Degraded { retry_after } else { None },
    }
}

/// Classifies an error returned to the loopback redirect by `/authorize`.
#[must_use]
pub fn authorize_error(error: &str, description: Option<&str>) -> Classification {
    let aadsts = description.and_then(|text| {
        let digits: String = text.strip_prefix("AADSTS")?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    match (error, aadsts) {
        // User consent disabled ends here too: Entra shows "Need admin
        // approval" and the way back to the app is this error.
        ("access_denied", Some(50020)) => Classification::new(LinkState::AdminNeeded, Reason::UserNotInTenant),
        ("access_denied", _) => Classification::new(LinkState::AdminNeeded, Reason::ConsentNotGranted),
        ("consent_required", _) => Classification::new(LinkState::AdminNeeded, Reason::ConsentNotGranted),
        ("login_required" | "interaction_required", _) => Classification::new(LinkState::ReconnectNeeded, Reason::SignInRequired),
        ("temporarily_unavailable" | "server_error", _) => Classification::new(LinkState::Degraded, Reason::ServiceUnavailable),
        ("unauthorized_client" | "invalid_client", _) => Classification::new(LinkState::AdminNeeded, Reason::AppNotUsable),
        ("invalid_scope", _) => Classification::new(LinkState::AdminNeeded, Reason::ScopesInvalid),
        _ => Classification::new(LinkState::AdminNeeded, Reason::RequestRejected),
    }
}

/// Classifies a failed discovery request.
#[must_use]
pub fn discovery(error: &DiscoveryError) -> Classification {
    match error {
        DiscoveryError::Transport(error) => transport(error),
        DiscoveryError::Status { status, .. } if *status == 429 || *status >= 500 => {
            Classification::new(LinkState::Degraded, Reason::ServiceUnavailable)
        }
        DiscoveryError::Status { .. } | DiscoveryError::Invalid { .. } => {
            Classification::new(LinkState::AdminNeeded, Reason::AuthorityInvalid)
        }
    }
}

/// Classifies the Graph probe: the capabilities it proved and the state.
/// With several failing items, the most severe state wins.
#[must_use]
pub fn probe(result: &ProbeResult) -> (Capabilities, Classification) {
    let mut capabilities = Capabilities::default();
    match result {
        ProbeResult::Rejected { status, code, retry_after } => {
            for capability in Capability::ALL {
                set_capability(&mut capabilities, capability, CapabilityStatus::Failed);
            }
            let mut classification = graph_status(*status, code.as_deref());
            classification.retry_after = *retry_after;
            (capabilities, classification)
        }
        ProbeResult::Items(items) => {
            let mut worst = Classification::new(LinkState::Connected, Reason::Healthy);
            for item in items {
                let ok = (200..300).contains(&item.status);
                set_capability(&mut capabilities, item.capability, if ok { CapabilityStatus::Ok } else { CapabilityStatus::Failed });
                if ok {
                    continue;
                }
                let mut classification = graph_status(item.status, item.code.as_deref());
                classification.retry_after = item.retry_after;
                if classification.state.severity() > worst.state.severity() {
                    worst = classification;
                }
            }
            (capabilities, worst)
        }
    }
}

fn set_capability(capabilities: &mut Capabilities, capability: Capability, status: CapabilityStatus) {
    match capability {
        Capability::Profile => capabilities.profile = status,
        Capability::Mail => capabilities.mail = status,
        Capability::Calendar => capabilities.calendar = status,
    }
}

/// Maps a Graph status and error `code` to a state.
fn graph_status(status: u16, code: Option<&str>) -> Classification {
    match (status, code) {
        (401, _) => Classification::new(LinkState::ReconnectNeeded, Reason::AccessTokenRejected),
        (403, Some("Authorization_RequestDenied")) => Classification::new(LinkState::AdminNeeded, Reason::CapabilityBlockedByTenant),
        (403, _) => Classification::new(LinkState::Degraded, Reason::CapabilityDenied),
        (404, Some("MailboxNotEnabledForRESTAPI" | "ResourceNotFound")) => {
            Classification::new(LinkState::AdminNeeded, Reason::MailboxUnavailable)
        }
        (429, _) => Classification::new(LinkState::Degraded, Reason::Throttled),
        (500.., _) => Classification::new(LinkState::Degraded, Reason::ServiceUnavailable),
        _ => Classification::new(LinkState::Degraded, Reason::UnexpectedResponse),
    }
}

#[cfg(test)]
mod tests;
