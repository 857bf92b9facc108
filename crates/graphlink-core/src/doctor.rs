//! `graphlink doctor`: where each setting came from, whether the keyring
//! responds, whether the sign-in and Graph endpoints are reachable (through
//! which proxy, with which certificate), the clock skew against Microsoft's
//! `Date` header, and each account's last error with its correlation ID.
//!
//! The report contains no token: it reads account metadata, never the
//! keyring entries, and proxy credentials are removed.

use std::time::{Duration, Instant};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use url::Url;

use std::path::Path;

use crate::accounts::AccountStore;
use crate::managed_file::{self, ManagedFileCheck};
use crate::config::{Loaded, Origin};
use crate::discovery;
use crate::http::TransportError;
use crate::proxy::{self, ProxyVariable};
use crate::state::{ErrorDetail, LinkState};
use crate::tls::{self, TlsReport};
use crate::token_store::TokenStore;

mod attention;

/// Largest clock difference that sign-in tolerates without trouble; ID
/// tokens are checked with five minutes of leeway.
const MAX_SKEW_SECS: i64 = 300;

/// The whole diagnosis, serialisable for `doctor --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub config: Vec<ConfigEntry>,
    /// The protection of the managed file, when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_file: Option<ManagedFileCheck>,
    pub keyring: KeyringCheck,
    pub proxy_variables: Vec<ProxyVariable>,
    pub endpoints: Vec<EndpointCheck>,
    pub clock: Option<ClockCheck>,
    pub accounts: Vec<AccountCheck>,
    /// The error that kept discovery from finding the sign-in endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_error: Option<String>,
    /// The error that kept the accounts file from being read, with the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts_error: Option<String>,
    /// Every finding that needs someone to act, with its fix; empty when
    /// nothing does.
    pub attention: Vec<String>,
}

/// One setting, its value and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigEntry {
    pub key: &'static str,
    /// The value in effect; `None` for a setting without one.
    pub value: Option<String>,
    pub source: String,
    pub locked: bool,
    /// Overrides that the managed file's lock made Graphlink ignore.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

/// Whether the keyring accepted a probe entry within its deadline.
#[derive(Debug, Clone, Serialize)]
pub struct KeyringCheck {
    pub ok: bool,
    pub service: String,
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One endpoint request.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointCheck {
    /// `discovery`, `token` or `graph`.
    pub name: &'static str,
    pub url: String,
    /// An HTTP response arrived, whatever its status.
    pub reachable: bool,
    pub status: Option<u16>,
    /// The proxy the request went through, credentials removed.
    pub proxy: Option<String>,
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The certificate check, for `https` endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    #[serde(skip)]
    date: Option<OffsetDateTime>,
}

/// The clock difference to a Microsoft server.
#[derive(Debug, Clone, Serialize)]
pub struct ClockCheck {
    pub server: String,
    /// Local clock minus server clock, in seconds.
    pub skew_secs: i64,
    pub ok: bool,
}

/// The last known state of one account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountCheck {
    pub account: String,
    pub username: String,
    pub state: Option<LinkState>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_checked: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorDetail>,
}

impl Report {
    /// True when nothing in the report needs attention.
    #[must_use]
    pub fn healthy(&self) -> bool {
        self.attention.is_empty()
    }

    /// Renders the report for a terminal or a support ticket.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::from("Configuration\n");
        for entry in &self.config {
            let locked = if entry.locked { ", locked" } else { "" };
            out.push_str(&format!("  {} = {}  ({}{locked})\n", entry.key, entry.value.as_deref().unwrap_or("(not set)"), entry.source));
            for ignored in &entry.ignored {
                out.push_str(&format!("    ignored because locked: {ignored}\n"));
            }
        }

        if let Some(managed) = &self.managed_file {
            for problem in &managed.problems {
                out.push_str(&format!("  UNSAFE managed file: {problem}\n"));
            }
        }

        let keyring = &self.keyring;
        out.push_str("\nKeyring\n");
        match &keyring.error {
            None => out.push_str(&format!("  ok: service {:?} stored and removed a test entry in {} ms\n", keyring.service, keyring.elapsed_ms)),
            Some(error) => out.push_str(&format!("  FAILED after {} ms: {error}\n", keyring.elapsed_ms)),
        }

