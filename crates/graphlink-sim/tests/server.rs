//! Serving, stopping and restarting, and the control API.

mod common;

use common::*;
use graphlink_sim::serve;
use serde_json::{Value, json};

#[tokio::test]
async fn restart_on_same_port_keeps_state() {
    let sim = start().await;
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    let refresh_token = string_field(&body, "refresh_token").to_owned();
    let access_token = string_field(&body, "access_token").to_owned();
    let addr = sim.handle.addr();
    let base = sim.base.clone();
    let client = sim.client.clone();

    sim.handle.stop().await;
    let offline = client
        .get(format!("{base}/v1.0/me"))
        .bearer_auth(&access_token)
        .send()
        .await;
    assert!(offline.is_err(), "a stopped simulator refuses connections");

    let restarted = serve(sim.state.clone(), addr)
        .await
        .expect("the same port binds again at once");
    assert_eq!(restarted.base_url(), base);
    let sim = Sim {
        handle: restarted,
        state: sim.state,
        base,
        client,
    };

    let (status, _, _) = graph_get(&sim, "/me", Some(&access_token)).await;
    assert_eq!(status, 200, "access tokens survive the restart");
    assert_eq!(
        refresh(&sim, &refresh_token, "offline_access User.Read")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn stop_closes_kept_alive_connections() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let (status, _, _) = graph_get(&sim, "/me", Some(&token)).await;
    assert_eq!(status, 200, "opens a pooled keep-alive connection");
    let client = sim.client.clone();
    let base = sim.base.clone();

    sim.handle.stop().await;
    let result = client
        .get(format!("{base}/v1.0/me"))
        .bearer_auth(&token)
        .send()
        .await;

    assert!(
        result.is_err(),
        "the pooled connection was closed, not served: {result:?}"
    );
}

#[tokio::test]
async fn control_api_manages_users_and_faults() {
    let sim = start().await;
    use reqwest::Method;

    let (status, user) = control(
        &sim,
        Method::POST,
        "/users",
        Some(json!({ "username": "bob@contoso.example" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(user["password"], graphlink_sim::DEFAULT_PASSWORD);
    assert_eq!(user["display_name"], "Bob");
    assert_eq!(user["tenant_id"], sim.state.default_tenant_id());

    let (_, users) = control(&sim, Method::GET, "/users", None).await;
    assert_eq!(users.as_array().map(Vec::len), Some(2));

    let faults = json!({ "mfa_required": true, "token_error": { "kind": "throttled", "retry_after_secs": 3 }, "graph_forbidden": ["calendar"] });
    let (status, stored) = control(
        &sim,
        Method::PUT,
        "/users/bob@contoso.example/faults",
        Some(faults),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(stored["mfa_required"], true);
    assert_eq!(stored["latency_ms"], 0);
    assert!(sim.state.faults("bob@contoso.example").mfa_required);

    let (status, _) = control(
        &sim,
        Method::POST,
        "/users/bob@contoso.example/revoke",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = control(
        &sim,
        Method::POST,
        "/users/bob@contoso.example/expire",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, token) = control(
        &sim,
        Method::GET,
        "/users/bob@contoso.example/refresh-token",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(token, json!({ "refresh_token": null }));
}

#[tokio::test]
async fn control_api_names_unknown_users() {
    let sim = start().await;

    let (status, body) = control(
        &sim,
        reqwest::Method::POST,
        "/users/nobody@contoso.example/revoke",
        None,
    )
    .await;

    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "user_not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nobody@contoso.example"))
    );
}

#[tokio::test]
async fn control_api_rejects_invalid_json() {
    let sim = start().await;
    let response = sim
        .client
        .put(format!("{}/_sim/users/{ALICE}/faults", sim.base))
        .header("content-type", "application/json")
        .body("{\"mfa_required\": \"yes\"}")
        .send()
        .await
        .expect("control request");

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "invalid_json");
}

#[tokio::test]
async fn control_api_settings_and_stats() {
    let sim = start().await;

    let (status, settings) = control(
        &sim,
        reqwest::Method::PUT,
        "/settings",
        Some(json!({ "access_token_lifetime_secs": 60, "device_code_interval_secs": 0 })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        settings,
        json!({ "access_token_lifetime_secs": 60, "device_code_interval_secs": 0, "device_code_lifetime_secs": 900 })
    );

    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    assert_eq!(body["expires_in"], 60);

    let (_, stats) = control(&sim, reqwest::Method::GET, "/stats", None).await;
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(stats["authorize_requests"], 1);
    assert_eq!(stats["sign_ins"], 1);
}
