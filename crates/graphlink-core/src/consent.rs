//! The request a rep forwards to IT when only an administrator can repair the
//! link: who is affected, which app and permissions, the tenant's
//! admin-consent link and the support IDs Microsoft logged.
//!
//! The window's "Copy request for IT" button and `graphlink status
//! --it-request` both print [`ItRequest::text`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::Config;
use crate::state::{AccountStatus, Action, ErrorDetail, LinkState};

/// OpenID Connect scopes, which every tenant allows without admin consent.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Graph's error code for a mailbox that its REST API cannot reach: one
/// without an Exchange Online licence, inactive or soft-deleted, or in
/// on-premises Exchange.
const MAILBOX_NOT_ENABLED: &str = "MailboxNotEnabledForRESTAPI";

/// Everything IT needs to unblock one rep, plus the text to send them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItRequest {
    /// The rep's username, when a sign-in got far enough to know it.
    pub username: Option<String>,
    /// The Entra tenant ID, when known.
    pub tenant_id: Option<String>,
    /// Application (client) ID of the app registration Graphlink uses.
    pub client_id: String,
    /// Delegated permissions Graphlink requests, as configured.
    pub permissions: Vec<String>,
    /// The v2.0 `adminconsent` URL with the configured scopes, when the fix
    /// is an admin consent and the authority is shaped like Entra's.
    pub admin_consent_url: Option<String>,
    /// The failure as the rep was shown it.
    pub problem: String,
    /// Microsoft's error code and support IDs, for IT's sign-in logs.
    pub error: Option<ErrorDetail>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub observed_at: Option<OffsetDateTime>,
    /// The message to paste into an email or ticket.
    pub text: String,
}

impl ItRequest {
    /// Builds the request and its text.
    #[must_use]
    pub fn new(
        config: &Config,
        username: Option<&str>,
        tenant_id: Option<&str>,
        problem: &str,
        admin_consent_url: Option<&str>,
        error: Option<&ErrorDetail>,
        observed_at: Option<OffsetDateTime>,
    ) -> Self {
        let mut request = Self {
            username: username.filter(|name| !name.is_empty()).map(str::to_owned),
            tenant_id: tenant_id.filter(|tid| !tid.is_empty()).map(str::to_owned),
            client_id: config.client_id.clone(),
            permissions: config.scopes.clone(),
            admin_consent_url: admin_consent_url.map(str::to_owned),
            problem: problem.to_owned(),
            error: error.cloned(),
            observed_at,
            text: String::new(),
        };
        request.text = request.render();
        request
    }

    /// Returns true when Graph reported that the mailbox itself cannot be
    /// reached through REST, so the fix is the mailbox's licence or location
    /// and not the app registration or consent.
    fn mailbox_not_enabled(&self) -> bool {
        self.error.as_ref().is_some_and(|error| error.code == MAILBOX_NOT_ENABLED)
    }

    /// Renders the message: subject and opening, what happened, what IT must
    /// do, then the details that every request shares.
    fn render(&self) -> String {
        let who = self.username.as_deref().unwrap_or("my Microsoft 365 account");
        let mut text = self.opening(who);
        text.push_str(&format!("What happened: {}\n\n", summary_for_it(&self.problem, self.error.as_ref())));
        text.push_str(&self.what_is_needed(who));
        text.push_str(&self.details());
        text.push_str("\nThank you.\n");
        text
    }

    fn opening(&self, who: &str) -> String {
        const EWS_CONTEXT: &str = "Graphlink replaces the Exchange Web Services (EWS) link of our sales tools, which Microsoft is retiring.";
        if self.mailbox_not_enabled() {
            format!(
                "Subject: Please enable the Exchange Online mailbox for Microsoft Graph\n\nHello,\n\n\
                 Graphlink signed in as {who}, but Microsoft Graph cannot reach the mailbox, and only an administrator of our Microsoft 365 tenant can fix it. {EWS_CONTEXT}\n\n"
            )
        } else {
            // Only an admin consent is an approval; a policy block or a changed setting is not.
            let subject = if self.admin_consent_url.is_some() {
                "Please approve Graphlink for Microsoft 365 (Microsoft Graph)"
            } else {
                "Graphlink is blocked from Microsoft 365 (Microsoft Graph)"
            };
            format!(
                "Subject: {subject}\n\nHello,\n\n\
                 Graphlink could not link {who} to Microsoft Graph, and only an administrator of our Microsoft 365 tenant can fix it. {EWS_CONTEXT}\n\n"
            )
        }
    }

    fn what_is_needed(&self, who: &str) -> String {
        if self.mailbox_not_enabled() {
            return format!(
                "What is needed: an administrator checks in the Microsoft 365 admin center that {who} has a licence that includes Exchange Online, \
                 and that the mailbox is active and hosted in Exchange Online. Microsoft Graph cannot read a mailbox in on-premises Exchange, so such a mailbox must be moved to Exchange Online first. \
                 The sign-in works, so the app registration and its consent need no change.\n\n"
            );
        }
        match &self.admin_consent_url {
            Some(url) => format!(
                "What is needed: an administrator who may grant tenant-wide consent (for example a Global Administrator) opens this link, signs in and accepts, which approves Graphlink for everyone in the tenant:\n\n  {url}\n\n\
                 Alternatively, in the Microsoft Entra admin center: Enterprise applications, this application, Permissions, \"Grant admin consent\".\n\n"
            ),
            None => "What is needed: an administrator checks the app registration and the sign-in logs for the details below.\n\n".to_owned(),
        }
    }

