//! OpenID Connect discovery: endpoints come from
//! `{authority}/.well-known/openid-configuration`, so the same code talks to
//! Entra ID, the simulator and any standards-compliant server.

use serde::Deserialize;
use url::Url;

use crate::http::{self, TransportError};

/// The endpoints Graphlink uses, from the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoints {
    /// May contain Entra's `{tenantid}` placeholder for multi-tenant authorities.
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    #[serde(default)]
    pub device_authorization_endpoint: Option<Url>,
}

/// A discovery failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the discovery document at {url} returned HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the discovery document at {url} is not valid OpenID Connect metadata: {detail}")]
    Invalid { url: String, detail: String },
}

/// Returns the discovery document's address for an authority.
#[must_use]
pub fn document_url(authority: &Url) -> String {
    format!("{}/.well-known/openid-configuration", authority.as_str().trim_end_matches('/'))
}

/// Fetches and checks the discovery document.
///
/// # Errors
///
/// Returns a [`DiscoveryError`] for transport failures, error statuses and
/// documents missing the required endpoints.
pub async fn discover(client: &reqwest::Client, authority: &Url) -> Result<Endpoints, DiscoveryError> {
    let url = document_url(authority);
    let http::Reply { status, body, .. } = http::send(client.get(&url)).await?;
    if !status.is_success() {
        return Err(DiscoveryError::Status { url, status: status.as_u16() });
    }
    let endpoints: Endpoints = serde_json::from_slice(&body)
        .map_err(|error| DiscoveryError::Invalid { url: url.clone(), detail: error.to_string() })?;
    for endpoint in [&endpoints.authorization_endpoint, &endpoints.token_endpoint] {
        if endpoint.scheme() != authority.scheme() && endpoint.scheme() != "https" {
            return Err(DiscoveryError::Invalid { url, detail: format!("endpoint {endpoint} does not use https") });
        }
    }
    Ok(endpoints)
}
