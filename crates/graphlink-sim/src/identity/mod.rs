//! The Microsoft identity platform v2.0 endpoints: discovery, authorize (with its
//! sign-in pages), token, device code and admin consent.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::App;
use crate::errors::StsError;
use crate::ids::is_guid;
use crate::scopes::{RequestedScopes, ScopeError};

mod adminconsent;
mod authorize;
mod claims;
mod device;
mod device_policy;
mod discovery;
mod flow;
mod issue;
mod pages;
mod redirect;
mod signin;
mod token;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/{tenant}/login", post(signin::submit))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(device::device_code),
        )
        .route("/{tenant}/oauth2/v2.0/logout", get(logout))
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(adminconsent::admin_consent),
        )
        .route(
            "/devicelogin",
            get(device::entry_page).post(device::submit_code),
        )
        .route("/error", get(error_lookup))
}

/// Parses an `application/x-www-form-urlencoded` body. The last value of a repeated
/// name wins.
pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Returns the parameter `name` unless it is absent or blank.
pub(crate) fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.trim().is_empty())
}

/// Checks the tenant segment and the client ID of a request, as Entra does before
/// anything else. Returns the tenant ID the URL names (`None` for `organizations` and
/// `common`).
pub(crate) fn check_tenant_and_client(
    app: &App,
    tenant: &str,
    client_id: Option<&str>,
) -> Result<Option<String>, StsError> {
    let resolved = app
        .state
        .with_store(|store| store.resolve_tenant(tenant))
        .map_err(|()| crate::aadsts::tenant_not_found(tenant))?;
    let client_id = client_id.ok_or_else(|| crate::aadsts::missing_parameter("client_id"))?;
    if !is_guid(client_id) {
        let directory = resolved.clone().unwrap_or_else(|| tenant.to_owned());
        return Err(crate::aadsts::unknown_application(client_id, &directory));
    }
    Ok(resolved)
}

/// Checks the tenant, the client ID and the redirect URI of a browser request, in that
/// order, and returns the client ID and the redirect URI. Until all three pass, the
/// redirect URI is not trusted, so callers show the error on a page instead of
/// redirecting it to the app.
pub(crate) fn check_before_redirect<'a>(
    app: &App,
    tenant: &str,
    params: &'a HashMap<String, String>,
) -> Result<(String, &'a str), StsError> {
    check_tenant_and_client(app, tenant, param(params, "client_id"))?;
    let client_id = param(params, "client_id").unwrap_or_default().to_owned();
    let redirect_uri = param(params, "redirect_uri")
        .ok_or_else(|| crate::aadsts::missing_parameter("redirect_uri"))?;
    if !redirect::is_loopback_redirect(redirect_uri) {
        return Err(crate::aadsts::redirect_uri_mismatch(
            redirect_uri,
            &client_id,
        ));
    }
    Ok((client_id, redirect_uri))
}

/// Parses the `scope` parameter and maps a missing or invalid value to its AADSTS error.
pub(crate) fn requested_scopes(
    params: &HashMap<String, String>,
) -> Result<RequestedScopes, StsError> {
    RequestedScopes::parse(param(params, "scope").unwrap_or_default()).map_err(
        |error| match error {
            ScopeError::Missing => crate::aadsts::missing_parameter("scope"),
            ScopeError::DefaultMixed(scope) => crate::aadsts::invalid_scope(&scope),
        },
    )
}

/// `GET /{tenant}/oauth2/v2.0/logout`: there is no browser session to end, so this
/// redirects to a loopback `post_logout_redirect_uri` or shows the signed-out page.
async fn logout(
    Path(_tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match param(&params, "post_logout_redirect_uri") {
        Some(uri) if redirect::is_loopback_redirect(uri) => {
            let state = param(&params, "state").map(|s| ("state".to_owned(), s.to_owned()));
            redirect::to_uri(uri, &state.into_iter().collect::<Vec<_>>())
        }
        _ => pages::signed_out(),
    }
}

async fn error_lookup(
    State(_app): State<App>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let code = params.get("code").map_or("", String::as_str);
    pages::error_lookup(code).into_response()
}
