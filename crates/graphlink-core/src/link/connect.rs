//! Linking an account through the browser.

use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use super::{AccessToken, Link, verdict};
use crate::accounts::AccountRecord;
use crate::browser::{BrowserCommand, BrowserError, Opened};
use crate::classify::{self, Classification, Reason};
use crate::signin::{self, SignInError, SignInRequest};
use crate::state::{AccountStatus, Action, Capabilities, ErrorDetail, LinkState};

/// Options of one connect attempt.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub timeout: Duration,
    /// Pre-fills the username, e.g. for a reconnect.
    pub login_hint: Option<String>,
    /// Overrides `BROWSER` and the platform's default browser.
    pub browser: Option<BrowserCommand>,
    /// Claims of a challenge that a refresh could not satisfy, sent to the
    /// authorization endpoint so one sign-in fixes it.
    pub claims: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { timeout: signin::DEFAULT_TIMEOUT, login_hint: None, browser: None, claims: None }
    }
}

/// A connect attempt that did not link an account, in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectFailure {
    pub state: LinkState,
    pub message: String,
    pub action: Action,
    pub error: Option<ErrorDetail>,
}

impl Link {
    /// Links an account: checks the keyring, signs in through the browser,
    /// stores the refresh token and the account, then checks Graph.
    ///
    /// # Errors
    ///
    /// Returns a [`ConnectFailure`] saying what went wrong and what to do.
    /// No token is stored unless the whole sign-in succeeded.
    pub async fn connect(
        &self,
        options: &ConnectOptions,
        on_open: impl FnOnce(&Url, Result<Opened, BrowserError>),
    ) -> Result<AccountStatus, ConnectFailure> {
        let client_id = self.config.require_client_id().map_err(|error| self.failure_text(LinkState::AdminNeeded, error.to_string(), Action::FixConfiguration))?;
        // The keyring is checked before the browser opens, so a sign-in never
        // produces a token that cannot be kept.
        self.tokens.probe().await.map_err(|error| {
            tracing::warn!(%error, "keyring probe failed");
            self.failure_text(LinkState::KeyringUnavailable, format!("{} ({error})", Reason::KeyringUnavailable.message()), Action::UnlockKeyring)
        })?;
        let endpoints = self.endpoints().await.map_err(|error| {
            tracing::warn!(%error, "discovery failed");
            self.failure(&classify::discovery(&error), None)
        })?;

        let request = SignInRequest {
            client_id: client_id.to_owned(),
            scopes: self.config.scope_string(),
            login_hint: options.login_hint.clone(),
            domain_hint: None,
            prompt: Some("select_account"),
            timeout: options.timeout,
            browser: options.browser.clone(),
            claims: options.claims.clone(),
        };
        let now = || OffsetDateTime::now_utc().unix_timestamp();
        let signed_in = signin::sign_in(&self.http, endpoints, &request, now, on_open)
            .await
            .map_err(|error| self.sign_in_failure(&error))?;

        let claims = &signed_in.claims;
        let record = AccountRecord {
            key: claims.account_key(),
            username: claims.username(),
            display_name: claims.name.clone(),
            tenant_id: claims.tid.clone(),
            object_id: claims.oid.clone(),
            authority: self.config.authority.to_string(),
            linked_at: OffsetDateTime::now_utc(),
            last_check: None,
            last_connected: None,
        };
        self.tokens.save(&record.key, &signed_in.refresh_token).await.map_err(|error| {
            tracing::error!(account = %record.key, %error, "could not store the new refresh token");
            self.failure_text(LinkState::KeyringUnavailable, format!("{} ({error})", Reason::KeyringUnavailable.message()), Action::UnlockKeyring)
        })?;
        let stored = record.clone();
        self.accounts
            .update(move |records| {
                records.retain(|existing| existing.key != stored.key);
                records.push(stored);
            })
            .map_err(|error| self.failure_text(LinkState::NotConnected, error.to_string(), Action::None))?;
        tracing::info!(account = %record.key, "account linked");

        let access = AccessToken {
            token: signed_in.tokens.access_token.clone(),
            expires_at: std::time::SystemTime::now() + signed_in.tokens.expires_in,
        };
        Ok(self.check_with_access_token(&record, access).await)
    }

    fn sign_in_failure(&self, error: &SignInError) -> ConnectFailure {
        tracing::warn!(%error, "sign-in failed");
        match error {
            SignInError::Denied { error, description, .. } => {
                let classification = classify::authorize_error(error, description.as_deref());
                let detail = ErrorDetail {
                    code: error.clone(),
                    aadsts: description.as_deref().and_then(aadsts_of),
                    correlation_id: None,
                    trace_id: None,
                };
                self.failure(&classification, Some(detail))
            }
            SignInError::Token(crate::oauth::TokenError::Rejected { status, body, retry_after }) => {
                let classification = classify::token_error(*status, body.as_ref(), *retry_after);
                self.failure(&classification, body.as_ref().map(verdict::entra_detail))
            }
            SignInError::Token(crate::oauth::TokenError::Transport(error)) => self.failure(&classify::transport(error), None),
            SignInError::Loopback(crate::loopback::LoopbackError::TimedOut(_)) => {
                self.failure_text(LinkState::NotConnected, format!("{error}. If the browser shows a Microsoft error page, send its details to IT; otherwise try again."), Action::Reconnect)
            }
            other => self.failure_text(LinkState::NotConnected, other.to_string(), Action::Reconnect),
        }
    }

    fn failure(&self, classification: &Classification, error: Option<ErrorDetail>) -> ConnectFailure {
        let verdict = verdict::verdict(&self.config, None, classification, Capabilities::default(), error);
        ConnectFailure { state: verdict.state, message: verdict.message, action: verdict.action, error: verdict.error }
    }

    #[allow(clippy::unused_self)] // Kept a method so every failure is built the same way.
    fn failure_text(&self, state: LinkState, message: String, action: Action) -> ConnectFailure {
        ConnectFailure { state, message, action, error: None }
    }
}

fn aadsts_of(description: &str) -> Option<u32> {
    let digits: String = description.strip_prefix("AADSTS")?.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
