//! Linking an account with the device code flow, the alternative for
//! sessions where no local browser can reach the loopback redirect.

use std::future::Future;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::connect::{ConnectFailure, failure_text};
use super::{Link, verdict};
use crate::accounts::AccountRecord;
use crate::classify;
use crate::oauth::device::{self, DeviceError};
use crate::oauth::{IdClaims, TokenClient, TokenError};
use crate::state::{AccountStatus, Action, LinkState};

/// The code and address the user enters on another device, ready to show and copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in_secs: u64,
    /// The server's own instruction, when it sent one.
    pub message: Option<String>,
}

const USE_BROWSER: &str =
    "Sign in through the browser on this computer instead: Connect in the Graphlink window, or run `graphlink connect` without --device-code.";

impl Link {
    /// Links an account with a device code: requests a code, hands it to
    /// `on_code` to show, then polls until the user has signed in elsewhere.
    /// `sleep` waits between polls; pass `tokio::time::sleep` outside tests.
    /// With `account`, the result must be that account, as in [`Link::reconnect`].
    ///
    /// # Errors
    ///
    /// Returns a [`ConnectFailure`]: declined, expired, blocked by a policy
    /// (with a pointer to the browser sign-in), or any failure of
    /// [`Link::connect`].
    pub async fn connect_device_code<S, F>(
        &self,
        account: Option<&AccountRecord>,
        on_code: impl FnOnce(&DeviceCodePrompt),
        sleep: S,
    ) -> Result<AccountStatus, ConnectFailure>
    where
        S: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        let client_id = self.prepare_sign_in().await?.to_owned();
        let endpoints = self.endpoints().await.map_err(|error| {
            tracing::warn!(%error, "discovery failed");
            self.failure(&classify::discovery(&error), None, account)
        })?;
        let Some(device_endpoint) = endpoints.device_authorization_endpoint.clone() else {
            return Err(failure_text(LinkState::NotConnected, format!("The sign-in server does not offer sign-in with a device code. {USE_BROWSER}"), Action::Reconnect));
        };

        let scope = self.config.scope_string();
        let client = TokenClient::new(self.http.clone(), endpoints.token_endpoint.clone(), client_id.clone());
        let authorization = device::request_code(&client, &device_endpoint, &scope)
            .await
            .map_err(|error| self.device_failure(DeviceError::Token(error), account))?;
        on_code(&DeviceCodePrompt {
            user_code: authorization.user_code.clone(),
            verification_uri: authorization.verification_uri.clone(),
            expires_in_secs: authorization.expires_in.as_secs(),
            message: authorization.message.clone(),
        });
        tracing::info!(expires_in_secs = authorization.expires_in.as_secs(), "waiting for the device code sign-in");

        let tokens = device::poll(&client, &authorization, sleep)
            .await
            .map_err(|error| self.device_failure(error, account))?;
        let id_token = tokens.id_token.as_ref().ok_or_else(|| failure_text(LinkState::NotConnected, crate::signin::SignInError::NoIdToken.to_string(), Action::FixConfiguration))?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = IdClaims::decode(id_token.expose_secret(), &endpoints.issuer, &client_id, now)
            .map_err(|error| failure_text(LinkState::NotConnected, error.to_string(), Action::Reconnect))?;
        let refresh_token = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| failure_text(LinkState::NotConnected, crate::signin::SignInError::NoRefreshToken.to_string(), Action::FixConfiguration))?;
        self.link_signed_in(&claims, &tokens, &refresh_token, account).await
    }

    fn device_failure(&self, error: DeviceError, account: Option<&AccountRecord>) -> ConnectFailure {
        tracing::warn!(%error, "device code sign-in failed");
        let username = account.map(|record| record.username.as_str());
        let failure = match error {
            DeviceError::Declined => failure_text(
                LinkState::NotConnected,
                "The sign-in was declined on the other device, so nothing was linked. Sign in with a new code to try again. If Microsoft showed \"Need admin approval\", your IT department must approve Graphlink first: sign in through the browser on this computer to get the request to send them.".to_owned(),
                Action::Reconnect,
            ),
            DeviceError::Expired => failure_text(
                LinkState::NotConnected,
                "The code expired before the sign-in was finished. Sign in with a new code to try again.".to_owned(),
                Action::Reconnect,
            ),
            DeviceError::BlockedByPolicy(body) => {
                let detail = verdict::entra_detail(&body);
                let code = detail.aadsts.map(|code| format!(" (AADSTS{code})")).unwrap_or_default();
                let correlation = detail.correlation_id.as_deref().map(|id| format!(" Correlation ID: {id}.")).unwrap_or_default();
                ConnectFailure {
                    error: Some(detail),
                    ..failure_text(
                        LinkState::NotConnected,
                        format!("Your organisation's sign-in policy blocks signing in with a code from another device{code}. {USE_BROWSER}{correlation}"),
                        Action::Reconnect,
                    )
                }
            }
            DeviceError::Token(TokenError::Rejected { status, body, retry_after }) => {
                let classification = classify::token_error(status, body.as_ref(), retry_after);
                self.failure(&classification, body.as_ref().map(verdict::entra_detail), account)
            }
            DeviceError::Token(TokenError::Transport(error)) => self.failure(&classify::transport(&error), None, account),
            DeviceError::Token(error @ TokenError::Malformed(_)) => failure_text(LinkState::NotConnected, error.to_string(), Action::Reconnect),
        };
        self.remember_failure(failure, account, username)
    }
}
