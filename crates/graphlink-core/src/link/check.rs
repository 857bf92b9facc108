//! One health check of one account: refresh, store the rotated token, then
//! prove profile, mail and calendar with one Graph batch request.

use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use tracing::Instrument as _;

use super::{Link, verdict};
use crate::accounts::AccountRecord;
use crate::classify::{self, Classification, Reason};
use crate::engine::schedule;
use crate::lock::RefreshLock;
use crate::graph;
use crate::oauth::{TokenClient, TokenError};
use crate::state::{AccountStatus, Capabilities, ErrorDetail, LinkState};

/// The result of a check: its classification, capabilities and error details.
pub(super) struct Outcome {
    classification: Classification,
    capabilities: Capabilities,
    error: Option<ErrorDetail>,
    /// Claims of an `insufficient_claims` challenge from Graph.
    challenge: Option<String>,
}

impl Outcome {
    fn failed(classification: Classification, error: Option<ErrorDetail>) -> Self {
        Self { classification, capabilities: Capabilities::default(), error, challenge: None }
    }
}

/// An access token kept in memory between checks, never stored.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: SystemTime,
}

/// A check's status plus what the scheduler needs to plan the next one.
#[derive(Debug)]
pub struct CheckReport {
    pub status: AccountStatus,
    /// The failure is temporary, so the next check backs off.
    pub transient: bool,
    pub retry_after: Option<Duration>,
    /// The access token to reuse next time, while it is valid.
    pub access_token: Option<AccessToken>,
}

/// How long to wait for another process's refresh of the same account.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

impl Link {
    /// Checks one account now, refreshing its token, and stores the result.
    pub async fn check(&self, record: &AccountRecord) -> AccountStatus {
        self.check_cached(record, None, SystemTime::now()).await.status
    }

    /// Checks one account, reusing `cached` while it is far from expiry, so a
    /// check costs one round trip, or two when a refresh is due. The status
    /// carries consent guidance and the name of an untrusted TLS issuer.
    pub async fn check_cached(&self, record: &AccountRecord, cached: Option<AccessToken>, now: SystemTime) -> CheckReport {
        let mut report = self.probe_account(record, cached, now).await;
        report.status = self.guide(record, report.status).await;
        report
    }

    async fn probe_account(&self, record: &AccountRecord, cached: Option<AccessToken>, now: SystemTime) -> CheckReport {
        let span = tracing::info_span!("check", account = %record.key);
        async move {
            let usable = cached.filter(|access| !schedule::needs_refresh(now, access.expires_at));
            let mut challenge = None;
            if let Some(access) = usable {
                let outcome = self.probe(&access.token).await;
                // Graph rejected a token we thought valid: refresh once, then judge.
                if outcome.classification.reason != Reason::AccessTokenRejected {
                    return self.report(record, &outcome, Some(access), now);
                }
                tracing::info!(claims_challenge = outcome.challenge.is_some(), "Graph rejected the cached access token; refreshing");
                challenge = outcome.challenge;
            }
            let (mut outcome, mut access) = self.refresh_and_probe(record, now, challenge.as_deref()).await;
            // A token fresh from the refresh can still meet a claims challenge,
            // so it gets one more refresh that carries the claims.
            if challenge.is_none() && outcome.challenge.is_some() {
                challenge = outcome.challenge.take();
                (outcome, access) = self.refresh_and_probe(record, now, challenge.as_deref()).await;
            }
            if outcome.classification.state == LinkState::ReconnectNeeded {
                self.keep_claims_for_reconnect(record, challenge.or(outcome.challenge.clone()));
            }
            self.report(record, &outcome, access, now)
        }
        .instrument(span)
        .await
    }

    /// Checks with an access token that is already in hand, right after a sign-in.
    pub(super) async fn check_with_access_token(&self, record: &AccountRecord, access: AccessToken) -> AccountStatus {
        let outcome = self.probe(&access.token).await;
        self.report(record, &outcome, Some(access), SystemTime::now()).status
    }

