//! The device code flow: `POST /{tenant}/oauth2/v2.0/devicecode`, the `/devicelogin`
//! page, and redeeming device codes at the token endpoint.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::errors::{ClientRequestId, insert_sts_headers};
use crate::identity::token::{Outcome, TokenRequest};
use crate::identity::{
    check_tenant_and_client, claims, flow, pages, param, parse_form, requested_scopes,
};
use crate::store::{DeviceGrant, DeviceStatus, Flow, FlowKind, Store};
use crate::{App, aadsts, ids};

pub(crate) async fn device_code(
    State(app): State<App>,
    Path(tenant): Path<String>,
    ClientRequestId(client_request_id): ClientRequestId,
    body: Bytes,
) -> Response {
    app.state
        .with_store(|store| store.stats.device_code_requests += 1);
    let params = parse_form(&body);
    let client_request_id = client_request_id.as_deref();

    if let Err(error) = check_tenant_and_client(&app, &tenant, param(&params, "client_id")) {
        return error.into_json_response(&app, client_request_id);
    }
    let claims = param(&params, "claims").map(str::to_owned);
    if claims
        .as_deref()
        .is_some_and(|claims| claims::client_capabilities(claims).is_err())
    {
        return aadsts::malformed_request().into_json_response(&app, client_request_id);
    }
    let scopes = match requested_scopes(&params) {
        Ok(scopes) => scopes,
        Err(error) => return error.into_json_response(&app, client_request_id),
    };

    let device_code = app.state.with_store(|store| store.new_secret(96));
    let user_code = ids::user_code();
    let settings = app.state.settings();
    let grant = DeviceGrant {
        client_id: param(&params, "client_id").unwrap_or_default().to_owned(),
        tenant,
        scopes,
        user_code: user_code.clone(),
        expires_unix: app.state.now_unix() + settings.device_code_lifetime_secs,
        interval_secs: settings.device_code_interval_secs,
        last_poll: None,
        status: DeviceStatus::Pending,
        claims,
    };
    app.state
        .with_store(|store| store.device_codes.insert(device_code.clone(), grant));

    let verification_uri = format!("{}/devicelogin", app.base_url);
    let body = json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": settings.device_code_lifetime_secs,
        "interval": settings.device_code_interval_secs,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
        ),
    });
    let mut response = Json(body).into_response();
    insert_sts_headers(response.headers_mut(), &ids::guid(), client_request_id);
    response
}

/// `GET /devicelogin`.
pub(crate) async fn entry_page() -> Response {
    pages::device_code_entry(None)
}

/// `POST /devicelogin` with the user code in `otc`: starts the sign-in for that code.
pub(crate) async fn submit_code(State(app): State<App>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let typed: String = form
        .get("otc")
        .map(|code| code.chars().filter(char::is_ascii_alphanumeric).collect())
        .unwrap_or_default();

    let found = app.state.with_store(|store| {
        let now = store.now_unix();
        store.device_codes.iter().find_map(|(device_code, grant)| {
            let usable = grant.status == DeviceStatus::Pending && grant.expires_unix > now;
            (usable && grant.user_code.eq_ignore_ascii_case(&typed))
                .then(|| (device_code.clone(), grant.clone()))
        })
    });
    let Some((device_code, grant)) = found else {
        return pages::device_code_entry(Some(
            "That code didn't work. Check the code and try again.",
        ));
    };

    let new_flow = Flow::new(
        FlowKind::Device { device_code },
        grant.client_id,
        grant.tenant,
        grant.scopes,
        app.state.now_unix(),
    );
    flow::start(&app, new_flow)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
///
/// Polling again sooner than `interval` seconds after the previous poll gets
/// `slow_down`. Every poll, even a rejected one, restarts that interval.
pub(crate) fn redeem(request: &TokenRequest<'_>, store: &mut Store) -> Outcome {
    let Some(device_code) = param(request.params, "device_code") else {
        return Outcome::failed(None, aadsts::missing_parameter("device_code"));
    };
    let now = store.now();
    let now_unix = store.now_unix();
    let Some(grant) = store.device_codes.get_mut(device_code) else {
        return Outcome::failed(None, aadsts::bad_verification_code());
    };
    if !grant.client_id.eq_ignore_ascii_case(request.client_id()) {
        return Outcome::failed(None, aadsts::bad_verification_code());
    }
    if now_unix >= grant.expires_unix {
        return Outcome::failed(None, aadsts::device_code_expired());
    }

    // A clock that went backwards counts as too soon.
    let interval = Duration::from_secs(grant.interval_secs);
    let too_soon = grant.last_poll.is_some_and(|last| {
        now.duration_since(last)
            .map_or(true, |elapsed| elapsed < interval)
    });
    grant.last_poll = Some(now);
    if too_soon {
        return Outcome::failed(None, aadsts::slow_down());
    }

    let username = match &grant.status {
        DeviceStatus::Pending => return Outcome::failed(None, aadsts::authorization_pending()),
        DeviceStatus::Declined => return Outcome::failed(None, aadsts::authorization_declined()),
        DeviceStatus::Blocked => {
            return Outcome::failed(None, super::device_policy::blocked_error());
        }
        DeviceStatus::Approved { username } => username.clone(),
    };
    let scopes = grant.scopes.clone();
    let declared = grant
        .claims
        .as_deref()
        .and_then(|claims| claims::client_capabilities(claims).ok())
        .unwrap_or_default();
    if let Err(error) = request.check_user(store, &username) {
        return Outcome::failed(Some(&username), error);
    }

    // A device code yields tokens once, so later polls get bad_verification_code.
    store.device_codes.remove(device_code);
    request.issue(store, &username, &scopes, None, false, &declared)
}
