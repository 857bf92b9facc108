//! The device code flow: requesting a code, signing in at `/devicelogin` and polling.

use graphlink_sim::DEMO_CLIENT_ID;
use graphlink_sim::html_form::ParsedPage;
use serde_json::Value;

use super::{ALICE, ALICE_PASSWORD, GRAPH_SCOPES, Sim, TokenReply, drive, token_request};

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Requests a device code for every Graph scope, with `extra` form fields.
pub async fn request_device_code_with(sim: &Sim, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![("client_id", DEMO_CLIENT_ID), ("scope", GRAPH_SCOPES)];
    form.extend_from_slice(extra);
    let response = sim
        .client
        .post(format!("{}/organizations/oauth2/v2.0/devicecode", sim.base))
        .form(&form)
        .send()
        .await
        .expect("devicecode request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("devicecode JSON")
}

/// Requests a device code for every Graph scope.
pub async fn request_device_code(sim: &Sim) -> Value {
    request_device_code_with(sim, &[]).await
}

/// Polls the token endpoint once with `device_code`.
pub async fn poll_device_code(sim: &Sim, device_code: &str) -> TokenReply {
    token_request(
        sim,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
        ],
    )
    .await
}

/// Signs alice in at `/devicelogin` with `user_code`, pressing the first of `choices`,
/// and returns the page the sign-in ends on.
pub async fn sign_in_on_device_page(
    sim: &Sim,
    user_code: &str,
    choices: &[&str],
) -> (u16, ParsedPage) {
    let overrides = [
        ("otc", user_code),
        ("loginfmt", ALICE),
        ("passwd", ALICE_PASSWORD),
    ];
    let start = format!("{}/devicelogin", sim.base);
    let (end, _) = drive(sim, &start, &overrides, choices).await;
    end.page()
}
