//! One health check of one account: refresh, store the rotated token, then
//! prove profile, mail and calendar with one Graph batch request.

use secrecy::SecretString;
use tracing::Instrument as _;

use super::{Link, verdict};
use crate::accounts::AccountRecord;
use crate::classify::{self, Classification, Reason};
use crate::graph;
use crate::oauth::{TokenClient, TokenError};
use crate::state::{AccountStatus, Capabilities, ErrorDetail, LinkState};

/// Where a check stopped, with what the user should see.
struct Outcome {
    classification: Classification,
    capabilities: Capabilities,
    error: Option<ErrorDetail>,
}

impl Outcome {
    fn failed(classification: Classification, error: Option<ErrorDetail>) -> Self {
        Self { classification, capabilities: Capabilities::default(), error }
    }
}

impl Link {
    /// Checks one account now and stores the result on its record.
    pub async fn check(&self, record: &AccountRecord) -> AccountStatus {
        let span = tracing::info_span!("check", account = %record.key);
        let outcome = self.run_check(record).instrument(span).await;
        self.finish(record, &outcome)
    }

    /// Checks with an access token that is already in hand, right after a sign-in.
    pub(super) async fn check_with_access_token(&self, record: &AccountRecord, access_token: &SecretString) -> AccountStatus {
        let outcome = self.probe(access_token).await;
        self.finish(record, &outcome)
    }

    fn finish(&self, record: &AccountRecord, outcome: &Outcome) -> AccountStatus {
        let verdict = verdict::verdict(&self.config, record.tenant_id.as_deref(), &outcome.classification, outcome.capabilities, outcome.error.clone());
        tracing::info!(account = %record.key, state = %verdict.state, reason = ?outcome.classification.reason, "check finished");
        let stored = match self.record_verdict(&record.key, &verdict, outcome.classification.reason) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(account = %record.key, %error, "could not store the check result");
                None
            }
        };
        let record = stored.unwrap_or_else(|| record.clone());
        let mut status = super::status_from_record(&record);
        status.state = verdict.state;
        status.capabilities = verdict.capabilities;
        status.message = verdict.message;
        status.action = verdict.action;
        status.error = verdict.error;
        status
    }

    async fn run_check(&self, record: &AccountRecord) -> Outcome {
        let refresh_token = match self.tokens.load(&record.key).await {
            Ok(Some(token)) => token,
            Ok(None) => return Outcome::failed(fixed(LinkState::ReconnectNeeded, Reason::NoSavedSignIn), None),
            Err(error) => {
                tracing::warn!(account = %record.key, %error, "keyring read failed");
                return Outcome::failed(fixed(LinkState::KeyringUnavailable, Reason::KeyringUnavailable), None);
            }
        };
        let endpoints = match self.endpoints().await {
            Ok(endpoints) => endpoints,
            Err(error) => {
                tracing::warn!(%error, "discovery failed");
                return Outcome::failed(classify::discovery(&error), None);
            }
        };

        let client = TokenClient::new(self.http.clone(), endpoints.token_endpoint.clone(), self.config.client_id.clone());
        let tokens = match client.refresh(&refresh_token, &self.config.scope_string()).await {
            Ok(tokens) => tokens,
            Err(error) => return self.refresh_failed(record, &error).await,
        };
        // The rotated token is saved before the access token is used. If the
        // save fails, the previous refresh token still works on Entra, which
        // does not revoke a token when it rotates it.
        if let Some(rotated) = &tokens.refresh_token
            && let Err(error) = self.tokens.save(&record.key, rotated).await
        {
            tracing::warn!(account = %record.key, %error, "could not store the rotated refresh token");
            return Outcome::failed(fixed(LinkState::KeyringUnavailable, Reason::KeyringUnavailable), None);
        }
        self.probe(&tokens.access_token).await
    }

    async fn refresh_failed(&self, record: &AccountRecord, error: &TokenError) -> Outcome {
        let (classification, detail) = match error {
            TokenError::Transport(error) => (classify::transport(error), None),
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
        Outcome::failed(classification, detail)
    }

    async fn probe(&self, access_token: &SecretString) -> Outcome {
        match graph::probe(&self.http, &self.config.graph_url, access_token).await {
            Ok(result) => {
                let (capabilities, classification) = classify::probe(&result);
                let error = first_graph_error(&result);
                Outcome { classification, capabilities, error }
            }
            Err(error) => {
                tracing::warn!(%error, "Graph probe failed");
                Outcome::failed(classify::transport(&error), None)
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
