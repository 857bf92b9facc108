//! A Conditional Access policy that blocks the device code flow (the
//! `device_code_blocked` fault), as tenants do that require a managed device
//! or block "device code flow" under authentication flows.
//!
//! NOTE: Entra documents the sign-in page error (AADSTS53003, "Access has been
//! blocked by Conditional Access policies") but not the polling response. The
//! simulator responds to polls with `invalid_grant`, suberror `message_only` and
//! AADSTS53003, which is what a refresh blocked by Conditional Access returns.

use axum::response::Response;

use crate::App;
use crate::errors::StsError;
use crate::identity::pages;
use crate::store::{DeviceStatus, Flow, FlowKind};

const MESSAGE: &str = "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.";

/// Ends a device code sign-in on the policy error page and marks the code
/// blocked, so the polling app learns it.
pub(crate) fn block(app: &App, flow_id: &str, flow: &Flow) -> Response {
    app.state.with_store(|store| {
        store.flows.remove(flow_id);
        if let FlowKind::Device { device_code } = &flow.kind
            && let Some(grant) = store.device_codes.get_mut(device_code)
        {
            grant.status = DeviceStatus::Blocked;
        }
    });
    pages::error(53_003, MESSAGE)
}

/// The token endpoint error for polls of a blocked device code.
pub(crate) fn blocked_error() -> StsError {
    StsError::new("invalid_grant", 53_003, MESSAGE).suberror("message_only")
}
