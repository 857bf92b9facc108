//! The page sequence of an interactive sign-in and how it ends.
//!
//! Order: sign-in, then MFA (if the user has the `mfa_required` fault), then "Need admin
//! approval" (if `consent_disabled` and an admin has not granted every requested
//! scope), then consent (if a requested resource scope is not granted yet, or
//! `prompt=consent`), then the outcome. Admin consent flows show the admin consent
//! page instead of the last two.

use axum::response::Response;

use crate::identity::{pages, redirect};
use crate::scopes::ScopeSet;
use crate::store::{CodeGrant, DeviceStatus, Flow, FlowKind, Step, Store};
use crate::{App, aadsts, ids};

/// Stores a new flow and shows its sign-in page.
pub(crate) fn start(app: &App, flow: Flow) -> Response {
    let flow_id = ids::random_token(24);
    let tenant = flow.tenant.clone();
    let app_name = App::app_name(&flow.client_id);
    let username = flow.login_hint.clone().unwrap_or_default();
    tracing::debug!(
        client_id = %flow.client_id,
        tenant = %flow.tenant,
        domain_hint = ?flow.domain_hint,
        claims_challenge = flow.claims.is_some(),
        "sign-in started"
    );

    app.state.with_store(|store| {
        store.prune_flows();
        store.flows.insert(flow_id.clone(), flow);
    });
    pages::sign_in(&tenant, &flow_id, &app_name, &username, None)
}

/// Next step of a flow after the current page.
enum Next {
    Show(Step),
    Finish,
    Gone,
    /// A Conditional Access policy blocks this device code sign-in.
    Blocked,
}

fn next_step(store: &Store, flow: &Flow) -> Next {
    let Some(username) = flow.username.as_deref() else {
        return Next::Show(Step::SignIn);
    };
    let Some(record) = store.user(username) else {
        return Next::Gone;
    };
    if record.faults.mfa_required {
        return Next::Show(Step::Mfa);
    }
    if record.faults.device_code_blocked && matches!(flow.kind, FlowKind::Device { .. }) {
        return Next::Blocked;
    }

    if let FlowKind::AdminConsent { .. } = flow.kind {
        return if flow.consent_shown {
            Next::Finish
        } else {
            Next::Show(Step::AdminConsent)
        };
    }

    let effective = store.effective_grants(username, &flow.client_id);
    let requested = flow.scopes.expand(&effective);
    if record.faults.consent_disabled {
        let admin_granted = store.tenant_grants_for(username, &flow.client_id);
        if !requested.missing_from(&admin_granted).is_empty() {
            return Next::Show(Step::AdminApproval);
        }
    }
    let prompt_consent = flow.prompt.as_deref() == Some("consent") && !flow.consent_shown;
    if prompt_consent || !requested.missing_from(&effective).is_empty() {
        return Next::Show(Step::Consent);
    }
    Next::Finish
}

/// Shows the next page of `flow_id`, or ends the flow when no page is left.
pub(crate) fn advance(app: &App, flow_id: &str) -> Response {
    let decision = app.state.with_store(|store| {
        let flow = store.flows.get(flow_id)?.clone();
        let next = next_step(store, &flow);
        if let Next::Show(step) = next
            && let Some(stored) = store.flows.get_mut(flow_id)
        {
            stored.step = step;
            if matches!(step, Step::Consent | Step::AdminConsent) {
                stored.consent_shown = true;
            }
        }
        Some((flow, next))
    });

    match decision {
        None | Some((_, Next::Gone)) => pages::session_lost(),
        Some((flow, Next::Show(step))) => render(app, flow_id, &flow, step),
        Some((flow, Next::Finish)) => finish(app, flow_id, &flow),
        Some((flow, Next::Blocked)) => super::device_policy::block(app, flow_id, &flow),
    }
}

/// Renders the page of `step` for `flow`.
pub(crate) fn render(app: &App, flow_id: &str, flow: &Flow, step: Step) -> Response {
    let app_name = App::app_name(&flow.client_id);
    let username = flow.username.clone().unwrap_or_default();
    let display_username = app
        .state
        .user(&username)
        .map_or_else(|| username.clone(), |user| user.username);

    match step {
        Step::SignIn => {
            let prefill = flow.login_hint.clone().unwrap_or_default();
            pages::sign_in(&flow.tenant, flow_id, &app_name, &prefill, None)
        }
        Step::Mfa => pages::mfa(&flow.tenant, flow_id, &display_username),
        Step::AdminApproval => pages::admin_approval(&flow.tenant, flow_id, &app_name),
        Step::Consent => {
            let granted = app
                .state
                .with_store(|s| s.effective_grants(&username, &flow.client_id));
            let scopes: Vec<String> = flow
                .scopes
                .expand(&granted)
                .iter()
                .map(str::to_owned)
                .collect();
            let decline = if matches!(flow.kind, FlowKind::Device { .. }) {
                "decline"
            } else {
                "cancel"
            };
            pages::consent(
                &flow.tenant,
                flow_id,
                &app_name,
                &display_username,
                &flow.scopes.oidc,
                &scopes,
                decline,
            )
        }
        Step::AdminConsent => {
            let scopes: Vec<String> = flow
                .scopes
                .expand(&ScopeSet::default())
                .iter()
                .map(str::to_owned)
                .collect();
            pages::admin_consent(&flow.tenant, flow_id, &app_name, &display_username, &scopes)
        }
    }
}

