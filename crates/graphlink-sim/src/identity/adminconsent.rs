//! `GET /{tenant}/v2.0/adminconsent`: an admin grants scopes for the whole tenant.
//!
//! The simulator has no admin role: any user who signs in here may consent for their
//! tenant. Accepting lifts the `consent_disabled` fault of every user in that tenant.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use crate::App;
use crate::identity::{check_before_redirect, flow, pages, param, redirect, requested_scopes};
use crate::store::{Flow, FlowKind, ResponseMode};

pub(crate) async fn admin_consent(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (client_id, redirect_uri) = match check_before_redirect(&app, &tenant, &params) {
        Ok(checked) => checked,
        Err(error) => return pages::error(error.code, &error.message),
    };

    let state = param(&params, "state").map(str::to_owned);
    let scopes = match requested_scopes(&params) {
        Ok(scopes) => scopes,
        Err(error) => {
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

    let kind = FlowKind::AdminConsent {
        redirect_uri: redirect_uri.to_owned(),
        state,
    };
    let new_flow = Flow::new(kind, client_id, tenant, scopes, app.state.now_unix());
    flow::start(&app, new_flow)
}
