//! Conversion of a classification into the message and the action the user
//! is shown, with the admin-consent link for IT in the action.

use url::Url;

use crate::classify::{Classification, Reason};
use crate::config::Config;
use crate::oauth::EntraError;
use crate::state::{Action, Capabilities, ErrorDetail, LinkState, Verdict};

/// Builds the verdict for a classification.
#[must_use]
pub fn verdict(config: &Config, tenant: Option<&str>, classification: &Classification, capabilities: Capabilities, error: Option<ErrorDetail>) -> Verdict {
    let action = action(config, tenant, classification.state, classification.reason);
    // The admin-consent link stays out of the sentence: it is long, the rep
    // forwards it inside the request for IT, and the action carries it.
    let mut message = classification.reason.message().to_owned();
    if let Some(correlation_id) = error.as_ref().and_then(|detail| detail.correlation_id.as_deref()) {
        message.push_str(&format!(" (correlation ID {correlation_id})"));
    }
    Verdict { state: classification.state, capabilities, message, action, error }
}

fn action(config: &Config, tenant: Option<&str>, state: LinkState, reason: Reason) -> Action {
    match state {
        LinkState::ReconnectNeeded | LinkState::NotConnected => Action::Reconnect,
        LinkState::Degraded if reason == Reason::CapabilityDenied => Action::Reconnect,
        LinkState::KeyringUnavailable => Action::UnlockKeyring,
        LinkState::AdminNeeded => match reason {
            Reason::ConsentNotGranted | Reason::CapabilityDenied | Reason::CapabilityBlockedByTenant | Reason::UserNotInTenant => {
                admin_consent_url(config, tenant).map_or(Action::FixConfiguration, |url| Action::AskAdmin { admin_consent_url: url })
            }
            _ => Action::FixConfiguration,
        },
        LinkState::Connected | LinkState::Checking | LinkState::Offline | LinkState::Degraded => Action::None,
    }
}

/// Returns the tenant's v2.0 admin-consent URL for the configured scopes, for
/// authorities shaped like Entra's (`…/{tenant}/v2.0`). `common` and
/// `consumers` become `organizations`, which the endpoint requires.
#[must_use]
pub fn admin_consent_url(config: &Config, tenant: Option<&str>) -> Option<String> {
    let authority = &config.authority;
    let mut segments: Vec<&str> = authority.path_segments()?.filter(|segment| !segment.is_empty()).collect();
    if segments.last() != Some(&"v2.0") || segments.len() < 2 {
        return None;
    }
    let configured = segments[segments.len() - 2];
    let tenant = match tenant {
        Some(tid) if !tid.is_empty() => tid,
        _ if matches!(configured, "common" | "consumers") => "organizations",
        _ => configured,
    };
    let index = segments.len() - 2;
    segments[index] = tenant;

    let mut url = Url::parse(&authority.origin().ascii_serialization()).ok()?;
    url.set_path(&format!("{}/adminconsent", segments.join("/")));
    let scopes: Vec<String> = config
        .scopes
        .iter()
        .map(|scope| match scope.as_str() {
            "openid" | "profile" | "email" | "offline_access" => scope.clone(),
            graph if !graph.contains("://") => format!("https://graph.microsoft.com/{graph}"),
            other => other.to_owned(),
        })
        .collect();
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("redirect_uri", "http://localhost");
    Some(url.into())
}

/// Keeps the support details of an identity-platform error.
#[must_use]
pub fn entra_detail(body: &EntraError) -> ErrorDetail {
    ErrorDetail {
        code: body.error.clone(),
        aadsts: body.aadsts(),
        correlation_id: body.correlation_id.clone(),
        trace_id: body.trace_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_ID: &str = "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40";

    #[test]
    fn admin_consent_url_uses_known_tenant() {
        let config = Config { client_id: CLIENT_ID.into(), ..Config::default() };
        let url = admin_consent_url(&config, Some("tid-1")).expect("entra authority");
        assert!(url.starts_with(&format!("https://login.microsoftonline.com/tid-1/v2.0/adminconsent?client_id={CLIENT_ID}&scope=")), "{url}");
        assert!(url.contains("https%3A%2F%2Fgraph.microsoft.com%2FMail.Read"), "{url}");
    }

    #[test]
    fn admin_consent_url_avoids_common() {
        let mut config = Config { client_id: CLIENT_ID.into(), ..Config::default() };
        config.authority = Url::parse("https://login.microsoftonline.com/common/v2.0").expect("url");
        let url = admin_consent_url(&config, None).expect("entra authority");
        assert!(url.starts_with("https://login.microsoftonline.com/organizations/v2.0/adminconsent"), "{url}");
    }

    #[test]
    fn non_entra_authority_has_no_admin_consent() {
        let config = Config { authority: Url::parse("https://idp.example/realms/sales").expect("url"), ..Config::default() };
        assert_eq!(admin_consent_url(&config, None), None);
    }
}
