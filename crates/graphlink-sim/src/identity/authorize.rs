//! `GET /{tenant}/oauth2/v2.0/authorize`.
//!
//! Errors found before the redirect URI is trusted (unknown tenant, missing or invalid
//! client ID, redirect URI not registered) end on an error page, so the app's loopback
//! listener is never called. Later errors are redirected to the app.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use crate::errors::StsError;
use crate::identity::{check_before_redirect, flow, pages, param, redirect, requested_scopes};
use crate::store::{AuthorizeRequest, Flow, FlowKind, PkceMethod, ResponseMode};
use crate::{App, aadsts};

pub(crate) async fn authorize(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    app.state
        .with_store(|store| store.stats.authorize_requests += 1);

    let (client_id, redirect_uri) = match check_before_redirect(&app, &tenant, &params) {
        Ok(checked) => checked,
        Err(error) => return pages::error(error.code, &error.message),
    };

    let state = param(&params, "state").map(str::to_owned);
    let mode = match param(&params, "response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => {
            let error = aadsts::malformed_request();
            return redirect::deliver_error(
                &app,
                redirect_uri,
                ResponseMode::Query,
                &error,
                &[],
                state.as_deref(),
            );
        }
    };
    let reject = |error: StsError| {
        redirect::deliver_error(&app, redirect_uri, mode, &error, &[], state.as_deref())
    };

    let request = match validate(&params, redirect_uri, state.clone(), mode) {
        Ok(request) => request,
        Err(error) => return reject(error),
    };
    let scopes = match requested_scopes(&params) {
        Ok(scopes) => scopes,
        Err(error) => return reject(error),
    };
    let prompt = param(&params, "prompt").map(str::to_owned);
    if prompt.as_deref() == Some("none") {
        return reject(aadsts::login_required());
    }

    let login_hint = param(&params, "login_hint").map(str::to_owned);
    let new_flow = Flow {
        login_hint: login_hint.clone(),
        prompt,
        domain_hint: param(&params, "domain_hint").map(str::to_owned),
        claims: param(&params, "claims").map(str::to_owned),
        ..Flow::new(
            FlowKind::Authorize(request),
            client_id,
            tenant,
            scopes,
            app.state.now_unix(),
        )
    };
    let response = flow::start(&app, new_flow);

    if let Some(hint) = login_hint {
        app.apply_latency(&hint).await;
    }
    response
}

/// Checks `response_type` and PKCE. This simulator requires PKCE, as Entra does for
/// single-page apps, because desktop apps should always send it.
fn validate(
    params: &HashMap<String, String>,
    redirect_uri: &str,
    state: Option<String>,
    response_mode: ResponseMode,
) -> Result<AuthorizeRequest, StsError> {
    match param(params, "response_type") {
        None => return Err(aadsts::missing_parameter("response_type")),
        Some("code") => {}
        Some(other) => return Err(aadsts::unsupported_response_type(other)),
    }

    let code_challenge = param(params, "code_challenge")
        .ok_or_else(|| aadsts::missing_parameter("code_challenge"))?
        .to_owned();
    let method = match param(params, "code_challenge_method") {
        None | Some("plain") => PkceMethod::Plain,
        Some("S256") => PkceMethod::S256,
        Some(_) => return Err(aadsts::malformed_request()),
    };
    // RFC 7636: a verifier has 43 to 128 characters, and an S256 challenge is the
    // 43-character base64url SHA-256 of the verifier.
    let valid_length = match method {
        PkceMethod::S256 => code_challenge.len() == 43,
        PkceMethod::Plain => (43..=128).contains(&code_challenge.len()),
    };
    if !valid_length {
        return Err(aadsts::invalid_code_challenge());
    }

    Ok(AuthorizeRequest {
        redirect_uri: redirect_uri.to_owned(),
        state,
        code_challenge,
        method,
        response_mode,
        nonce: param(params, "nonce").map(str::to_owned),
    })
}