        out.push_str("\nProxy\n");
        if self.proxy_variables.is_empty() {
            out.push_str("  no proxy variables set\n");
        }
        for variable in &self.proxy_variables {
            out.push_str(&format!("  {}={}\n", variable.name, variable.value));
        }

        out.push_str("\nEndpoints\n");
        for endpoint in &self.endpoints {
            let via = endpoint.proxy.as_deref().map(|proxy| format!(" via {proxy}")).unwrap_or_default();
            let outcome = match (endpoint.status, &endpoint.error) {
                (Some(status), _) => format!("reachable, HTTP {status}"),
                (None, Some(error)) => format!("NOT reachable: {error}"),
                (None, None) => "NOT reachable".to_owned(),
            };
            out.push_str(&format!("  {} {}{via}: {outcome} ({} ms)\n", endpoint.name, endpoint.url, endpoint.elapsed_ms));
            if let Some(tls) = &endpoint.tls {
                let issuer = tls.issuer.as_deref().unwrap_or("unknown issuer");
                if tls.verified {
                    out.push_str(&format!("    TLS verified: certificate issued by {issuer}\n"));
                } else {
                    let error = tls.error.as_deref().unwrap_or("not verified");
                    out.push_str(&format!("    TLS NOT verified: {error}\n"));
                    if let Some(message) = tls.untrusted_message() {
                        out.push_str(&format!("    {message}\n"));
                    }
                }
            }
        }

        out.push_str("\nClock\n");
        match &self.clock {
            Some(clock) if clock.ok => out.push_str(&format!("  ok: {} s off {}\n", clock.skew_secs, clock.server)),
            Some(clock) => out.push_str(&format!("  WRONG: this computer's clock is {} s off {}; set the time automatically\n", clock.skew_secs, clock.server)),
            None => out.push_str("  unknown: no server sent a Date header\n"),
        }

        out.push_str("\nAccounts\n");
        if let Some(error) = &self.accounts_error {
            out.push_str(&format!("  UNREADABLE: {error}\n"));
        } else if self.accounts.is_empty() {
            out.push_str("  none linked\n");
        }
        for account in &self.accounts {
            let state = account.state.map_or("not checked yet", LinkState::as_str);
            let checked = account.last_checked.and_then(|at| at.format(&Rfc3339).ok()).map(|at| format!(", checked {at}")).unwrap_or_default();
            out.push_str(&format!("  {} ({}): {state}{checked}\n", account.username, account.account));
            if let Some(error) = &account.last_error {
                let aadsts = error.aadsts.map(|code| format!(" AADSTS{code}")).unwrap_or_default();
                let correlation = error.correlation_id.as_deref().map(|id| format!(", correlation ID {id}")).unwrap_or_default();
                let trace = error.trace_id.as_deref().map(|id| format!(", trace ID {id}")).unwrap_or_default();
                out.push_str(&format!("    last error: {}{aadsts}{correlation}{trace}\n", error.code));
            }
        }

        if self.attention.is_empty() {
            out.push_str("\nNothing needs attention.\n");
        } else {
            out.push_str("\nNeeds attention\n");
            for finding in &self.attention {
                out.push_str(&format!("  - {finding}\n"));
            }
        }
        out
    }
}

