//! Errors of the token endpoint, in the shape the Microsoft identity platform
//! sends them.

use std::time::Duration;

use serde::Deserialize;

use crate::http::TransportError;

/// An OAuth error body with the identity platform's extra fields. Every field
/// but `error` is optional because other OpenID Connect servers omit them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EntraError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u32>,
    #[serde(default)]
    pub suberror: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub error_uri: Option<String>,
    /// A claims challenge, itself a JSON document sent as a string.
    #[serde(default)]
    pub claims: Option<String>,
}

impl EntraError {
    /// Returns the AADSTS number from `error_codes`, else from the description.
    #[must_use]
    pub fn aadsts(&self) -> Option<u32> {
        if let Some(code) = self.error_codes.first() {
            return Some(*code);
        }
        let description = self.error_description.as_deref()?;
        let rest = description.strip_prefix("AADSTS")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }
}

/// A failed token request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server returned an error status.
    #[error("token endpoint returned HTTP {status}: {}", body.as_ref().map_or("(no OAuth error body)", |body| body.error.as_str()))]
    Rejected {
        status: u16,
        /// `None` when the body was not an OAuth error, e.g. an HTML error page.
        body: Option<EntraError>,
        retry_after: Option<Duration>,
    },
    /// A success status with a body that is not a token response.
    #[error("token endpoint returned an unreadable success response: {0}")]
    Malformed(String),
}
