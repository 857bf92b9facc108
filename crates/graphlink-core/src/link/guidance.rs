//! Consent guidance on top of a health check. When the configured scopes
//! grew beyond what an account granted, the identity platform rejects every
//! refresh with `consent_required` (AADSTS65001). This turns that into one
//! guided re-consent naming the new permissions, and, once a re-consent ended
//! at the tenant's consent block, into `admin_needed` with the request for IT.
//! A TLS failure gets the name of the certificate's issuer, so the rep can
//! tell IT which proxy or CA is not trusted.

use super::{Link, verdict};
use crate::accounts::AccountRecord;
use crate::classify::{Classification, Reason};
use crate::config::Config;
use crate::state::{AccountStatus, Action, LinkState};

/// Scopes that every sign-in grants without consent, ignored when comparing.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Returns the configured scopes the account has not granted, short form.
/// Empty when the account's granted scopes were never recorded.
#[must_use]
pub fn missing_scopes(config: &Config, record: &AccountRecord) -> Vec<String> {
    let Some(granted) = &record.granted_scopes else {
        return Vec::new();
    };
    let granted: Vec<String> = granted.iter().map(|scope| short_scope(scope)).collect();
    config
        .scopes
        .iter()
        .map(|scope| short_scope(scope))
        // A token's granted scopes name permissions, never `.default`, which stands for all of the app registration's.
        .filter(|scope| !OIDC_SCOPES.contains(&scope.as_str()) && scope != ".default" && !granted.contains(scope))
        .collect()
}

/// Lower-cased scope without the Graph resource prefix, for comparisons.
fn short_scope(scope: &str) -> String {
    let lower = scope.to_ascii_lowercase();
    lower.strip_prefix("https://graph.microsoft.com/").map_or_else(|| lower.clone(), str::to_owned)
}

fn consent_failure(status: &AccountStatus) -> bool {
    matches!(status.state, LinkState::ReconnectNeeded | LinkState::AdminNeeded)
        && status.error.as_ref().is_some_and(|error| error.aadsts == Some(65001) || error.code == "consent_required")
}

impl Link {
    /// Applies consent guidance to a finished check of `record`, and names
    /// the certificate issuer of a TLS failure (one extra handshake).
    pub(super) async fn guide(&self, record: &AccountRecord, mut status: AccountStatus) -> AccountStatus {
        if status.state == LinkState::Offline && status.message == Reason::TlsFailed.message() {
            if let Some(sentence) = self.untrusted_issuer().await {
                status.message = format!("{} {sentence}", status.message);
            }
            return status;
        }
        if status.state == LinkState::Connected && record.consent_blocked.is_some() {
            self.clear_consent_block(&record.key);
            return status;
        }
        if !consent_failure(&status) {
            return status;
        }

        let missing = missing_scopes(&self.config, record);
        let new_permissions = if missing.is_empty() { String::new() } else { format!(" New permissions: {}.", display_scopes(&self.config, &missing)) };
        if record.consent_blocked.is_some() {
            let classification = Classification { state: LinkState::AdminNeeded, reason: Reason::ConsentNotGranted, refresh_token_dead: false, retry_after: None };
            let verdict = verdict::verdict(&self.config, record.tenant_id.as_deref(), &classification, status.capabilities, status.error.clone());
            status.state = LinkState::AdminNeeded;
            status.action = verdict.action;
            status.message = format!(
                "Your organisation requires an administrator to approve Graphlink's permissions before you can reconnect.{new_permissions} Send the request for IT to your IT department."
            );
        } else if !missing.is_empty() {
            status.state = LinkState::ReconnectNeeded;
            status.action = Action::Reconnect;
            status.message = format!(
                "Graphlink now needs permissions that this account has not granted yet.{new_permissions} Reconnect once and accept them. If Microsoft shows \"Need admin approval\", IT must approve Graphlink first."
            );
        }
        status
    }

    /// Returns a sentence naming the issuer of the first untrusted
    /// certificate among the authority and Graph, if any.
    async fn untrusted_issuer(&self) -> Option<String> {
        for url in [&self.config.authority, &self.config.graph_url] {
            if let Some(report) = crate::tls::inspect(url).await
                && let Some(sentence) = report.untrusted_message()
            {
                tracing::warn!(host = %report.host, issuer = ?report.issuer, error = ?report.error, "TLS certificate not trusted");
                return Some(sentence);
            }
        }
        None
    }

    fn clear_consent_block(&self, key: &str) {
        let result = self.accounts.update(|records| {
            if let Some(record) = records.iter_mut().find(|record| record.key == key) {
                record.consent_blocked = None;
            }
        });
        if let Err(error) = result {
            tracing::warn!(account = %key, %error, "could not clear the consent block");
        }
    }
}

/// Returns the configured spelling of each missing scope, comma-separated.
fn display_scopes(config: &Config, missing: &[String]) -> String {
    let names: Vec<&str> = missing
        .iter()
        .map(|short| config.scopes.iter().find(|scope| &short_scope(scope) == short).map_or(short.as_str(), String::as_str))
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(granted: Option<&[&str]>) -> AccountRecord {
        AccountRecord {
            key: "o.t".into(),
            username: "adele@contoso.example".into(),
            display_name: None,
            tenant_id: Some("t".into()),
            object_id: Some("o".into()),
            authority: crate::config::DEFAULT_AUTHORITY.into(),
            linked_at: time::OffsetDateTime::UNIX_EPOCH,
            last_check: None,
            last_connected: None,
            granted_scopes: granted.map(|scopes| scopes.iter().map(ToString::to_string).collect()),
            consent_blocked: None,
            claims_challenge: None,
            client_id: None,
        }
    }

    #[test]
    fn grown_scopes_listed() {
        let mut config = Config::default();
        config.scopes.push("MailboxSettings.Read".into());
        let granted = ["openid", "profile", "https://graph.microsoft.com/User.Read", "Mail.Read", "calendars.read"];
        assert_eq!(missing_scopes(&config, &record(Some(&granted))), ["mailboxsettings.read"]);
        assert_eq!(display_scopes(&config, &missing_scopes(&config, &record(Some(&granted)))), "MailboxSettings.Read");
    }

    #[test]
    fn default_scope_never_missing() {
        let config = Config { scopes: ["openid", "profile", "offline_access", "https://graph.microsoft.com/.default"].map(String::from).to_vec(), ..Config::default() };
        let granted = ["openid", "profile", "User.Read", "Mail.Read", "Calendars.Read"];
        assert!(missing_scopes(&config, &record(Some(&granted))).is_empty());
    }

    #[test]
    fn unrecorded_scopes_never_missing() {
        assert!(missing_scopes(&Config::default(), &record(None)).is_empty());
    }
}
