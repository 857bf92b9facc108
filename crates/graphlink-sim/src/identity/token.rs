//! `POST /{tenant}/oauth2/v2.0/token`: authorization code, refresh token and device
//! code grants.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::entra_errors::{self, ErrorContext};
use crate::errors::{ClientRequestId, StsError, html_error_page, insert_sts_headers};
use crate::identity::issue::{Issue, issue};
use crate::identity::{check_tenant_and_client, claims, device, param, parse_form};
use crate::model::TokenFault;
use crate::scopes::{RequestedScopes, ScopeError};
use crate::server::close_connection;
use crate::store::{CODE_LIFETIME_SECS, DeviceStatus, PkceMethod, Store};
use crate::{App, aadsts, ids};

/// Refresh tokens unused for this long expire with AADSTS700082 (Entra's
/// `MaxInactiveTime`, 90 days).
const REFRESH_TOKEN_MAX_INACTIVE_SECS: u64 = 90 * 24 * 3600;

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

    let transport_fault = app
        .state
        .with_store(|store| transport_fault(store, &params));
    if let Some((username, fault)) = transport_fault {
        app.apply_latency(&username).await;
        match fault {
            TokenFault::Hang { secs } => {
                tracing::debug!(username, secs, "token response delayed");
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            TokenFault::Reset => {
                count_failed_transport(&app, &username, &params);
                return close_connection();
            }
            TokenFault::ServerErrorHtml { status } => {
                count_failed_transport(&app, &username, &params);
                return html_error_page(status);
            }
            TokenFault::ServerError { .. } | TokenFault::Throttled { .. } => {}
        }
    }

    let outcome = handle(&app, &tenant, &params);

    if let Some(username) = &outcome.username {
        app.apply_latency(username).await;
    }
    app.state.with_store(|store| {
        store.count(outcome.username.as_deref(), |stats| {
            stats.token_requests += 1;
            if outcome.result.is_err() {
                stats.token_errors += 1;
            }
        });
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
            error.into_json_response(&app, client_request_id.as_deref())
        }
    }
}

/// Returns the user of a token request and its token fault, when that fault replaces
/// the HTTP exchange itself (`server_error_html`, `reset`, `hang`). The user is known
/// from the code, the refresh token or an approved device code.
fn transport_fault(
    store: &Store,
    params: &HashMap<String, String>,
) -> Option<(String, TokenFault)> {
    let username = match param(params, "grant_type")? {
        "authorization_code" => store.codes.get(param(params, "code")?)?.username.clone(),
        "refresh_token" => store
            .refresh_tokens
            .get(param(params, "refresh_token")?)?
            .username
            .clone(),
        DEVICE_CODE_GRANT => {
            match &store
                .device_codes
                .get(param(params, "device_code")?)?
                .status
            {
                DeviceStatus::Approved { username } => username.clone(),
                _ => return None,
            }
        }
        _ => return None,
    };
    let fault = store.user(&username)?.faults.token_error?;
    match fault {
        TokenFault::ServerErrorHtml { .. } | TokenFault::Reset | TokenFault::Hang { .. } => {
            Some((username, fault))
        }
        TokenFault::ServerError { .. } | TokenFault::Throttled { .. } => None,
    }
}

/// Counts a token request that a `reset` or `server_error_html` fault failed.
fn count_failed_transport(app: &App, username: &str, params: &HashMap<String, String>) {
    let refresh = param(params, "grant_type") == Some("refresh_token");
    app.state.with_store(|store| {
        store.count(Some(username), |stats| {
            stats.token_requests += 1;
            stats.token_errors += 1;
            if refresh {
                stats.refresh_requests += 1;
            }
        });
    });
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

    // NOTE: Entra's error for a `claims` value that is not a JSON object is not
    // documented, so 9002313 (malformed request) is a guess.
    let client_capabilities = match param(params, "claims").map(claims::client_capabilities) {
        None => Vec::new(),
        Some(Ok(capabilities)) => capabilities,
        Some(Err(())) => return Outcome::failed(None, aadsts::malformed_request()),
    };

    let request = TokenRequest {
        app,
        params,
        tenant_id,
        client_capabilities,
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
    /// The `xms_cc` values of the request's `claims` parameter.
    pub client_capabilities: Vec<String>,
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
            // Handled before the grant, in `token`.
            Some(
                TokenFault::ServerErrorHtml { .. } | TokenFault::Reset | TokenFault::Hang { .. },
            )
            | None => {}
        }
        if let Some(tenant_id) = &self.tenant_id
            && *tenant_id != record.user.tenant_id
        {
            return Err(aadsts::invalid_grant());
        }
        Ok(())
    }

    /// Issues tokens. `extra_capabilities` adds client capabilities declared earlier
    /// in the flow, such as in the device code request.
    pub(crate) fn issue(
        &self,
        store: &mut Store,
        username: &str,
        scopes: &RequestedScopes,
        nonce: Option<&str>,
        refresh_token: bool,
        extra_capabilities: &[String],
    ) -> Outcome {
        let mut client_capabilities = self.client_capabilities.clone();
        for capability in extra_capabilities {
            if !client_capabilities.contains(capability) {
                client_capabilities.push(capability.clone());
            }
        }
        let request = Issue {
            username,
            client_id: self.client_id(),
            scopes,
            nonce,
            refresh_token,
            client_info: self.wants_client_info(),
            client_capabilities: &client_capabilities,
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
        if store.now_unix().saturating_sub(grant.issued_unix) > CODE_LIFETIME_SECS {
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
        store.last_code_verifier = Some(verifier.to_owned());
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
            &[],
        )
    }

    /// `grant_type=refresh_token`. Every success returns a new refresh token and the old
    /// one keeps working, as on Entra, until a revoke or expire cutoff passes it or it
    /// stays unused for 90 days.
    fn redeem_refresh_token(&self, store: &mut Store) -> Outcome {
        let grant = param(self.params, "refresh_token")
            .and_then(|token| store.refresh_tokens.get(token).cloned());
        let owner = grant.as_ref().map(|grant| grant.username.clone());
        store.count(owner.as_deref(), |stats| stats.refresh_requests += 1);
        let Some(refresh_token) = param(self.params, "refresh_token") else {
            return Outcome::failed(None, aadsts::missing_parameter("refresh_token"));
        };
        let Some(grant) = grant else {
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
        let now = store.now_unix();
        let Some(record) = store.user(username) else {
            return fail(aadsts::invalid_grant());
        };
        if let Some(code) = record.faults.refresh_error {
            let app_name = App::app_name(self.client_id());
            let context = ErrorContext {
                client_id: self.client_id(),
                app_name: &app_name,
                tenant_id: &record.user.tenant_id,
                scope: param(self.params, "scope").unwrap_or_default(),
                issued_unix: grant.issued_unix,
                now_unix: now,
            };
            return fail(entra_errors::error_for(code, &context, &ids::guid()));
        }
        if let Some(revoked) = record
            .revoked
            .filter(|cutoff| cutoff.seq > grant.issued_seq)
        {
            return fail(aadsts::grant_revoked(grant.issued_unix, revoked.at_unix));
        }
        let inactive = now.saturating_sub(grant.last_used_unix) >= REFRESH_TOKEN_MAX_INACTIVE_SECS;
        if inactive
            || record
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

        let outcome = self.issue(store, username, &scopes, None, true, &[]);
        if outcome.result.is_ok()
            && let Some(redeemed) = store.refresh_tokens.get_mut(refresh_token)
        {
            redeemed.last_used_unix = now;
        }
        outcome
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