    fn details(&self) -> String {
        let graph_permissions: Vec<&str> =
            self.permissions.iter().map(String::as_str).filter(|scope| !OIDC_SCOPES.contains(scope)).collect();
        let mut text = String::from("Details:\n");
        text.push_str(&format!("  Application (client) ID: {}\n", self.client_id));
        if let Some(tenant) = &self.tenant_id {
            text.push_str(&format!("  Tenant ID: {tenant}\n"));
        }
        text.push_str(&format!("  Delegated Microsoft Graph permissions: {}\n", graph_permissions.join(", ")));
        text.push_str(&format!("  Requested scopes: {}\n", self.permissions.join(" ")));
        if let Some(error) = &self.error {
            let aadsts = error.aadsts.map(|code| format!(" (AADSTS{code})")).unwrap_or_default();
            text.push_str(&format!("  Error: {}{aadsts}\n", error.code));
            if let Some(id) = &error.correlation_id {
                text.push_str(&format!("  Correlation ID: {id}\n"));
            }
            if let Some(id) = &error.trace_id {
                text.push_str(&format!("  Trace ID: {id}\n"));
            }
        }
        if let Some(at) = self.observed_at.and_then(|at| at.replace_nanosecond(0).ok()).and_then(|at| at.format(&Rfc3339).ok()) {
            text.push_str(&format!("  Time (UTC): {at}\n"));
        }
        text
    }
}

/// Describes the failure for IT. Consent errors get a fixed description;
/// other messages lose the parts addressed to the rep (the admin-consent
/// link and correlation ID, which the request lists separately).
fn summary_for_it(problem: &str, error: Option<&ErrorDetail>) -> String {
    let code = error.map(|detail| (detail.code.as_str(), detail.aadsts));
    match code {
        Some((_, Some(65_004))) => "the sign-in ended with access_denied (AADSTS65004). Microsoft shows the user \"Need admin approval\" there when users of the tenant may not consent to the app's permissions themselves.".to_owned(),
        Some((MAILBOX_NOT_ENABLED, _)) => {
            "Microsoft Graph returned 404 MailboxNotEnabledForRESTAPI when Graphlink read the mailbox. Graph returns it when the mailbox has no Exchange Online licence, is inactive or soft-deleted, or is hosted in on-premises Exchange.".to_owned()
        }
        Some(("Authorization_RequestDenied", _)) => {
            "Microsoft Graph returned 403 Authorization_RequestDenied (insufficient privileges) when Graphlink read the account with the user's delegated token, so the tenant's grants or policies do not let it read that data.".to_owned()
        }
        Some((_, Some(65_001)) | ("consent_required", _)) => {
            "Microsoft reports that Graphlink's permissions have not been granted (consent_required, AADSTS65001), and users of the tenant may not grant them themselves.".to_owned()
        }
        _ => {
            let end = [" Admin consent link:", " (correlation ID"].iter().filter_map(|marker| problem.find(marker)).min().unwrap_or(problem.len());
            problem[..end].to_owned()
        }
    }
}

