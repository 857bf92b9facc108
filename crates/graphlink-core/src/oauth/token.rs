//! Requests to the token endpoint.
//!
//! These are written against `reqwest` rather than the `oauth2` crate's token
//! client because classification needs the HTTP status, `Retry-After` and the
//! identity platform's extra error fields (`suberror`, `error_codes`,
//! `correlation_id`, `claims`), which that client does not return.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::challenge;
use super::error::{EntraError, TokenError};
use crate::http;

/// A successful token response. Tokens are wrapped so they never print.
#[derive(Debug)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    pub expires_in: Duration,
    /// Granted scopes, short form (`User.Read`, not the full Graph URI).
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    expires_in: Option<NumberOrString>,
    #[serde(default)]
    scope: Option<String>,
}

/// `expires_in` is a number on Entra and a string on some older servers.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    Text(String),
}

/// The token endpoint of one authority, for one public client.
#[derive(Debug, Clone)]
pub struct TokenClient {
    http: reqwest::Client,
    endpoint: Url,
    client_id: String,
}

impl TokenClient {
    #[must_use]
    pub fn new(http: reqwest::Client, endpoint: Url, client_id: String) -> Self {
        Self { http, endpoint, client_id }
    }

    /// Redeems an authorization code with its PKCE verifier.
    ///
    /// # Errors
    ///
    /// Returns a [`TokenError`] for transport failures and error responses.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        verifier: &SecretString,
        redirect_uri: &str,
        scope: &str,
    ) -> Result<TokenResponse, TokenError> {
        self.post(&[
            ("grant_type", "authorization_code"),
            ("client_id", &self.client_id),
            ("code", code.expose_secret()),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("client_info", "1"),
        ])
        .await
    }

    /// Redeems a refresh token. The response carries a rotated refresh token,
    /// which the caller must store before using the access token.
    ///
    /// # Errors
    ///
    /// Returns a [`TokenError`] for transport failures and error responses.
    pub async fn refresh(&self, refresh_token: &SecretString, scope: &str) -> Result<TokenResponse, TokenError> {
        self.refresh_with_claims(refresh_token, scope, None).await
    }

    /// Redeems a refresh token, sending the claims of a challenge from Graph.
    ///
    /// # Errors
    ///
    /// Returns a [`TokenError`] for transport failures and error responses.
    pub async fn refresh_with_claims(&self, refresh_token: &SecretString, scope: &str, challenge: Option<&str>) -> Result<TokenResponse, TokenError> {
        let claims = challenge::merge_claims(challenge);
        self.post(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("refresh_token", refresh_token.expose_secret()),
            ("scope", scope),
            ("client_info", "1"),
            ("claims", &claims),
        ])
        .await
    }

    /// Redeems the device code of a device code sign-in (RFC 8628). Until
    /// the user has signed in, the endpoint rejects it with
    /// `authorization_pending`, which the caller polls through.
    ///
    /// # Errors
    ///
    /// Returns a [`TokenError`] for transport failures and error responses.
    pub async fn redeem_device_code(&self, device_code: &SecretString) -> Result<TokenResponse, TokenError> {
        self.post(&[("grant_type", DEVICE_CODE_GRANT), ("client_id", &self.client_id), ("device_code", device_code.expose_secret())]).await
    }

    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    #[must_use]
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Posts a token request. Every request declares the `cp1` client
    /// capability, so Graph sends claims challenges instead of silently
    /// honouring a revoked token until it expires.
    async fn post(&self, form: &[(&str, &str)]) -> Result<TokenResponse, TokenError> {
        let capabilities = challenge::client_capabilities();
        let mut form = form.to_vec();
        if !form.iter().any(|(name, _)| *name == "claims") {
            form.push(("claims", &capabilities));
        }
        let body = post_form(&self.http, &self.endpoint, &form).await?;
        // The serde error text is dropped because it can quote the body, which contains tokens.
        let raw: RawTokenResponse = serde_json::from_slice(&body)
            .map_err(|_| TokenError::Malformed(format!("{} bytes that are not a token response", body.len())))?;
        Ok(raw.into())
    }
}

/// The grant type of a device code redemption.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Posts a form to an endpoint of the identity platform and returns the body
/// of a success. An error status becomes [`TokenError::Rejected`] with the
/// platform's error body, when it sent one, and its `Retry-After`.
pub(super) async fn post_form(http: &reqwest::Client, endpoint: &Url, form: &[(&str, &str)]) -> Result<Vec<u8>, TokenError> {
    let http::Reply { status, retry_after, body } = http::send(http.post(endpoint.clone()).header(reqwest::header::ACCEPT, "application/json").form(form)).await?;
    if !status.is_success() {
        let body = serde_json::from_slice::<EntraError>(&body).ok();
        return Err(TokenError::Rejected { status: status.as_u16(), body, retry_after });
    }
    Ok(body)
}

impl From<RawTokenResponse> for TokenResponse {
    fn from(raw: RawTokenResponse) -> Self {
        let expires_in = match raw.expires_in {
            Some(NumberOrString::Number(seconds)) => seconds,
            Some(NumberOrString::Text(text)) => text.trim().parse().unwrap_or(3600),
            None => 3600,
        };
        Self {
            access_token: raw.access_token.into(),
            refresh_token: raw.refresh_token.map(Into::into),
            id_token: raw.id_token.map(Into::into),
            expires_in: Duration::from_secs(expires_in),
            scopes: raw.scope.as_deref().map(normalise_scopes).unwrap_or_default(),
        }
    }
}

/// Normalises a `scope` value: Entra sends Graph scopes as full URIs
/// (`https://graph.microsoft.com/User.Read`) and OIDC scopes short.
#[must_use]
pub fn normalise_scopes(scope: &str) -> Vec<String> {
    scope
        .split_whitespace()
        .map(|item| item.strip_prefix("https://graph.microsoft.com/").unwrap_or(item).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_scope_uris_normalised() {
        assert_eq!(
            normalise_scopes("email openid https://graph.microsoft.com/User.Read Mail.Read"),
            ["email", "openid", "User.Read", "Mail.Read"]
        );
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let raw = RawTokenResponse {
            access_token: "canary-access".into(),
            refresh_token: Some("canary-refresh".into()),
            id_token: Some("canary-id".into()),
            expires_in: Some(NumberOrString::Text("3599".into())),
            scope: None,
        };
        let response = TokenResponse::from(raw);
        let printed = format!("{response:?}");
        assert!(!printed.contains("canary"), "{printed}");
        assert_eq!(response.expires_in, Duration::from_secs(3599));
    }
}