/// Runs every check. Nothing here can fail as a whole: each failure is a
/// finding in the report.
pub async fn run(loaded: &Loaded, managed: &Path, tokens: &TokenStore, accounts: &AccountStore, http: &reqwest::Client) -> Report {
    let config = config_entries(loaded);
    let managed_file = managed_file::check(managed);
    let keyring = keyring_check(tokens).await;

    let authority = &loaded.config.authority;
    let discovery_url = discovery::document_url(authority);
    let mut endpoints = vec![probe(http, "discovery", &discovery_url, Method::Get).await];
    let mut discovery_error = None;
    match discovery::discover(http, authority).await {
        Ok(found) => endpoints.push(probe(http, "token", found.token_endpoint.as_str(), Method::Post).await),
        Err(error) => {
            tracing::info!(%error, "doctor: no token endpoint without discovery");
            discovery_error = Some(error.to_string());
        }
    }
    let graph_me = format!("{}/me", loaded.config.graph_url.as_str().trim_end_matches('/'));
    endpoints.push(probe(http, "graph", &graph_me, Method::Get).await);

    let clock = endpoints.iter().find_map(|endpoint| {
        let date = endpoint.date?;
        let skew_secs = (OffsetDateTime::now_utc() - date).whole_seconds();
        let server = Url::parse(&endpoint.url).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default();
        Some(ClockCheck { server, skew_secs, ok: skew_secs.abs() <= MAX_SKEW_SECS })
    });

    let (accounts, accounts_error) = match accounts.load() {
        Ok(records) => (records
            .into_iter()
            .map(|record| AccountCheck {
                account: record.key,
                username: record.username,
                state: record.last_check.as_ref().map(|last| last.state),
                last_checked: record.last_check.as_ref().map(|last| last.checked_at),
                last_error: record.last_check.and_then(|last| last.error),
            })
            .collect(), None),
        Err(error) => {
            tracing::warn!(%error, "doctor: could not read the accounts");
            (Vec::new(), Some(error.to_string()))
        }
    };

    let mut report = Report {
        config,
        managed_file,
        keyring,
        proxy_variables: proxy::variables(|name| std::env::var(name).ok()),
        endpoints,
        clock,
        accounts,
        accounts_error,
        discovery_error,
        attention: Vec::new(),
    };
    report.attention = attention::findings(&report);
    report
}

fn config_entries(loaded: &Loaded) -> Vec<ConfigEntry> {
    let config = &loaded.config;
    loaded
        .sources
        .iter()
        .map(|source| {
            let value = match source.key {
                "client_id" if config.client_id.is_empty() => None,
                "client_id" => Some(config.client_id.clone()),
                "authority" => Some(config.authority.to_string()),
                "graph_url" => Some(config.graph_url.to_string()),
                "scopes" => Some(config.scopes.join(" ")),
                "check_interval" => Some(format!("{} s", config.check_interval.as_secs())),
                _ => None,
            };
            let ignored = source
                .ignored
                .iter()
                .map(|(origin, line)| match (origin, line) {
                    (Origin::File(path), Some(line)) => format!("{} line {line}", path.display()),
                    (origin, _) => origin.to_string(),
                })
                .collect();
            ConfigEntry { key: source.key, value, source: source.origin.to_string(), locked: source.locked, ignored }
        })
        .collect()
}

async fn keyring_check(tokens: &TokenStore) -> KeyringCheck {
    let started = Instant::now();
    let result = tokens.probe().await;
    KeyringCheck {
        ok: result.is_ok(),
        service: tokens.service().to_owned(),
        elapsed_ms: millis(started.elapsed()),
        error: result.err().map(|error| error.to_string()),
    }
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    /// An empty form POST, which a token endpoint rejects with an OAuth error.
    Post,
}

async fn probe(http: &reqwest::Client, name: &'static str, url: &str, method: Method) -> EndpointCheck {
    let parsed = Url::parse(url).ok();
    let proxy = parsed.as_ref().and_then(proxy::for_url).map(|proxy| proxy::redact(&proxy));
    let started = Instant::now();
    let request = match method {
        Method::Get => http.get(url),
        Method::Post => http.post(url).form(&[("client_id", "")]),
    };
    let result = request.send().await;
    let elapsed_ms = millis(started.elapsed());

    let mut check = EndpointCheck { name, url: url.to_owned(), reachable: false, status: None, proxy, elapsed_ms, error: None, tls: None, date: None };
    match result {
        Ok(response) => {
            check.reachable = true;
            check.status = Some(response.status().as_u16());
            check.date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| OffsetDateTime::parse(&text.replace("GMT", "+0000"), &Rfc2822).ok());
        }
        Err(error) => check.error = Some(TransportError::from_reqwest(&error).to_string()),
    }
    if let Some(url) = &parsed {
        check.tls = tls::inspect(url).await;
    }
    check
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_parses() {
        let parsed = OffsetDateTime::parse(&"Fri, 04 Dec 2026 21:40:07 GMT".replace("GMT", "+0000"), &Rfc2822).expect("date");
        assert_eq!(parsed.unix_timestamp(), 1_796_420_407);
    }
}
