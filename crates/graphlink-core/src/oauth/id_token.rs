//! ID token claims.
//!
//! Graphlink receives ID tokens only from the token endpoint, over TLS, in
//! response to its own request, so it checks issuer, audience and expiry but not
//! the signature (OpenID Connect Core 1.0, section 3.1.3.7, item 6).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// Clock skew tolerated when checking `exp`.
const LEEWAY_SECS: i64 = 300;

/// The claims Graphlink uses to key and label an account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub aud: Audience,
    pub sub: String,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `aud` is a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Client IDs are GUIDs, so letter case does not make another
    /// application, and the token may write the ID in another case than the
    /// configuration does.
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Self::One(aud) => aud.eq_ignore_ascii_case(client_id),
            Self::Many(auds) => auds.iter().any(|aud| aud.eq_ignore_ascii_case(client_id)),
        }
    }
}

/// An ID token that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is not a JWT")]
    Malformed,
    #[error("the ID token was issued by {found:?}, expected {expected:?}")]
    Issuer { found: String, expected: String },
    #[error("the ID token is for another application")]
    Audience,
    #[error("the ID token has expired; check the computer's clock")]
    Expired,
}

impl IdClaims {
    /// Decodes the payload of a compact JWT and checks issuer, audience and
    /// expiry. `issuer` may contain Entra's `{tenantid}` placeholder.
    ///
    /// # Errors
    ///
    /// Returns an [`IdTokenError`] naming the check that failed.
    pub fn decode(jwt: &str, issuer: &str, client_id: &str, now_unix: i64) -> Result<Self, IdTokenError> {
        let payload = jwt.split('.').nth(1).ok_or(IdTokenError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| IdTokenError::Malformed)?;
        let claims: Self = serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed)?;

        let expected = match &claims.tid {
            Some(tid) => issuer.replace("{tenantid}", tid),
            None => issuer.to_owned(),
        };
        if claims.iss.trim_end_matches('/') != expected.trim_end_matches('/') {
            return Err(IdTokenError::Issuer { found: claims.iss, expected });
        }
        if !claims.aud.contains(client_id) {
            return Err(IdTokenError::Audience);
        }
        if claims.exp.is_some_and(|exp| exp.saturating_add(LEEWAY_SECS) < now_unix) {
            return Err(IdTokenError::Expired);
        }
        Ok(claims)
    }

    /// Returns the account key: `{oid}.{tid}` as MSAL keys accounts, or
    /// `{sub}.{iss}` for servers that send no `oid`/`tid`.
    #[must_use]
    pub fn account_key(&self) -> String {
        match (&self.oid, &self.tid) {
            (Some(oid), Some(tid)) => format!("{oid}.{tid}"),
            _ => format!("{}.{}", self.sub, self.iss),
        }
    }

    /// Returns the best name to show: `preferred_username`, else `email`, else `sub`.
    #[must_use]
    pub fn username(&self) -> String {
        self.preferred_username.clone().or_else(|| self.email.clone()).unwrap_or_else(|| self.sub.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &serde_json::Value) -> String {
        format!("eyJhbGciOiJub25lIn0.{}.sig", URL_SAFE_NO_PAD.encode(payload.to_string()))
    }

    #[test]
    fn entra_placeholder_issuer_accepted() {
        let token = jwt(&serde_json::json!({"iss":"https://login.example/t1/v2.0","aud":"app","sub":"s","tid":"t1","oid":"o1","exp":2000}));
        let claims = IdClaims::decode(&token, "https://login.example/{tenantid}/v2.0", "app", 1000).expect("valid");
        assert_eq!(claims.account_key(), "o1.t1");
    }

    #[test]
    fn other_audience_rejected() {
        let token = jwt(&serde_json::json!({"iss":"https://i","aud":["other"],"sub":"s"}));
        assert_eq!(IdClaims::decode(&token, "https://i", "app", 0), Err(IdTokenError::Audience));
    }

    #[test]
    fn other_issuer_rejected() {
        let token = jwt(&serde_json::json!({"iss":"https://evil","aud":"app","sub":"s"}));
        assert!(matches!(IdClaims::decode(&token, "https://i", "app", 0), Err(IdTokenError::Issuer { .. })));
    }

    #[test]
    fn expired_token_rejected() {
        let token = jwt(&serde_json::json!({"iss":"https://i","aud":"app","sub":"s","exp":1000}));
        assert_eq!(IdClaims::decode(&token, "https://i", "app", 1000 + LEEWAY_SECS + 1), Err(IdTokenError::Expired));
    }

    #[test]
    fn key_falls_back_to_sub_and_issuer() {
        let token = jwt(&serde_json::json!({"iss":"https://i","aud":"app","sub":"s1"}));
        let claims = IdClaims::decode(&token, "https://i", "app", 0).expect("valid");
        assert_eq!(claims.account_key(), "s1.https://i");
        assert_eq!(claims.username(), "s1");
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(IdClaims::decode("not-a-jwt", "https://i", "app", 0), Err(IdTokenError::Malformed));
    }
}