    fn report(&self, record: &AccountRecord, outcome: &Outcome, access: Option<AccessToken>, now: SystemTime) -> CheckReport {
        let verdict = verdict::verdict(&self.config, record.tenant_id.as_deref(), &outcome.classification, outcome.capabilities, outcome.error.clone());
        tracing::info!(account = %record.key, state = %verdict.state, reason = ?outcome.classification.reason, "check finished");
        let stored = match self.record_verdict(record, &verdict, outcome.classification.reason, now) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(account = %record.key, %error, "could not store the check result");
                None
            }
        };
        let record = stored.unwrap_or_else(|| record.clone());
        let mut status = super::status_from_record(&record);
        let transient = matches!(verdict.state, LinkState::Offline | LinkState::Degraded) && verdict.action == crate::state::Action::None;
        status.state = verdict.state;
        status.capabilities = verdict.capabilities;
        status.message = verdict.message;
        status.action = verdict.action;
        status.error = verdict.error;
        let keep = outcome.classification.state != LinkState::ReconnectNeeded;
        CheckReport { status, transient, retry_after: outcome.classification.retry_after, access_token: access.filter(|_| keep) }
    }

    /// Records the scopes a refresh was granted, so a tenant-wide admin grant
    /// of new permissions is noticed without a reconnect.
    fn remember_granted_scopes(&self, record: &AccountRecord, scopes: &[String]) {
        if scopes.is_empty() || record.granted_scopes.as_deref() == Some(scopes) {
            return;
        }
        let result = self.accounts.update(|records| {
            if let Some(stored) = records.iter_mut().find(|stored| stored.key == record.key && stored.linked_at == record.linked_at) {
                stored.granted_scopes = Some(scopes.to_vec());
            }
        });
        if let Err(error) = result {
            tracing::warn!(account = %record.key, %error, "could not store the granted scopes");
        }
    }

    /// Stores the claims a reconnect must send, so one sign-in satisfies the challenge.
    fn keep_claims_for_reconnect(&self, record: &AccountRecord, claims: Option<String>) {
        if claims.is_none() {
            return;
        }
        let result = self.accounts.update(|records| {
            if let Some(stored) = records.iter_mut().find(|stored| stored.key == record.key) {
                stored.claims_challenge = claims;
            }
        });
        if let Err(error) = result {
            tracing::warn!(account = %record.key, %error, "could not store the claims challenge");
        }
    }

    async fn refresh_and_probe(&self, record: &AccountRecord, now: SystemTime, challenge: Option<&str>) -> (Outcome, Option<AccessToken>) {
        // A refresh token works only for the client it was issued to: with
        // another client_id configured, the server would call it invalid and
        // the token would be deleted for a setting that can be put back.
        // Client IDs are GUIDs, so letter case does not make another client.
        if let Some(linked_with) = record.client_id.as_deref()
            && !linked_with.eq_ignore_ascii_case(&self.config.client_id)
        {
            tracing::warn!(account = %record.key, linked_with, configured = %self.config.client_id, "client_id differs from the one the account was linked with");
            let detail = ErrorDetail { code: "client_id_changed".into(), ..ErrorDetail::default() };
            return (Outcome::failed(fixed(LinkState::AdminNeeded, Reason::ClientIdChanged), Some(detail)), None);
        }
        // The lock keeps another process from rotating the token meanwhile,
        // and the token is read only once the lock is held.
        let lock = match RefreshLock::acquire(&self.locks_dir, &record.key, LOCK_TIMEOUT).await {
            Ok(lock) => Some(lock),
            Err(error) => {
                tracing::warn!(account = %record.key, %error, "refreshing without the cross-process lock");
                None
            }
        };
        let refresh_token = match self.tokens.load(&record.key).await {
            Ok(Some(token)) => token,
            Ok(None) => {
                // The token was deleted because the server declared it dead:
                // keep showing that cause and its support details.
                let outcome = match &record.last_check {
                    Some(last) if last.state == LinkState::ReconnectNeeded => Outcome::failed(fixed(LinkState::ReconnectNeeded, last.reason), last.error.clone()),
                    _ => Outcome::failed(fixed(LinkState::ReconnectNeeded, Reason::NoSavedSignIn), None),
                };
                return (outcome, None);
            }
            Err(error) => {
                tracing::warn!(account = %record.key, %error, "keyring read failed");
                return (Outcome::failed(fixed(LinkState::KeyringUnavailable, Reason::KeyringUnavailable), None), None);
            }
        };
        let endpoints = match self.endpoints().await {
            Ok(endpoints) => endpoints,
            Err(error) => {
                tracing::warn!(%error, "discovery failed");
                return (Outcome::failed(classify::discovery(&error), None), None);
            }
        };

        let client = TokenClient::new(self.http.clone(), endpoints.token_endpoint.clone(), self.config.client_id.clone());
        let tokens = match client.refresh_with_claims(&refresh_token, &self.config.scope_string(), challenge).await {
            Ok(tokens) => tokens,
            Err(error) => return (self.refresh_failed(record, &error).await, None),
        };
        // The rotated token is saved before the access token is used. If the
        // save fails, the previous refresh token still works on Entra, which
        // does not revoke a token when it rotates it.
        if let Some(rotated) = &tokens.refresh_token
            && let Err(error) = self.tokens.save(&record.key, rotated).await
        {
            tracing::warn!(account = %record.key, %error, "could not store the rotated refresh token");
            return (Outcome::failed(fixed(LinkState::KeyringUnavailable, Reason::KeyringUnavailable), None), None);
        }
        drop(lock);
        self.remember_granted_scopes(record, &tokens.scopes);

        let access = AccessToken { token: tokens.access_token.clone(), expires_at: now + tokens.expires_in };
        (self.probe(&access.token).await, Some(access))
    }

    async fn refresh_failed(&self, record: &AccountRecord, error: &TokenError) -> Outcome {
        let (classification, detail) = match error {
            TokenError::Transport(error) => (classify::transport(error), Some(transport_detail(error))),
            TokenError::Rejected { status, body, retry_after } => {
                (classify::token_error(*status, body.as_ref(), *retry_after), body.as_ref().map(verdict::entra_detail))
            }
            TokenError::Malformed(_) => (fixed(LinkState::Degraded, Reason::UnexpectedResponse), None),
        };
        tracing::warn!(account = %record.key, %error, state = %classification.state, "refresh failed");
        if classification.refresh_token_dead {
            match self.tokens.delete(&record.key).await {
                Ok(()) => tracing::info!(account = %record.key, "deleted the refresh token that the server declared dead"),
                Err(error) => tracing::warn!(account = %record.key, %error, "could not delete the dead refresh token"),
            }
        }
        // A Conditional Access challenge (MFA, 53003) comes with claims that
        // the interactive reconnect must forward, so one sign-in satisfies it.
        let challenge = match error {
            TokenError::Rejected { body: Some(body), .. } => body.claims.clone(),
            _ => None,
        };
        Outcome { challenge, ..Outcome::failed(classification, detail) }
    }

    async fn probe(&self, access_token: &SecretString) -> Outcome {
        match graph::probe(&self.http, &self.config.graph_url, access_token).await {
            Ok(result) => {
                let (capabilities, classification) = classify::probe(&result);
                let error = first_graph_error(&result);
                let challenge = claims_challenge(&result);
                Outcome { classification, capabilities, error, challenge }
            }
            Err(error) => {
                tracing::warn!(%error, "Graph probe failed");
                Outcome::failed(classify::transport(&error), Some(transport_detail(&error)))
            }
        }
    }
}

