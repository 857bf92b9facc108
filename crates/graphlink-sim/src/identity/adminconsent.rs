//! `GET /{tenant}/v2.0/adminconsent`: an admin grants scopes for the whole tenant.
//!
//! The simulator has no admin role: any user who signs in here may consent for their
//! tenant. Accepting lifts the `consent_disabled` fault of every user in that tenant.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use crate::identity::{check_tenant_and_client, flow, pages, param, redirect};
use crate::scopes::{RequestedScopes, ScopeError};
use crate::store::{Flow, FlowKind, ResponseMode, Step};
use crate::{App, aadsts};

pub(crate) async fn admin_consent(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Err(error) = check_tenant_and_client(&app, &tenant, param(&params, "client_id")) {
        return pages::error(error.code, &error.message);
    }
    let client_id = param(&params, "client_id").unwrap_or_default().to_owned();
    let Some(redirect_uri) = param(&params, "redirect_uri") else {
        let error = aadsts::missing_parameter("redirect_uri");
        return pages::error(error.code, &error.message);
    };
    if !redirect::is_loopback_redirect(redirect_uri) {
        let error = aadsts::redirect_uri_mismatch(redirect_uri, &client_id);
        return pages::error(error.code, &error.message);
    }

    let state = param(&params, "state").map(str::to_owned);
    let scopes = match RequestedScopes::parse(param(&params, "scope").unwrap_or_default()) {
        Ok(scopes) => scopes,
        Err(error) => {
            let error = match error {
                ScopeError::Missing => aadsts::missing_parameter("scope"),
                ScopeError::DefaultMixed(scope) => aadsts::invalid_scope(&scope),
            };
            return redirect::deliver_error(
                &app,
                redirect_uri,
                ResponseMode::Query,
                &error,
                &[("admin_consent", "True")],
                state.as_deref(),
            );
        }
    };

    let new_flow = Flow {
        kind: FlowKind::AdminConsent {
            redirect_uri: redirect_uri.to_owned(),
            state,
        },
        client_id,
        tenant,
        scopes,
        login_hint: None,
        prompt: None,
        domain_hint: None,
        claims: None,
        username: None,
        step: Step::SignIn,
        consent_shown: false,
        created_unix: app.state.now_unix(),
    };
    flow::start(&app, new_flow)
}
