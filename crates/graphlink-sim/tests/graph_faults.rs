//! Graph faults: per-capability errors (alone and inside `$batch`), outages, closed
//! connections and per-user request counts.

mod common;

use common::*;
use graphlink_sim::{Capability, Faults, GraphFault};
use reqwest::Method;
use serde_json::{Value, json};

fn fault(
    capability: Capability,
    status: u16,
    code: &str,
    retry_after_secs: Option<u64>,
) -> GraphFault {
    GraphFault {
        capability,
        status,
        code: code.to_owned(),
        retry_after_secs,
    }
}

fn set_graph_errors(sim: &Sim, graph_errors: Vec<GraphFault>) {
    set_alice_faults(sim, |faults| faults.graph_errors = graph_errors);
}

/// Builds a health check: one `$batch` with a call per capability.
fn health_batch() -> Value {
    json!({ "requests": [
        { "id": "profile", "method": "GET", "url": "/me" },
        { "id": "mail", "method": "GET", "url": "/me/mailFolders/inbox" },
        { "id": "calendar", "method": "GET", "url": "/me/calendar" },
    ]})
}

fn header<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item["headers"]
        .as_object()
        .expect("item headers")
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.as_str())
}

#[tokio::test]
async fn throttled_batch_item_has_its_own_retry_after() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_graph_errors(
        &sim,
        vec![fault(Capability::Mail, 429, "TooManyRequests", Some(7))],
    );

    let (status, headers, body) = send_batch(&sim, Some(&token), &health_batch()).await;

    assert_eq!(status, 200);
    assert!(
        headers.get("retry-after").is_none(),
        "the outer response is not throttled"
    );
    let mail = batch_item(&body, "mail");
    assert_eq!(mail["status"], 429);
    assert_eq!(header(mail, "Retry-After"), Some("7"));
    let error = &mail["body"]["error"];
    assert_eq!(error["code"], "TooManyRequests");
    assert_eq!(error["message"], "Please retry after");
    assert_eq!(error["innerError"]["code"], "429");
    assert_eq!(error["innerError"]["status"], "429");
    assert!(error["innerError"]["date"].is_string());
    assert_eq!(batch_item(&body, "profile")["status"], 200);
    assert_eq!(batch_item(&body, "calendar")["status"], 200);
}

#[tokio::test]
async fn mailbox_not_enabled_in_batch() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_graph_errors(
        &sim,
        vec![fault(
            Capability::Mail,
            404,
            "MailboxNotEnabledForRESTAPI",
            None,
        )],
    );

    let (_, _, body) = send_batch(&sim, Some(&token), &health_batch()).await;

    let mail = batch_item(&body, "mail");
    assert_eq!(mail["status"], 404);
    assert_eq!(header(mail, "Retry-After"), None);
    assert_eq!(mail["body"]["error"]["code"], "MailboxNotEnabledForRESTAPI");
    assert_eq!(
        mail["body"]["error"]["message"],
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
    );
}

#[tokio::test]
async fn service_unavailable_on_direct_call() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_graph_errors(
        &sim,
        vec![fault(
            Capability::Calendar,
            503,
            "serviceNotAvailable",
            Some(30),
        )],
    );

    let (status, headers, body) = graph_get(&sim, "/me/calendar", Some(&token)).await;
    let (profile_status, _, _) = graph_get(&sim, "/me", Some(&token)).await;

    assert_graph_error(status, &headers, &body, 503, "serviceNotAvailable");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(profile_status, 200);
}

#[tokio::test]
async fn missing_scope_wins_over_injected_error() {
    let sim = start().await;
    let token = alice_access_token(&sim, "openid offline_access User.Read").await;
    set_graph_errors(
        &sim,
        vec![fault(Capability::Mail, 429, "TooManyRequests", Some(1))],
    );

    let (status, headers, body) = graph_get(&sim, "/me/mailFolders/inbox", Some(&token)).await;

    assert_graph_error(status, &headers, &body, 403, "ErrorAccessDenied");
}

#[tokio::test]
async fn outage_fails_the_whole_batch() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| {
        faults.graph_outage = Some(503);
        faults.graph_outage_retry_after_secs = Some(120);
    });

    let (status, headers, body) = send_batch(&sim, Some(&token), &health_batch()).await;

    assert_graph_error(status, &headers, &body, 503, "serviceNotAvailable");
    assert_eq!(headers["retry-after"], "120");
    assert!(body.get("responses").is_none(), "{body}");
}

#[tokio::test]
async fn outage_without_retry_after() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| faults.graph_outage = Some(504));

    let (status, headers, body) = send_batch(&sim, Some(&token), &health_batch()).await;
    let (direct_status, _, _) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(status, 504, "{body}");
    assert!(headers.get("retry-after").is_none());
    assert!(body["error"]["code"].is_string());
    assert_eq!(direct_status, 504);
}

