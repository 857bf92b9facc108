//! OpenID Connect discovery: `/{tenant}/v2.0/.well-known/openid-configuration` and the
//! JWKS at `/{tenant}/discovery/v2.0/keys`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::errors::ClientRequestId;
use crate::{App, aadsts};

/// Returns the issuer Entra publishes: `{base}/{tid}/v2.0` for one tenant, and the literal
/// placeholder `{base}/{tenantid}/v2.0` for `organizations` and `common`.
fn issuer(app: &App, tenant_id: Option<&str>) -> String {
    format!(
        "{}/{}/v2.0",
        app.base_url,
        tenant_id.unwrap_or("{tenantid}")
    )
}

pub(crate) async fn openid_configuration(
    State(app): State<App>,
    Path(tenant): Path<String>,
    ClientRequestId(client_request_id): ClientRequestId,
) -> Response {
    let tenant_id = match app.state.with_store(|store| store.resolve_tenant(&tenant)) {
        Ok(tenant_id) => tenant_id,
        Err(()) => {
            return aadsts::tenant_not_found_in_discovery(&tenant)
                .into_json_response(&app, client_request_id.as_deref());
        }
    };

    let base = &app.base_url;
    let host = base.trim_start_matches("http://");
    let document = json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer(&app, tenant_id.as_deref()),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "preferred_username",
            "name", "tid", "ver", "email", "oid", "uti"
        ],
        "code_challenge_methods_supported": ["S256", "plain"],
        "grant_types_supported": [
            "authorization_code", "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code"
        ],
        "tenant_region_scope": if tenant_id.is_some() { json!("NA") } else { json!(null) },
        "cloud_instance_name": "graphlink-sim",
        "msgraph_host": host,
    });
    Json(document).into_response()
}

pub(crate) async fn keys(
    State(app): State<App>,
    Path(tenant): Path<String>,
    ClientRequestId(client_request_id): ClientRequestId,
) -> Response {
    match app.state.with_store(|store| store.resolve_tenant(&tenant)) {
        Ok(tenant_id) => {
            let jwks = app
                .state
                .signing_key()
                .jwks(&issuer(&app, tenant_id.as_deref()));
            Json(jwks).into_response()
        }
        Err(()) => aadsts::tenant_not_found_in_discovery(&tenant)
            .into_json_response(&app, client_request_id.as_deref()),
    }
}