/// Returns the request for IT of an account that needs an administrator, or
/// `None` when the rep can act alone.
#[must_use]
pub fn for_status(config: &Config, status: &AccountStatus) -> Option<ItRequest> {
    if status.state != LinkState::AdminNeeded {
        return None;
    }
    let admin_consent_url = match &status.action {
        Action::AskAdmin { admin_consent_url } => Some(admin_consent_url.as_str()),
        _ => None,
    };
    Some(ItRequest::new(
        config,
        Some(&status.username),
        Some(&status.tenant_id),
        &status.message,
        admin_consent_url,
        status.error.as_ref(),
        status.last_checked,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config { client_id: "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40".into(), ..Config::default() }
    }

    #[test]
    fn text_names_app_permissions_link_and_ids() {
        let error = ErrorDetail {
            code: "access_denied".into(),
            aadsts: Some(65004),
            correlation_id: Some("corr-1".into()),
            trace_id: Some("trace-1".into()),
        };
        let request = ItRequest::new(
            &config(),
            Some("adele@contoso.example"),
            Some("tid-1"),
            "Graphlink was not given access.",
            Some("https://login.microsoftonline.com/tid-1/v2.0/adminconsent?client_id=x"),
            Some(&error),
            Some(OffsetDateTime::UNIX_EPOCH),
        );
        let text = &request.text;
        assert!(text.contains("adele@contoso.example"), "{text}");
        assert!(text.contains("Application (client) ID: 6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40"), "{text}");
        assert!(text.contains("Tenant ID: tid-1"), "{text}");
        assert!(text.contains("Delegated Microsoft Graph permissions: User.Read, Mail.Read, Calendars.Read\n"), "{text}");
        assert!(text.contains("  https://login.microsoftonline.com/tid-1/v2.0/adminconsent?client_id=x\n"), "{text}");
        assert!(text.contains("Error: access_denied (AADSTS65004)"), "{text}");
        assert!(text.contains("Correlation ID: corr-1"), "{text}");
        assert!(text.contains("Time (UTC): 1970-01-01T00:00:00Z"), "{text}");
        assert!(text.contains("What happened: the sign-in ended with access_denied (AADSTS65004)."), "{text}");
    }

    #[test]
    fn no_link_when_fix_is_not_consent() {
        let request = ItRequest::new(&config(), None, None, "Blocked by policy. Admin consent link: https://x (correlation ID c-1)", None, None, None);
        assert!(request.text.contains("What happened: Blocked by policy.\n"), "{}", request.text);
        assert!(!request.text.contains("adminconsent"), "{}", request.text);
        assert!(request.text.contains("sign-in logs"), "{}", request.text);
        assert!(request.text.contains("my Microsoft 365 account"), "{}", request.text);
        assert!(request.text.starts_with("Subject: Graphlink is blocked from Microsoft 365 (Microsoft Graph)\n"), "{}", request.text);
    }

    #[test]
    fn mailbox_not_enabled_points_at_licence() {
        let error = ErrorDetail { code: "MailboxNotEnabledForRESTAPI".into(), trace_id: Some("request-1".into()), ..ErrorDetail::default() };
        let problem = "Your mailbox is not available through Microsoft Graph (no Exchange Online licence, or it is hosted on premises). Ask IT.";
        let request = ItRequest::new(&config(), Some("adele@contoso.example"), Some("tid-1"), problem, None, Some(&error), Some(OffsetDateTime::UNIX_EPOCH));
        let text = &request.text;
        assert!(text.starts_with("Subject: Please enable the Exchange Online mailbox for Microsoft Graph\n"), "{text}");
        assert!(text.contains("Graphlink signed in as adele@contoso.example, but Microsoft Graph cannot reach the mailbox"), "{text}");
        assert!(text.contains("What happened: Microsoft Graph returned 404 MailboxNotEnabledForRESTAPI when Graphlink read the mailbox."), "{text}");
        assert!(text.contains("has a licence that includes Exchange Online"), "{text}");
        assert!(text.contains("on-premises Exchange"), "{text}");
        assert!(!text.contains("Please approve"), "{text}");
        assert!(!text.contains("sign-in logs"), "{text}");
        assert!(!text.contains("Ask IT"), "the request is addressed to IT: {text}");

        // The shared details stay.
        assert!(text.contains("Application (client) ID: 6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40"), "{text}");
        assert!(text.contains("Tenant ID: tid-1"), "{text}");
        assert!(text.contains("Delegated Microsoft Graph permissions: User.Read, Mail.Read, Calendars.Read\n"), "{text}");
        assert!(text.contains("Error: MailboxNotEnabledForRESTAPI\n"), "{text}");
        assert!(text.contains("Trace ID: request-1"), "{text}");
        assert!(text.contains("Time (UTC): 1970-01-01T00:00:00Z"), "{text}");
    }

    #[test]
    fn graph_denial_described_for_it() {
        let error = ErrorDetail { code: "Authorization_RequestDenied".into(), ..ErrorDetail::default() };
        let problem = crate::classify::Reason::CapabilityBlockedByTenant.message();
        let request = ItRequest::new(&config(), Some("adele@contoso.example"), Some("tid-1"), problem, Some("https://x/adminconsent"), Some(&error), None);
        let text = &request.text;
        assert!(text.contains("403 Authorization_RequestDenied"), "{text}");
        assert!(!text.contains(problem), "the rep's own sentence is not sent to IT: {text}");
    }

    #[test]
    fn consent_request_keeps_approval_subject() {
        let request = ItRequest::new(&config(), None, None, "Blocked.", Some("https://x/adminconsent"), None, None);
        assert!(request.text.starts_with("Subject: Please approve Graphlink for Microsoft 365 (Microsoft Graph)\n\nHello,\n\nGraphlink could not link my Microsoft 365 account"), "{}", request.text);
        assert!(request.text.contains("\n\n  https://x/adminconsent\n\nAlternatively,"), "{}", request.text);
    }

    #[test]
    fn only_admin_needed_gets_request() {
        let mut status = AccountStatus {
            account: "o.t".into(),
            username: "adele@contoso.example".into(),
            tenant_id: "t".into(),
            state: LinkState::ReconnectNeeded,
            capabilities: crate::state::Capabilities::default(),
            message: "Reconnect.".into(),
            action: Action::Reconnect,
            last_checked: None,
            last_connected: None,
            next_check: None,
            error: None,
        };
        assert_eq!(for_status(&config(), &status), None);
        status.state = LinkState::AdminNeeded;
        status.action = Action::AskAdmin { admin_consent_url: "https://x/adminconsent".into() };
        let request = for_status(&config(), &status).expect("admin needed");
        assert_eq!(request.admin_consent_url.as_deref(), Some("https://x/adminconsent"));
        assert_eq!(request.username.as_deref(), Some("adele@contoso.example"));
    }
}