#[tokio::test]
async fn outage_of_one_user_spares_another() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    add_bob(&sim);
    sim.state.set_faults(
        BOB,
        Faults {
            graph_outage: Some(503),
            ..Faults::default()
        },
    );

    let (status, _, _) = send_batch(&sim, Some(&token), &health_batch()).await;

    assert_eq!(status, 200);
}

#[tokio::test]
async fn graph_reset_closes_without_response() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| faults.graph_reset = true);

    let batch = sim
        .client
        .post(format!("{}/v1.0/$batch", sim.base))
        .bearer_auth(&token)
        .json(&health_batch())
        .send()
        .await;
    let direct = sim
        .client
        .get(format!("{}/v1.0/me", sim.base))
        .bearer_auth(&token)
        .send()
        .await;

    let error = batch.expect_err("no HTTP response to the batch");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(direct.is_err(), "no HTTP response to a direct call");
    let stats = sim.state.user_stats(ALICE);
    assert_eq!(stats.graph_requests, 2);
    assert_eq!(stats.graph_errors, 2);
}

#[tokio::test]
async fn control_api_sets_graph_faults() {
    let sim = start().await;
    let body = r#"{"graph_errors":[{"capability":"mail","status":429,"code":"TooManyRequests","retry_after_secs":10}],
                   "graph_outage":503,"graph_outage_retry_after_secs":5,"graph_reset":false}"#;

    let response = put_user_faults(&sim, ALICE, body).await;

    assert_eq!(response.status(), 200);
    let faults = sim.state.faults(ALICE);
    assert_eq!(
        faults.graph_errors,
        vec![fault(Capability::Mail, 429, "TooManyRequests", Some(10))]
    );
    assert_eq!(faults.graph_outage, Some(503));
    assert_eq!(faults.graph_outage_retry_after_secs, Some(5));
}

#[tokio::test]
async fn control_api_rejects_invalid_graph_faults() {
    let sim = start().await;
    let cases = [
        r#"{"graph_errors":[{"capability":"mail","status":200,"code":"Fine"}]}"#,
        r#"{"graph_errors":[{"capability":"mail","status":429,"code":""}]}"#,
        r#"{"graph_outage":404}"#,
    ];

    for body in cases {
        let response = put_user_faults(&sim, ALICE, body).await;

        assert_eq!(response.status(), 400, "{body}");
    }
    assert_eq!(sim.state.faults(ALICE), Faults::default());
}

#[tokio::test]
async fn health_check_costs_one_round_trip() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let before = sim.state.user_stats(ALICE);

    let (status, _, _) = send_batch(&sim, Some(&token), &health_batch()).await;

    let after = sim.state.user_stats(ALICE);
    assert_eq!(status, 200);
    assert_eq!(after.graph_requests - before.graph_requests, 1);
    assert_eq!(after.batch_requests - before.batch_requests, 1);
    assert_eq!(after.token_requests, before.token_requests);
    assert_eq!(after.graph_errors, 0);
}

#[tokio::test]
async fn user_stats_count_refresh_and_batch() {
    let sim = start().await;
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    add_bob(&sim);
    let before = sim.state.user_stats(ALICE);

    let reply = refresh(&sim, string_field(&body, "refresh_token"), GRAPH_SCOPES).await;
    let token = string_field(&reply.body, "access_token").to_owned();
    send_batch(&sim, Some(&token), &health_batch()).await;

    let after = sim.state.user_stats(ALICE);
    assert_eq!(before.sign_ins, 1);
    assert_eq!(before.token_requests, 1, "the code redemption");
    assert_eq!(after.token_requests, 2);
    assert_eq!(after.refresh_requests, 1);
    assert_eq!(after.tokens_issued, 2);
    assert_eq!(after.graph_requests, 1);
    assert_eq!(after.batch_requests, 1);
    assert_eq!(sim.state.user_stats(BOB), graphlink_sim::Stats::default());
    assert_eq!(sim.state.stats().graph_requests, 1);
}

#[tokio::test]
async fn control_api_returns_user_stats() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    graph_get(&sim, "/me", Some(&token)).await;

    let alice_path = format!("/users/{ALICE}/stats");
    let unknown_path = "/users/nobody@contoso.example/stats";
    let (status, stats) = control(&sim, Method::GET, &alice_path, None).await;
    let (unknown_status, _) = control(&sim, Method::GET, unknown_path, None).await;

    assert_eq!(status, 200);
    assert_eq!(stats["graph_requests"], 1);
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(unknown_status, 404);
}
