//! Graph resources, bearer checks, scope checks and the Graph error shape.

mod common;

use common::*;
use graphlink_sim::Capability;

const EXPECTED_WWW_AUTHENTICATE: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";

#[tokio::test]
async fn resources_return_realistic_bodies() {
    let sim = start().await;
    let alice = sim.state.user(ALICE).expect("alice exists");
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, me) = graph_get(&sim, "/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert!(headers.contains_key("request-id"));
    assert_eq!(me["id"], alice.oid.as_str());
    assert_eq!(me["displayName"], "Alice Example");
    assert_eq!(me["userPrincipalName"], ALICE);
    assert_eq!(me["mail"], ALICE);
    assert_eq!(me["givenName"], "Alice");
    assert!(
        me["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("$metadata#users/$entity"))
    );

    let (status, _, inbox) = graph_get(&sim, "/me/mailFolders/inbox", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["displayName"], "Inbox");
    for field in ["id", "parentFolderId"] {
        assert!(
            inbox[field].as_str().is_some_and(|v| !v.is_empty()),
            "inbox.{field}"
        );
    }
    for field in ["childFolderCount", "unreadItemCount", "totalItemCount"] {
        assert!(inbox[field].is_u64(), "inbox.{field}");
    }

    let (status, _, calendar) = graph_get(&sim, "/me/calendar", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(calendar["name"], "Calendar");
    assert_eq!(calendar["owner"]["address"], ALICE);
    assert!(calendar["@odata.context"].is_string());
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let response = sim
        .client
        .get(format!("{}/v1.0/me", sim.base))
        .bearer_auth(&token)
        .header("client-request-id", "7d0c6a0e-0000-4000-8000-000000000001")
        .send()
        .await
        .expect("Graph request");

    assert_eq!(
        response.headers()["client-request-id"],
        "7d0c6a0e-0000-4000-8000-000000000001"
    );
}

#[tokio::test]
async fn missing_or_unknown_token_gets_401_with_challenge() {
    let sim = start().await;

    for (token, message) in [
        (None, "Access token is empty."),
        (
            Some("garbage"),
            "CompactToken parsing failed with error code: 80049217",
        ),
    ] {
        let (status, headers, body) = graph_get(&sim, "/me", token).await;

        assert_graph_error(status, &headers, &body, 401, "InvalidAuthenticationToken");
        assert_eq!(body["error"]["message"], message);
        assert_eq!(headers["www-authenticate"], EXPECTED_WWW_AUTHENTICATE);
    }
}

#[tokio::test]
async fn expired_token_gets_401_expired() {
    let sim = start().await;
    sim.state.set_access_token_lifetime(0);
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_graph_error(status, &headers, &body, 401, "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    assert_eq!(headers["www-authenticate"], EXPECTED_WWW_AUTHENTICATE);
}

#[tokio::test]
async fn missing_scope_gets_403() {
    let sim = start().await;
    let token = alice_access_token(&sim, "openid offline_access User.Read").await;

    let (status, headers, body) = graph_get(&sim, "/me/mailFolders/inbox", Some(&token)).await;
    assert_graph_error(status, &headers, &body, 403, "ErrorAccessDenied");
    assert_eq!(
        body["error"]["message"],
        "Access is denied. Check credentials and try again."
    );

    let (status, headers, body) = graph_get(&sim, "/me/mailboxSettings", Some(&token)).await;
    assert_graph_error(status, &headers, &body, 403, "ErrorAccessDenied");
}

#[tokio::test]
async fn calendar_fault_gets_403_and_leaves_mail() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| {
        faults.graph_forbidden = vec![Capability::Calendar]
    });

    let (status, headers, body) = graph_get(&sim, "/me/calendar", Some(&token)).await;
    assert_graph_error(status, &headers, &body, 403, "ErrorAccessDenied");

    let (status, _, _) = graph_get(&sim, "/me/mailFolders/inbox", Some(&token)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn profile_fault_gets_directory_403() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| {
        faults.graph_forbidden = vec![Capability::Profile]
    });

    let (status, headers, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_graph_error(status, &headers, &body, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn calendar_view_requires_time_window() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, body) = graph_get(&sim, "/me/calendarView", Some(&token)).await;
    assert_graph_error(status, &headers, &body, 400, "ErrorInvalidParameter");

    let window =
        "/me/calendarView?startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-02T00:00:00Z";
    let (status, _, body) = graph_get(&sim, window, Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], serde_json::json!([]));
}

#[tokio::test]
async fn messages_honour_top_and_select() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, _, body) = graph_get(&sim, "/me/messages?$top=1&$select=id", Some(&token)).await;

    assert_eq!(status, 200);
    let value = body["value"].as_array().expect("value array");
    assert_eq!(value.len(), 1);
    assert!(value[0]["id"].is_string());
    assert!(value[0].get("subject").is_none());
    assert!(body["@odata.nextLink"].is_string());
}

#[tokio::test]
async fn unknown_segment_gets_400() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;

    let (status, headers, body) = graph_get(&sim, "/me/nonsense", Some(&token)).await;

    assert_graph_error(status, &headers, &body, 400, "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'nonsense'."
    );
}

#[tokio::test]
async fn latency_fault_delays_graph_responses() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    set_alice_faults(&sim, |faults| faults.latency_ms = 300);

    let started = std::time::Instant::now();
    let (status, _, _) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn graph_requests_are_counted() {
    let sim = start().await;
    let token = alice_access_token(&sim, GRAPH_SCOPES).await;
    let before = sim.state.stats();

    graph_get(&sim, "/me", Some(&token)).await;
    graph_get(&sim, "/me", None).await;

    let after = sim.state.stats();
    assert_eq!(after.graph_requests, before.graph_requests + 2);
    assert_eq!(after.graph_errors, before.graph_errors + 1);
    assert_eq!(after.authorize_requests, 1);
    assert_eq!(after.tokens_issued, 1);
}
