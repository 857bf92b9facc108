//! Issuing access, refresh and ID tokens.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::aadsts;
use crate::errors::StsError;
use crate::ids::{self, b64url};
use crate::jwt::{IdTokenClaims, SigningKey};
use crate::scopes::RequestedScopes;
use crate::store::{AccessGrant, RefreshGrant, Store};

/// Input of [`issue`] from a successful grant.
pub(crate) struct Issue<'a> {
    pub username: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a RequestedScopes,
    pub nonce: Option<&'a str>,
    /// Set for refresh grants, which always get a new refresh token. Code and device
    /// grants get one only with `offline_access`.
    pub refresh_token: bool,
    /// The request had `client_info=1`.
    pub client_info: bool,
    /// The `xms_cc` values of the request's `claims`. `cp1` makes the access token
    /// CAE-capable.
    pub client_capabilities: &'a [String],
}

/// Issues tokens and returns the token response body.
///
/// The access token is for the resource of the first requested resource scope and
/// carries every scope of that resource the user has granted to the app, as Entra's
/// do, so `scope` can list more than was requested.
pub(crate) fn issue(
    store: &mut Store,
    key: &SigningKey,
    base_url: &str,
    request: &Issue<'_>,
) -> Result<Value, StsError> {
    let user = store
        .user(request.username)
        .map(|r| r.user.clone())
        .ok_or_else(aadsts::invalid_grant)?;
    let resource = request.scopes.token_resource();
    let token_scopes = store
        .effective_grants(request.username, request.client_id)
        .of_resource(&resource);
    let now = store.now_unix();
    let seq = store.next_seq();
    let lifetime = store.settings.access_token_lifetime_secs;

    let access_token = store.new_secret(64);
    store.access_tokens.insert(
        access_token.clone(),
        AccessGrant {
            username: request.username.to_ascii_lowercase(),
            audience: resource,
            scopes: token_scopes.clone(),
            issued_seq: seq,
            expires_unix: now + lifetime,
            client_capabilities: request.client_capabilities.to_vec(),
        },
    );

    // Observed Entra order: OIDC scopes first, then resource scopes as full URIs.
    let scope: Vec<&str> = ["email", "openid", "profile"]
        .into_iter()
        .filter(|oidc| request.scopes.has(oidc))
        .chain(token_scopes.iter())
        .collect();

    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("scope".into(), json!(scope.join(" ")));
    body.insert("expires_in".into(), json!(lifetime));
    body.insert("ext_expires_in".into(), json!(lifetime));
    body.insert("access_token".into(), json!(access_token));

    if request.refresh_token || request.scopes.has("offline_access") {
        let refresh_token = store.new_secret(96);
        store.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                username: request.username.to_ascii_lowercase(),
                client_id: request.client_id.to_owned(),
                scopes: request.scopes.clone(),
                issued_seq: seq,
                issued_unix: now,
                last_used_unix: now,
            },
        );
        if let Some(record) = store.user_mut(request.username) {
            record.latest_refresh_token = Some(refresh_token.clone());
        }
        body.insert("refresh_token".into(), json!(refresh_token));
    }

    if request.scopes.has("openid") {
        let profile = request.scopes.has("profile");
        let claims = IdTokenClaims {
            // The registered GUID, in lower case whatever case the request used,
            // so clients that compare the audience as text fail here too.
            aud: request.client_id.to_ascii_lowercase(),
            iss: format!("{base_url}/{}/v2.0", user.tenant_id),
            iat: now,
            nbf: now,
            exp: now + 3600,
            name: profile.then(|| user.display_name.clone()),
            nonce: request.nonce.map(str::to_owned),
            oid: profile.then(|| user.oid.clone()),
            preferred_username: profile.then(|| user.username.clone()),
            email: request.scopes.has("email").then(|| user.username.clone()),
            sub: pairwise_subject(&user.oid, request.client_id),
            tid: user.tenant_id.clone(),
            uti: ids::random_token(16),
            ver: "2.0",
        };
        let id_token = key.sign(&claims).map_err(|error| {
            tracing::error!(%error, "signing the ID token failed");
            aadsts::service_failure(500)
        })?;
        store.last_id_token = Some(id_token.clone());
        body.insert("id_token".into(), json!(id_token));
    }

    if request.client_info {
        let info = json!({ "uid": user.oid, "utid": user.tenant_id }).to_string();
        body.insert("client_info".into(), json!(b64url(info.as_bytes())));
    }

    store.count(Some(request.username), |stats| stats.tokens_issued += 1);
    Ok(Value::Object(body))
}

/// `sub` is pairwise: stable for one user and app, different across apps.
fn pairwise_subject(oid: &str, client_id: &str) -> String {
    let digest = Sha256::digest(format!("{oid}:{}", client_id.to_ascii_lowercase()).as_bytes());
    b64url(&digest)
}