fn fixed(state: LinkState, reason: Reason) -> Classification {
    Classification { state, reason, refresh_token_dead: false, retry_after: None }
}

fn first_graph_error(result: &graph::ProbeResult) -> Option<ErrorDetail> {
    match result {
        graph::ProbeResult::Rejected { code, .. } => code.clone().map(|code| ErrorDetail { code, ..ErrorDetail::default() }),
        graph::ProbeResult::Items(items) => items.iter().find(|item| item.status >= 300).map(|item| ErrorDetail {
            code: item.code.clone().unwrap_or_else(|| format!("HTTP {}", item.status)),
            aadsts: None,
            correlation_id: None,
            trace_id: item.request_id.clone(),
        }),
    }
}

/// Returns the claims of the first `insufficient_claims` challenge in a probe.
fn claims_challenge(result: &graph::ProbeResult) -> Option<String> {
    match result {
        graph::ProbeResult::Items(items) => items
            .iter()
            .filter(|item| item.status == 401)
            .find_map(|item| item.www_authenticate.as_deref().and_then(crate::oauth::challenge::insufficient_claims)),
        graph::ProbeResult::Rejected { .. } => None,
    }
}

/// Describes a failure below HTTP for support: its kind and the host.
fn transport_detail(error: &crate::http::TransportError) -> ErrorDetail {
    let kind = serde_json::to_value(error.kind).ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default();
    ErrorDetail { code: format!("transport_{kind}: {}", error.host), ..ErrorDetail::default() }
}
