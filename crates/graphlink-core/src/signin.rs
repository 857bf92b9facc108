//! Interactive sign-in: the authorization code flow with PKCE (S256) through
//! the system browser and a loopback redirect.

use std::time::Duration;

use oauth2::{CsrfToken, PkceCodeChallenge};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::browser::{self, BrowserCommand, BrowserError, Opened};
use crate::discovery::Endpoints;
use crate::loopback::{Callback, LoopbackError, LoopbackListener};
use crate::oauth::{IdClaims, IdTokenError, TokenClient, TokenError, TokenResponse};

/// Default time to wait for the browser to come back. Many failures stay on
/// a Microsoft error page and never redirect, so the wait must end.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Parameters of one authorization request.
#[derive(Debug, Clone)]
pub struct SignInRequest {
    pub client_id: String,
    pub scopes: String,
    pub login_hint: Option<String>,
    pub domain_hint: Option<String>,
    pub prompt: Option<&'static str>,
    pub timeout: Duration,
    pub browser: Option<BrowserCommand>,
    /// Claims of a challenge the previous token could not satisfy.
    pub claims: Option<String>,
}

/// A completed sign-in: tokens and the checked ID token claims.
#[derive(Debug)]
pub struct SignedIn {
    pub tokens: TokenResponse,
    pub refresh_token: SecretString,
    pub claims: IdClaims,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Loopback(#[from] LoopbackError),
    /// The authorization server redirected back with an error.
    #[error("the sign-in was not completed: {error}{}", description.as_deref().map(|text| format!(" ({text})")).unwrap_or_default())]
    Denied { error: String, subcode: Option<String>, description: Option<String> },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    #[error("the server issued no refresh token; the scopes must include offline_access")]
    NoRefreshToken,
    #[error("the server issued no ID token; the scopes must include openid")]
    NoIdToken,
}

/// Builds the authorization URL for one attempt.
#[must_use]
pub fn authorize_url(endpoints: &Endpoints, request: &SignInRequest, redirect_uri: &str, state: &str, challenge: &str) -> Url {
    let mut url = endpoints.authorization_endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", &request.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &request.scopes)
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = &request.login_hint {
            query.append_pair("login_hint", hint);
        }
        if let Some(hint) = &request.domain_hint {
            query.append_pair("domain_hint", hint);
        }
        if let Some(prompt) = request.prompt {
            query.append_pair("prompt", prompt);
        }
        if let Some(claims) = &request.claims {
            query.append_pair("claims", &crate::oauth::challenge::merge_claims(Some(claims)));
        }
    }
    url
}

/// Runs one interactive sign-in. `on_open` learns the URL and whether a
/// browser could be started, so a shell can show the address as a fallback.
///
/// # Errors
///
/// Returns a [`SignInError`] for a timeout, a denied sign-in, a failed code
/// redemption or an unusable ID token.
pub async fn sign_in(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    request: &SignInRequest,
    now_unix: impl Fn() -> i64,
    on_open: impl FnOnce(&Url, Result<Opened, BrowserError>),
) -> Result<SignedIn, SignInError> {
    let listener = LoopbackListener::bind().await?;
    let redirect_uri = listener.redirect_uri();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let url = authorize_url(endpoints, request, &redirect_uri, state.secret(), challenge.as_str());

    tracing::info!(port = listener.port(), "waiting for the browser sign-in");
    on_open(&url, browser::open(url.as_str(), request.browser.as_ref()));
    let code = match listener.wait(state.secret(), request.timeout).await? {
        Callback::Code(code) => code,
        Callback::Error { error, subcode, description } => {
            return Err(SignInError::Denied { error, subcode, description });
        }
    };

    let verifier: SecretString = verifier.secret().clone().into();
    let client = TokenClient::new(http.clone(), endpoints.token_endpoint.clone(), request.client_id.clone());
    let tokens = client.exchange_code(&code, &verifier, &redirect_uri, &request.scopes).await?;
    let id_token = tokens.id_token.as_ref().ok_or(SignInError::NoIdToken)?;
    let claims = IdClaims::decode(id_token.expose_secret(), &endpoints.issuer, &request.client_id, now_unix())?;
    let refresh_token = tokens.refresh_token.clone().ok_or(SignInError::NoRefreshToken)?;
    Ok(SignedIn { tokens, refresh_token, claims })
}
