//! `POST /{tenant}/oauth2/v2.0/token`: authorization code, refresh token and device
//! code grants.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::clock::now_unix;
use crate::errors::{ClientRequestId, StsError, insert_sts_headers};
use crate::identity::issue::{Issue, issue};
use crate::identity::{check_tenant_and_client, device, param, parse_form};
use crate::model::TokenFault;
use crate::scopes::{RequestedScopes, ScopeError};
use crate::store::{CODE_LIFETIME_SECS, PkceMethod, Store};
use crate::{App, aadsts, ids};

pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Result of a token request, and the user it concerned (for the latency fault).
pub(crate) struct Outcome {
    pub username: Option<String>,
    pub result: Result<Value, StsError>,
}

impl Outcome {
    pub(crate) fn failed(username: Option<&str>, error: StsError) -> Self {
        Self {
            username: username.map(str::to_owned),
            result: Err(error),
        }
    }
}

pub(crate) async fn token(
    State(app): State<App>,
    Path(tenant): Path<String>,
    ClientRequestId(client_request_id): ClientRequestId,
    body: Bytes,
) -> Response {
    let params = parse_form(&body);
    let outcome = handle(&app, &tenant, &params);

    if let Some(username) = &outcome.username {
        app.apply_latency(username).await;
    }
    app.state.with_store(|store| {
        store.stats.token_requests += 1;
        if outcome.result.is_err() {
            store.stats.token_errors += 1;
        }
    });

    match outcome.result {
        Ok(body) => {
            let mut response = Json(body).into_response();
            insert_sts_headers(
                response.headers_mut(),
                &ids::guid(),
                client_request_id.as_deref(),
            );
            response
        }
        Err(error) => {
            if let Some(username) = &outcome.username {
                tracing::debug!(username, code = error.code, "token request rejected");
            }
            error.into_json_response(&app.base_url, client_request_id.as_deref())
        }
    }
}

fn handle(app: &App, tenant: &str, params: &HashMap<String, String>) -> Outcome {
    let Some(grant_type) = param(params, "grant_type") else {
        return Outcome::failed(None, aadsts::missing_parameter("grant_type"));
    };
    let tenant_id = match check_tenant_and_client(app, tenant, param(params, "client_id")) {
        Ok(tenant_id) => tenant_id,
        Err(error) => return Outcome::failed(None, error),
    };
    if param(params, "client_secret").is_some() || param(params, "client_assertion").is_some() {
        return Outcome::failed(None, aadsts::public_client_with_secret());
    }

    let request = TokenRequest {
        app,
        params,
        tenant_id,
    };
    match grant_type {
        "authorization_code" => app.state.with_store(|store| request.redeem_code(store)),
        "refresh_token" => app
            .state
            .with_store(|store| request.redeem_refresh_token(store)),
        DEVICE_CODE_GRANT => app
            .state
            .with_store(|store| device::redeem(&request, store)),
        other => Outcome::failed(None, aadsts::unsupported_grant_type(other)),
    }
}

/// A token request whose tenant and client ID were checked.
pub(crate) struct TokenRequest<'a> {
    pub app: &'a App,
    pub params: &'a HashMap<String, String>,
    /// Tenant named by the URL, or `None` for `organizations` and `common`.
    pub tenant_id: Option<String>,
}

