//! `POST /v1.0/$batch`.

mod common;

use common::*;
use graphlink_sim::Capability;
use serde_json::{Value, json};

fn items(count: usize) -> Value {
    let requests: Vec<Value> = (1..=count)
        .map(|id| json!({ "id": id.to_string(), "method": "GET", "url": "/me" }))
        .collect();
    json!({ "requests": requests })
}

fn response_ids(body: &Value) -> Vec<String> {
    body["responses"]
        .as_array()
        .expect("responses array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn batch_runs_items_and_counts_once() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| {
        faults.graph_forbidden = vec![Capability::Calendar]
    });
    let before = sim.state.stats();
    let body = json!({ "requests": [
        { "id": "me", "method": "GET", "url": "/me" },
        { "id": "inbox", "method": "GET", "url": "/me/mailFolders/inbox" },
        { "id": "cal", "method": "GET", "url": "me/calendar" },
    ]});

    let (status, _, reply) = send_batch(&sim, Some(&token), &body).await;

    assert_eq!(status, 200);
    let responses = reply["responses"].as_array().expect("responses");
    let by_id = |id: &str| {
        responses
            .iter()
            .find(|r| r["id"] == id)
            .expect("response for id")
            .clone()
    };
    assert_eq!(by_id("me")["status"], 200);
    assert_eq!(by_id("me")["body"]["userPrincipalName"], ALICE);
    assert_eq!(by_id("inbox")["body"]["displayName"], "Inbox");
    assert_eq!(by_id("cal")["status"], 403);
    assert_eq!(by_id("cal")["body"]["error"]["code"], "ErrorAccessDenied");
    assert!(by_id("me")["headers"].is_object());
    let after = sim.state.stats();
    assert_eq!(after.graph_requests, before.graph_requests + 1);
    assert_eq!(after.batch_requests, before.batch_requests + 1);
}

#[tokio::test]
async fn batch_responses_come_shuffled() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let in_order: Vec<String> = (1..=20).map(|id| id.to_string()).collect();

    let mut orders = Vec::new();
    for _ in 0..4 {
        let (status, _, reply) = send_batch(&sim, Some(&token), &items(20)).await;
        assert_eq!(status, 200);
        let mut ids = response_ids(&reply);
        orders.push(ids.clone());
        ids.sort_by_key(|id| id.parse::<u32>().expect("numeric id"));
        assert_eq!(ids, in_order, "every item answered once");
    }

    // Four shuffles of 20 items all in request order has probability (1/20!)^4.
    assert!(
        orders.iter().any(|order| *order != in_order),
        "responses are not in request order"
    );
}

#[tokio::test]
async fn more_than_twenty_items_rejected() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, body) = send_batch(&sim, Some(&token), &items(21)).await;

    assert_graph_error(status, &headers, &body, 400, "BadRequest");
}

#[tokio::test]
async fn duplicate_ids_rejected_case_insensitively() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let body = json!({ "requests": [
        { "id": "a", "method": "GET", "url": "/me" },
        { "id": "A", "method": "GET", "url": "/me/calendar" },
    ]});

    let (status, headers, reply) = send_batch(&sim, Some(&token), &body).await;

    assert_graph_error(status, &headers, &reply, 400, "BadRequest");
}

#[tokio::test]
async fn malformed_batch_rejected() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, reply) = send_batch(&sim, Some(&token), &json!({ "nope": [] })).await;

    assert_graph_error(status, &headers, &reply, 400, "BadRequest");
}

#[tokio::test]
async fn batch_without_token_gives_each_item_401() {
    let sim = start().await;

    let (status, _, reply) = send_batch(&sim, None, &items(3)).await;

    assert_eq!(status, 200);
    for response in reply["responses"].as_array().expect("responses") {
        assert_eq!(response["status"], 401);
        assert_eq!(
            response["body"]["error"]["code"],
            "InvalidAuthenticationToken"
        );
        assert!(response["headers"]["WWW-Authenticate"].is_string());
    }
}

#[tokio::test]
async fn failed_dependency_gets_424() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let body = json!({ "requests": [
        { "id": "1", "method": "GET", "url": "/me/nonsense" },
        { "id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"] },
        { "id": "3", "method": "GET", "url": "/me/calendar" },
    ]});

    let (status, _, reply) = send_batch(&sim, Some(&token), &body).await;

    assert_eq!(status, 200);
    let responses = reply["responses"].as_array().expect("responses");
    let status_of =
        |id: &str| responses.iter().find(|r| r["id"] == id).expect("response")["status"].clone();
    assert_eq!(status_of("1"), 400);
    assert_eq!(status_of("2"), 424);
    assert_eq!(status_of("3"), 200);
}