/// Grants the consent the user accepted: only the scopes requested in this flow.
pub(crate) fn accept_consent(app: &App, flow: &Flow) {
    let Some(username) = flow.username.as_deref() else {
        return;
    };
    app.state.with_store(|store| {
        let effective = store.effective_grants(username, &flow.client_id);
        let requested = flow.scopes.expand(&effective);
        store.grant_user_consent(username, &flow.client_id, &requested);
    });
}

/// Ends a flow successfully: a code for the app, an approved device code, or an
/// admin consent for the tenant.
fn finish(app: &App, flow_id: &str, flow: &Flow) -> Response {
    let username = flow.username.clone().unwrap_or_default();
    app.state.with_store(|store| {
        store.flows.remove(flow_id);
        store.count(Some(&username), |stats| stats.sign_ins += 1);
    });

    match &flow.kind {
        FlowKind::Authorize(request) => {
            let code = app.state.with_store(|store| store.new_secret(48));
            let grant = CodeGrant {
                client_id: flow.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                method: request.method,
                username,
                scopes: flow.scopes.clone(),
                nonce: request.nonce.clone(),
                issued_unix: app.state.now_unix(),
                redeemed: false,
            };
            app.state
                .with_store(|store| store.codes.insert(code.clone(), grant));

            let mut params = vec![("code".to_owned(), code)];
            if let Some(state) = &request.state {
                params.push(("state".to_owned(), state.clone()));
            }
            params.push(("session_state".to_owned(), ids::guid()));
            redirect::deliver(&request.redirect_uri, request.response_mode, &params)
        }
        FlowKind::Device { device_code } => {
            set_device_status(app, device_code, DeviceStatus::Approved { username });
            pages::device_done(&App::app_name(&flow.client_id), true)
        }
        FlowKind::AdminConsent {
            redirect_uri,
            state,
        } => {
            let (tenant_id, scopes) = grant_admin_consent(app, flow, &username);
            let mut params = vec![
                ("admin_consent".to_owned(), "True".to_owned()),
                ("tenant".to_owned(), tenant_id),
                ("scope".to_owned(), scopes),
            ];
            if let Some(state) = state {
                params.push(("state".to_owned(), state.clone()));
            }
            redirect::to_uri(redirect_uri, &params)
        }
    }
}

/// Records tenant-wide consent and lifts `consent_disabled` for the tenant's users.
/// Returns the tenant ID and the granted scopes as the redirect lists them.
fn grant_admin_consent(app: &App, flow: &Flow, username: &str) -> (String, String) {
    app.state.with_store(|store| {
        let Some(tenant_id) = store.user(username).map(|r| r.user.tenant_id.clone()) else {
            return (String::new(), String::new());
        };
        let key = (tenant_id.clone(), flow.client_id.to_ascii_lowercase());
        let already = store.tenant_grants.get(&key).cloned().unwrap_or_default();
        let scopes = flow.scopes.expand(&already);
        store
            .tenant_grants
            .entry(key)
            .or_default()
            .extend(scopes.iter());
        for record in store.users.values_mut() {
            if record.user.tenant_id == tenant_id {
                record.faults.consent_disabled = false;
            }
        }

        let listed: Vec<&str> = scopes
            .iter()
            .chain(flow.scopes.oidc.iter().copied())
            .collect();
        (tenant_id, listed.join(" "))
    })
}

fn set_device_status(app: &App, device_code: &str, status: DeviceStatus) {
    app.state.with_store(|store| {
        if let Some(grant) = store.device_codes.get_mut(device_code) {
            grant.status = status;
        }
    });
}

/// Ends a flow because the user declined: `access_denied` with AADSTS65004 to the app
/// (with `error_subcode=cancel` when `cancel_subcode`), or a declined device code.
pub(crate) fn decline(app: &App, flow_id: &str, flow: &Flow, cancel_subcode: bool) -> Response {
    app.state.with_store(|store| store.flows.remove(flow_id));
    let error = aadsts::consent_declined();

    match &flow.kind {
        FlowKind::Authorize(request) => {
            let extra: &[(&str, &str)] = if cancel_subcode {
                &[("error_subcode", "cancel")]
            } else {
                &[]
            };
            redirect::deliver_error(
                app,
                &request.redirect_uri,
                request.response_mode,
                &error,
                extra,
                request.state.as_deref(),
            )
        }
        FlowKind::Device { device_code } => {
            set_device_status(app, device_code, DeviceStatus::Declined);
            pages::device_done(&App::app_name(&flow.client_id), false)
        }
        FlowKind::AdminConsent {
            redirect_uri,
            state,
        } => redirect::deliver_error(
            app,
            redirect_uri,
            crate::store::ResponseMode::Query,
            &error,
            &[("admin_consent", "True")],
            state.as_deref(),
        ),
    }
}
