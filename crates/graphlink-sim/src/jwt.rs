//! The ID token signing key and its JWKS.
//!
//! Each [`crate::SimState`] generates its own Ed25519 key (`EdDSA`), which is quick to
//! make, unlike the RSA keys Entra uses. The public half is published at the `jwks_uri`
//! of the discovery document.

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng as _;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::ids::b64url;

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Private signing key with its key ID and public JWK.
pub(crate) struct SigningKey {
    encoding: EncodingKey,
    kid: String,
    public_jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Claims of a v2.0 ID token.
#[derive(Debug, Serialize)]
pub(crate) struct IdTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: &'static str,
}

/// Errors from key generation or signing.
pub(crate) type JwtError = jsonwebtoken::errors::Error;

impl SigningKey {
    /// Generates a fresh Ed25519 key.
    pub(crate) fn generate() -> Result<Self, JwtError> {
        ensure_crypto_provider();

        let seed: [u8; 32] = rand::rng().random();
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        let encoding = EncodingKey::from_ed_der(&der);

        let jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA)?;
        let mut public_jwk = serde_json::to_value(&jwk)?;
        let x = public_jwk
            .get("x")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let kid = b64url(&Sha256::digest(x.as_bytes())[..16]);
        if let Value::Object(fields) = &mut public_jwk {
            fields.insert("kid".to_owned(), json!(kid));
            fields.insert("use".to_owned(), json!("sig"));
        }

        Ok(Self {
            encoding,
            kid,
            public_jwk,
        })
    }

    /// Builds the JWKS document, with Entra's extra `issuer` field on each key.
    pub(crate) fn jwks(&self, issuer: &str) -> Value {
        let mut key = self.public_jwk.clone();
        if let Value::Object(fields) = &mut key {
            fields.insert("issuer".to_owned(), json!(issuer));
        }
        json!({ "keys": [key] })
    }

    pub(crate) fn sign(&self, claims: &IdTokenClaims) -> Result<String, JwtError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }
}

/// Selects the RustCrypto provider when the crate features leave the choice open, which
/// happens when another crate in the same build enables jsonwebtoken's `aws_lc_rs`.
fn ensure_crypto_provider() {
    if CryptoProvider::try_get_default().is_none() {
        // Losing a race with another installer is fine: some provider is then set.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn signed_token_verifies_with_published_jwk() {
        let key = SigningKey::generate().expect("key generation");
        let claims = IdTokenClaims {
            aud: "client".to_owned(),
            iss: "http://127.0.0.1/tenant/v2.0".to_owned(),
            iat: 1,
            nbf: 1,
            exp: u64::MAX / 2,
            name: None,
            nonce: None,
            oid: None,
            preferred_username: None,
            email: None,
            sub: "subject".to_owned(),
            tid: "tenant".to_owned(),
            uti: "uti".to_owned(),
            ver: "2.0",
        };
        let token = key.sign(&claims).expect("signing");

        let jwks = key.jwks("issuer");
        let x = jwks["keys"][0]["x"].as_str().expect("x in JWK");
        let decoding = DecodingKey::from_ed_components(x).expect("decoding key");
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["client"]);
        let decoded =
            jsonwebtoken::decode::<Value>(&token, &decoding, &validation).expect("token verifies");

        assert_eq!(decoded.claims["sub"], "subject");
        assert_eq!(decoded.header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
    }
}
