//! Linking an account through the browser, and reconnecting a known one.

use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use super::{AccessToken, Link, attempt, verdict};
use crate::accounts::{AccountRecord, ConsentBlocked};
use crate::browser::{BrowserCommand, BrowserError, Opened};
use crate::classify::{self, Classification};
use crate::consent::ItRequest;
use crate::oauth::{IdClaims, TokenResponse};
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
    /// The text for IT, when only an administrator can fix the failure.
    pub it_request: Option<ItRequest>,
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
        self.sign_in_and_link(options, None, on_open).await
    }

    /// Signs a known account in again. The request carries the account's
    /// username as `login_hint`, its tenant as `domain_hint` and
    /// `prompt=select_account`, and the result is accepted only when the
    /// signed-in `tid` and `oid` are the account's. Another user's sign-in
    /// is rejected and the account and its keyring entry stay as they were.
    ///
    /// # Errors
    ///
    /// As [`Link::connect`], plus a `not_connected` failure naming both
    /// users when someone else signed in.
    pub async fn reconnect(
        &self,
        account: &AccountRecord,
        options: &ConnectOptions,
        on_open: impl FnOnce(&Url, Result<Opened, BrowserError>),
    ) -> Result<AccountStatus, ConnectFailure> {
        self.sign_in_and_link(options, Some(account), on_open).await
    }

    /// Finds a linked account by key or username (case-insensitive).
    ///
    /// # Errors
    ///
    /// Returns an [`crate::accounts::AccountsError`] when the metadata file cannot be read.
    pub fn find_account(&self, selector: &str) -> Result<Option<AccountRecord>, crate::accounts::AccountsError> {
        Ok(self.accounts.load()?.into_iter().find(|record| record.key == selector || record.username.eq_ignore_ascii_case(selector)))
    }

    async fn sign_in_and_link(
        &self,
        options: &ConnectOptions,
        account: Option<&AccountRecord>,
        on_open: impl FnOnce(&Url, Result<Opened, BrowserError>),
    ) -> Result<AccountStatus, ConnectFailure> {
        let client_id = self.prepare_sign_in().await?.to_owned();
        let endpoints = self.endpoints().await.map_err(|error| {
            tracing::warn!(%error, "discovery failed");
            self.failure(&classify::discovery(&error), None, account)
        })?;

        let request = SignInRequest {
            client_id,
            scopes: self.config.scope_string(),
            login_hint: account.map(|record| record.username.clone()).or_else(|| options.login_hint.clone()),
            domain_hint: account.and_then(|record| record.tenant_id.clone()),
            prompt: Some("select_account"),
            timeout: options.timeout,
            browser: options.browser.clone(),
            claims: options.claims.clone().or_else(|| account.and_then(|record| record.claims_challenge.clone())),
        };
        let now = || OffsetDateTime::now_utc().unix_timestamp();
        let result = signin::sign_in(&self.http, endpoints, &request, now, on_open).await;
        match result {
            Ok(signed_in) => self.link_signed_in(&signed_in.claims, &signed_in.tokens, &signed_in.refresh_token, account).await,
            Err(error) => Err(self.sign_in_failure(&error, account, request.login_hint.as_deref())),
        }
    }

    /// Checks the configuration and the keyring before any sign-in starts,
    /// and returns the client ID.
    pub(super) async fn prepare_sign_in(&self) -> Result<&str, ConnectFailure> {
        let client_id = self.config.require_client_id().map_err(|error| failure_text(LinkState::AdminNeeded, error.to_string(), Action::FixConfiguration))?;
        // The keyring is checked before the browser opens, so a sign-in never
        // produces a token that cannot be kept.
        self.tokens.probe().await.map_err(|error| {
            tracing::warn!(%error, "keyring probe failed");
            keyring_failure(&error)
        })?;
        // Likewise the account list must be writable before a sign-in, so a
        // damaged file is reported before it can strand a new token.
        self.accounts.load().map_err(|error| failure_text(LinkState::NotConnected, error.to_string(), Action::None))?;
        Ok(client_id)
    }

    /// Stores a completed sign-in: the refresh token, then the account
    /// record, then checks Graph. For a reconnect, a sign-in by anyone else
    /// is rejected before anything is stored.
    pub(super) async fn link_signed_in(
        &self,
        claims: &IdClaims,
        tokens: &TokenResponse,
        refresh_token: &secrecy::SecretString,
        account: Option<&AccountRecord>,
    ) -> Result<AccountStatus, ConnectFailure> {
        if let Some(expected) = account
            && !same_identity(expected, claims)
        {
            tracing::warn!(account = %expected.key, signed_in = %claims.account_key(), "reconnect signed in as another user; nothing stored");
            let message = if claims.username().eq_ignore_ascii_case(&expected.username) {
                // Same name, other object: the user was deleted and created again.
                format!(
                    "You signed in as {}, but Microsoft 365 now knows that name as a different account (account ID {} instead of {}), for example because it was re-created. Nothing was changed: disconnect the old account with `graphlink disconnect {}`, then connect again.",
                    claims.username(),
                    claims.account_key(),
                    expected.key,
                    expected.key
                )
            } else {
                format!(
                    "You signed in as {}, but this reconnect is for {}. Nothing was changed: reconnect again and choose {} on the Microsoft page.",
                    claims.username(),
                    expected.username,
                    expected.username
                )
            };
            let state = expected.last_check.as_ref().map_or(LinkState::ReconnectNeeded, |last| last.state);
            return Err(failure_text(state, message, Action::Reconnect));
        }

        let granted = if tokens.scopes.is_empty() { self.config.scopes.clone() } else { tokens.scopes.clone() };
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
            granted_scopes: Some(granted),
            consent_blocked: None,
            claims_challenge: None,
            client_id: Some(self.config.client_id.clone()),
        };
        self.tokens.save(&record.key, refresh_token).await.map_err(|error| {
            tracing::error!(account = %record.key, %error, "could not store the new refresh token");
            keyring_failure(&error)
        })?;
        let stored = record.clone();
        let saved = self.accounts.update(move |records| {
            records.retain(|existing| existing.key != stored.key);
            records.push(stored);
        });
        if let Err(error) = saved {
            // A new account that cannot be listed would leave a token no
            // command can remove, so take it back out of the keyring.
            if account.is_none()
                && let Err(cleanup) = self.tokens.delete(&record.key).await
            {
                tracing::error!(account = %record.key, error = %cleanup, "could not remove the token of an account that was not recorded");
            }
            return Err(failure_text(LinkState::NotConnected, error.to_string(), Action::None));
        }
        attempt::clear(&self.attempt_file());
        tracing::info!(account = %record.key, "account linked");

        let access = AccessToken {
            token: tokens.access_token.clone(),
            expires_at: std::time::SystemTime::now() + tokens.expires_in,
        };
        Ok(self.check_with_access_token(&record, access).await)
    }

    fn sign_in_failure(&self, error: &SignInError, account: Option<&AccountRecord>, username: Option<&str>) -> ConnectFailure {
        tracing::warn!(%error, "sign-in failed");
        let failure = match error {
            SignInError::Denied { error, description, .. } => {
                let classification = classify::authorize_error(error, description.as_deref());
                let detail = redirect_detail(error, description.as_deref());
                self.failure(&classification, Some(detail), account)
            }
            SignInError::Token(crate::oauth::TokenError::Rejected { status, body, retry_after }) => {
                let classification = classify::token_error(*status, body.as_ref(), *retry_after);
                self.failure(&classification, body.as_ref().map(verdict::entra_detail), account)
            }
            SignInError::Token(crate::oauth::TokenError::Transport(error)) => self.failure(&classify::transport(error), None, account),
            SignInError::Loopback(crate::loopback::LoopbackError::TimedOut(_)) => {
                failure_text(LinkState::NotConnected, format!("{error}. If the browser shows a Microsoft error page, send its details to IT; otherwise try again."), Action::Reconnect)
            }
            other => failure_text(LinkState::NotConnected, other.to_string(), Action::Reconnect),
        };
        self.remember_failure(failure, account, username)
    }

    /// Keeps an administrator-only failure where `graphlink status` and the
    /// window find it: on the account for a reconnect, else as the last
    /// connect attempt.
    pub(super) fn remember_failure(&self, failure: ConnectFailure, account: Option<&AccountRecord>, username: Option<&str>) -> ConnectFailure {
        if failure.state != LinkState::AdminNeeded {
            return failure;
        }
        let tenant = account.and_then(|record| record.tenant_id.as_deref());
        let username = account.map(|record| record.username.as_str()).or(username);
        let admin_consent_url = match &failure.action {
            Action::AskAdmin { admin_consent_url } => Some(admin_consent_url.clone()),
            _ => None,
        };
        let now = OffsetDateTime::now_utc();
        let request = ItRequest::new(&self.config, username, tenant, &failure.message, admin_consent_url.as_deref(), failure.error.as_ref(), Some(now));
        let failure = ConnectFailure { it_request: Some(request), ..failure };

        match account {
            Some(record) if admin_consent_url.is_some() => {
                let blocked = ConsentBlocked { at: now, error: failure.error.clone() };
                let key = record.key.clone();
                let result = self.accounts.update(move |records| {
                    if let Some(record) = records.iter_mut().find(|record| record.key == key) {
                        record.consent_blocked = Some(blocked);
                    }
                });
                if let Err(error) = result {
                    tracing::warn!(account = %record.key, %error, "could not record the consent block");
                }
            }
            Some(_) => {}
            None => attempt::save(&self.attempt_file(), &attempt::Attempt::from_failure(&failure, username, now)),
        }
        failure
    }

    pub(super) fn failure(&self, classification: &Classification, error: Option<ErrorDetail>, account: Option<&AccountRecord>) -> ConnectFailure {
        let tenant = account.and_then(|record| record.tenant_id.as_deref());
        let verdict = verdict::verdict(&self.config, tenant, classification, Capabilities::default(), error);
        ConnectFailure { state: verdict.state, message: verdict.message, action: verdict.action, error: verdict.error, it_request: None }
    }
}