impl TokenRequest<'_> {
    pub(crate) fn client_id(&self) -> &str {
        param(self.params, "client_id").unwrap_or_default()
    }

    pub(crate) fn wants_client_info(&self) -> bool {
        param(self.params, "client_info") == Some("1")
    }

    /// Checks what applies to every grant once the user is known: the injected token
    /// fault and the tenant in the URL.
    pub(crate) fn check_user(&self, store: &Store, username: &str) -> Result<(), StsError> {
        let Some(record) = store.user(username) else {
            return Err(aadsts::invalid_grant());
        };
        match record.faults.token_error {
            Some(TokenFault::ServerError { status }) => {
                return Err(aadsts::service_failure(status));
            }
            Some(TokenFault::Throttled { retry_after_secs }) => {
                return Err(aadsts::throttled(retry_after_secs));
            }
            None => {}
        }
        if let Some(tenant_id) = &self.tenant_id
            && *tenant_id != record.user.tenant_id
        {
            return Err(aadsts::invalid_grant());
        }
        Ok(())
    }

    pub(crate) fn issue(
        &self,
        store: &mut Store,
        username: &str,
        scopes: &RequestedScopes,
        nonce: Option<&str>,
        refresh_token: bool,
    ) -> Outcome {
        let request = Issue {
            username,
            client_id: self.client_id(),
            scopes,
            nonce,
            refresh_token,
            client_info: self.wants_client_info(),
        };
        let result = issue(
            store,
            self.app.state.signing_key(),
            &self.app.base_url,
            &request,
        );
        Outcome {
            username: Some(username.to_owned()),
            result,
        }
    }

    /// `grant_type=authorization_code`. A code works once, for ten minutes, with the
    /// same client ID and redirect URI as the authorize request and a matching PKCE
    /// verifier. A failed redemption leaves the code usable.
    fn redeem_code(&self, store: &mut Store) -> Outcome {
        let Some(code) = param(self.params, "code") else {
            return Outcome::failed(None, aadsts::missing_parameter("code"));
        };
        let Some(grant) = store.codes.get(code).cloned() else {
            return Outcome::failed(None, aadsts::invalid_grant());
        };
        let username = grant.username.as_str();
        let fail = |error| Outcome::failed(Some(username), error);

        if let Err(error) = self.check_user(store, username) {
            return fail(error);
        }
        if grant.redeemed {
            return fail(aadsts::code_already_redeemed());
        }
        if now_unix().saturating_sub(grant.issued_unix) > CODE_LIFETIME_SECS {
            return fail(aadsts::code_expired());
        }
        if !grant.client_id.eq_ignore_ascii_case(self.client_id()) {
            return fail(aadsts::invalid_grant());
        }
        match param(self.params, "redirect_uri") {
            None => return fail(aadsts::missing_parameter("redirect_uri")),
            Some(uri) if uri != grant.redirect_uri => {
                return fail(aadsts::reply_address_mismatch(uri, &grant.redirect_uri));
            }
            Some(_) => {}
        }
        let Some(verifier) = param(self.params, "code_verifier") else {
            return fail(aadsts::missing_parameter("code_verifier"));
        };
        if !pkce_matches(grant.method, &grant.code_challenge, verifier) {
            return fail(aadsts::code_verifier_mismatch());
        }

        if let Some(stored) = store.codes.get_mut(code) {
            stored.redeemed = true;
        }
        self.issue(
            store,
            username,
            &grant.scopes,
            grant.nonce.as_deref(),
            false,
        )
    }

    /// `grant_type=refresh_token`. Every success returns a new refresh token and the old
    /// one keeps working, as on Entra, until a revoke or expire cutoff passes it.
    fn redeem_refresh_token(&self, store: &mut Store) -> Outcome {
        store.stats.refresh_requests += 1;
        let Some(refresh_token) = param(self.params, "refresh_token") else {
            return Outcome::failed(None, aadsts::missing_parameter("refresh_token"));
        };
        let Some(grant) = store.refresh_tokens.get(refresh_token).cloned() else {
            return Outcome::failed(None, aadsts::invalid_grant());
        };
        let username = grant.username.as_str();
        let fail = |error| Outcome::failed(Some(username), error);

        if let Err(error) = self.check_user(store, username) {
            return fail(error);
        }
        if !grant.client_id.eq_ignore_ascii_case(self.client_id()) {
            return fail(aadsts::invalid_grant());
        }
        let Some(record) = store.user(username) else {
            return fail(aadsts::invalid_grant());
        };
        if let Some(revoked) = record
            .revoked
            .filter(|cutoff| cutoff.seq > grant.issued_seq)
        {
            return fail(aadsts::grant_revoked(grant.issued_unix, revoked.at_unix));
        }
        if record
            .expired
            .is_some_and(|cutoff| cutoff.seq > grant.issued_seq)
        {
            return fail(aadsts::refresh_token_inactive(grant.issued_unix));
        }

        let scopes = match param(self.params, "scope").map(RequestedScopes::parse) {
            None | Some(Err(ScopeError::Missing)) => grant.scopes.clone(),
            Some(Err(ScopeError::DefaultMixed(scope))) => {
                return fail(aadsts::invalid_scope(&scope));
            }
            Some(Ok(scopes)) => scopes,
        };
        // A request with OIDC scopes only is checked against the scopes of the grant.
        let checked = if scopes.resource_scopes.is_empty() && scopes.default_of.is_none() {
            &grant.scopes
        } else {
            &scopes
        };
        let granted = store.effective_grants(username, self.client_id());
        if !checked.expand(&granted).missing_from(&granted).is_empty() {
            let app_name = App::app_name(self.client_id());
            return fail(aadsts::consent_required(self.client_id(), &app_name));
        }
        if record.faults.mfa_required {
            return fail(aadsts::mfa_required(&ids::guid()));
        }

        self.issue(store, username, &scopes, None, true)
    }
}

/// Checks a PKCE verifier (RFC 7636): S256 compares base64url(SHA-256(verifier)).
fn pkce_matches(method: PkceMethod, challenge: &str, verifier: &str) -> bool {
    match method {
        PkceMethod::S256 => {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
        }
        PkceMethod::Plain => verifier == challenge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

        assert!(pkce_matches(PkceMethod::S256, challenge, verifier));
        assert!(!pkce_matches(PkceMethod::S256, challenge, "wrong"));
        assert!(pkce_matches(PkceMethod::Plain, verifier, verifier));
    }
}
