//! `POST /{tenant}/login`: the buttons of every sign-in page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::identity::{flow, pages, parse_form, redirect};
use crate::store::{Flow, FlowKind, Step};
use crate::{App, aadsts};

const UNKNOWN_ACCOUNT: &str = "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.";
const WRONG_PASSWORD: &str =
    "Your account or password is incorrect. If you don't remember your password, reset it now.";

pub(crate) async fn submit(
    State(app): State<App>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let flow_id = form.get("flow").cloned().unwrap_or_default();
    let action = form.get("action").map_or("", String::as_str);

    let Some(flow) = app
        .state
        .with_store(|store| store.flows.get(&flow_id).cloned())
    else {
        return pages::session_lost();
    };

    let response = match (flow.step, action) {
        (Step::SignIn, _) => {
            let username = form.get("loginfmt").map_or("", |u| u.trim());
            let password = form.get("passwd").map_or("", String::as_str);
            sign_in(&app, &flow_id, &flow, username, password)
        }
        (Step::Mfa, "approve") => {
            if let Some(username) = &flow.username {
                let mut faults = app.state.faults(username);
                faults.mfa_required = false;
                app.state.set_faults(username, faults);
            }
            flow::advance(&app, &flow_id)
        }
        (Step::AdminApproval, "return") => flow::decline(&app, &flow_id, &flow, true),
        (Step::Consent | Step::AdminConsent, "accept") => {
            if flow.step == Step::Consent {
                flow::accept_consent(&app, &flow);
            }
            flow::advance(&app, &flow_id)
        }
        (Step::Consent | Step::AdminConsent, "cancel" | "decline") => {
            flow::decline(&app, &flow_id, &flow, false)
        }
        // Any other button: show the current page again.
        (step, _) => flow::render(&app, &flow_id, &flow, step),
    };

    let username = app
        .state
        .with_store(|store| store.flows.get(&flow_id).and_then(|f| f.username.clone()))
        .or(flow.username);
    if let Some(username) = username {
        app.apply_latency(&username).await;
    }
    response
}

/// Checks the credentials. A failure shows the sign-in page again with Entra's message
/// and never redirects, as Entra does.
fn sign_in(app: &App, flow_id: &str, flow: &Flow, username: &str, password: &str) -> Response {
    let app_name = App::app_name(&flow.client_id);
    let Some(user) = app.state.user(username) else {
        return pages::sign_in(
            &flow.tenant,
            flow_id,
            &app_name,
            username,
            Some(UNKNOWN_ACCOUNT),
        );
    };
    if user.password != password {
        return pages::sign_in(
            &flow.tenant,
            flow_id,
            &app_name,
            username,
            Some(WRONG_PASSWORD),
        );
    }

    let url_tenant = app
        .state
        .with_store(|store| store.resolve_tenant(&flow.tenant))
        .ok()
        .flatten();
    if let Some(tenant_id) = url_tenant.filter(|tenant_id| *tenant_id != user.tenant_id) {
        return wrong_tenant(app, flow_id, flow, &user.username, &tenant_id);
    }

    app.state.with_store(|store| {
        if let Some(stored) = store.flows.get_mut(flow_id) {
            stored.username = Some(user.username.to_ascii_lowercase());
        }
    });
    flow::advance(app, flow_id)
}

/// Ends the flow with AADSTS50020 because the user's home tenant is not the tenant in
/// the URL.
fn wrong_tenant(
    app: &App,
    flow_id: &str,
    flow: &Flow,
    username: &str,
    tenant_id: &str,
) -> Response {
    app.state.with_store(|store| store.flows.remove(flow_id));
    let error = aadsts::user_not_in_tenant(username, tenant_id, &flow.client_id);
    match &flow.kind {
        FlowKind::Authorize(request) => redirect::deliver_error(
            app,
            &request.redirect_uri,
            request.response_mode,
            &error,
            &[],
            request.state.as_deref(),
        ),
        FlowKind::Device { .. } | FlowKind::AdminConsent { .. } => {
            pages::error(error.code, &error.message)
        }
    }
}