pub(super) fn failure_text(state: LinkState, message: String, action: Action) -> ConnectFailure {
    ConnectFailure { state, message, action, error: None, it_request: None }
}

/// Builds the failure of a connect that cannot use the keyring. The health
/// engine retries a check by itself, but nothing retries a connect, so the
/// message asks the rep to connect again once the keyring works.
fn keyring_failure(error: &crate::token_store::KeyringError) -> ConnectFailure {
    failure_text(
        LinkState::KeyringUnavailable,
        format!("The system keyring cannot be used ({error}), so Graphlink cannot keep your sign-in. Unlock the keyring (or install one), then connect again."),
        Action::UnlockKeyring,
    )
}

/// True when the signed-in user is the account's: same `tid` and `oid`, or,
/// for servers without those claims, the same account key.
fn same_identity(account: &AccountRecord, claims: &IdClaims) -> bool {
    match (&account.tenant_id, &account.object_id, &claims.tid, &claims.oid) {
        (Some(tid), Some(oid), Some(signed_tid), Some(signed_oid)) => tid.eq_ignore_ascii_case(signed_tid) && oid.eq_ignore_ascii_case(signed_oid),
        _ => account.key == claims.account_key(),
    }
}

/// Builds the support details of an error redirected to the loopback
/// listener. Entra appends `Trace ID:` and `Correlation ID:` lines to
/// `error_description`.
fn redirect_detail(error: &str, description: Option<&str>) -> ErrorDetail {
    let line_value = |label: &str| {
        description?.lines().find_map(|line| line.trim().strip_prefix(label).map(|value| value.trim().to_owned())).filter(|value| !value.is_empty())
    };
    ErrorDetail {
        code: error.to_owned(),
        aadsts: description.and_then(aadsts_of),
        correlation_id: line_value("Correlation ID:"),
        trace_id: line_value("Trace ID:"),
    }
}

fn aadsts_of(description: &str) -> Option<u32> {
    let digits: String = description.strip_prefix("AADSTS")?.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_detail_reads_trace_lines() {
        let description = "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-12-04 13:56:27Z";
        let detail = redirect_detail("access_denied", Some(description));
        assert_eq!(detail.aadsts, Some(65004));
        assert_eq!(detail.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(detail.trace_id.as_deref(), Some("t-1"));
    }
}
