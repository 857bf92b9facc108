//! Continuous access evaluation: `cp1` tokens, claims challenges after a revoke or a
//! policy change, and refreshing with the challenge's claims.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use graphlink_sim::{Faults, SettingsUpdate};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const REFRESH_SCOPES: &str = "openid profile offline_access User.Read Mail.Read";

const GRAPH_CHALLENGE_PREFIX: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\", error=\"insufficient_claims\", claims=\"";

/// Checks the challenge header and returns its decoded claims.
fn decode_challenge(www_authenticate: &str) -> Value {
    let encoded = www_authenticate
        .strip_prefix(GRAPH_CHALLENGE_PREFIX)
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("unexpected challenge: {www_authenticate}"));
    let decoded = STANDARD.decode(encoded).expect("standard base64");
    serde_json::from_slice(&decoded).expect("claims are JSON")
}

fn header_of(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_owned()
}

/// Asserts a CAE 401 with `reason` and returns the `nbf` it demands.
fn assert_claims_challenge(status: u16, headers: &HeaderMap, body: &Value, reason: &str) -> String {
    assert_graph_error(status, headers, body, 401, "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["message"],
        format!(
            "Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: {reason}"
        )
    );
    let claims = decode_challenge(&header_of(headers, "www-authenticate"));
    let nbf = &claims["access_token"]["nbf"];
    assert_eq!(nbf["essential"], true, "{claims}");
    nbf["value"]
        .as_str()
        .expect("nbf value is a string")
        .to_owned()
}

#[tokio::test]
async fn cp1_claims_are_recorded_on_the_token() {
    let sim = start().await;
    let cae = cae_tokens_for_alice(&sim).await;
    let plain = tokens_for_alice(&sim, GRAPH_SCOPES).await;

    assert_eq!(
        sim.state
            .client_capabilities(string_field(&cae, "access_token")),
        Some(vec!["cp1".to_owned()])
    );
    assert_eq!(
        sim.state
            .client_capabilities(string_field(&plain, "access_token")),
        Some(Vec::new())
    );
    assert_eq!(sim.state.client_capabilities("unknown"), None);
}

#[tokio::test]
async fn revoke_challenges_cae_tokens() {
    let sim = start().await;
    let body = cae_tokens_for_alice(&sim).await;
    let token = string_field(&body, "access_token").to_owned();
    let (before, _, _) = graph_get(&sim, "/me", Some(&token)).await;

    sim.state.revoke(ALICE);
    let (status, headers, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(before, 200);
    let nbf = assert_claims_challenge(
        status,
        &headers,
        &body,
        "TokenIssuedBeforeRevocationTimestamp",
    );
    let nbf: u64 = nbf.parse().expect("unix seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert!(now.abs_diff(nbf) < 60, "nbf {nbf} is the revocation time");
}

#[tokio::test]
async fn tokens_without_cp1_survive_revoke() {
    let sim = start().await;
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    let token = string_field(&body, "access_token").to_owned();

    sim.state.revoke(ALICE);
    let (status, _, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn batch_item_carries_the_challenge() {
    let sim = start().await;
    let body = cae_tokens_for_alice(&sim).await;
    let token = string_field(&body, "access_token").to_owned();
    sim.state.revoke(ALICE);

    let batch = json!({ "requests": [
        { "id": "1", "method": "GET", "url": "/me" },
        { "id": "2", "method": "GET", "url": "/me/mailFolders/inbox" },
    ]});
    let (status, _, body) = send_batch(&sim, Some(&token), &batch).await;

    assert_eq!(status, 200);
    for id in ["1", "2"] {
        let item = batch_item(&body, id);
        assert_eq!(item["status"], 401, "{item}");
        assert_eq!(
            item["body"]["error"]["code"], "InvalidAuthenticationToken",
            "{item}"
        );
        let challenge = item["headers"]["WWW-Authenticate"]
            .as_str()
            .expect("item WWW-Authenticate");
        let claims = decode_challenge(challenge);
        assert!(
            claims["access_token"]["nbf"]["value"].is_string(),
            "{claims}"
        );
    }
}

#[tokio::test]
async fn refresh_after_revoke_fails_even_with_claims() {
    let sim = start().await;
    let body = cae_tokens_for_alice(&sim).await;
    let refresh_token = string_field(&body, "refresh_token").to_owned();
    sim.state.revoke(ALICE);
    let (_, headers, _) = graph_get(&sim, "/me", Some(string_field(&body, "access_token"))).await;
    let challenge = decode_challenge(&header_of(&headers, "www-authenticate"));
    let mut claims = challenge.clone();
    claims["access_token"]["xms_cc"] = json!({ "values": ["cp1"] });

    let with_claims =
        refresh_with_claims(&sim, &refresh_token, REFRESH_SCOPES, &claims.to_string()).await;
    let without = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_entra_error(
        &with_claims,
        &sim.base,
        "invalid_grant",
        50173,
        Some("bad_token"),
    );
    assert_entra_error(
        &without,
        &sim.base,
        "invalid_grant",
        50173,
        Some("bad_token"),
    );
}

#[tokio::test]
async fn policy_change_is_satisfied_by_refresh_with_claims() {
    let sim = start().await;
    let body = cae_tokens_for_alice(&sim).await;
    let old_token = string_field(&body, "access_token").to_owned();
    let refresh_token = string_field(&body, "refresh_token").to_owned();
    set_alice_faults(&sim, |faults| faults.cae_challenge = true);

    let (status, headers, error) = graph_get(&sim, "/me", Some(&old_token)).await;
    let nbf = assert_claims_challenge(status, &headers, &error, "TokenCreatedWithOutdatedPolicies");
    let claims = json!({ "access_token": {
        "nbf": { "essential": true, "value": nbf },
        "xms_cc": { "values": ["cp1"] },
    }});
    let reply =
        refresh_with_claims(&sim, &refresh_token, REFRESH_SCOPES, &claims.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let new_token = string_field(&reply.body, "access_token").to_owned();
    let (new_status, _, new_body) = graph_get(&sim, "/me", Some(&new_token)).await;
    let (old_status, _, _) = graph_get(&sim, "/me", Some(&old_token)).await;

    assert_eq!(new_status, 200, "{new_body}");
    assert_eq!(old_status, 401, "the old token stays challenged");
}

#[tokio::test]
async fn policy_change_spares_tokens_without_cp1() {
    let sim = start().await;
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    let token = string_field(&body, "access_token").to_owned();
    set_alice_faults(&sim, |faults| faults.cae_challenge = true);

    let (status, _, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn setting_faults_again_keeps_the_policy_change_time() {
    let sim = start().await;
    let cae_challenge = Faults {
        cae_challenge: true,
        ..Faults::default()
    };
    sim.state.set_faults(ALICE, cae_challenge.clone());
    let body = cae_tokens_for_alice(&sim).await;
    let token = string_field(&body, "access_token").to_owned();

    sim.state.set_faults(
        ALICE,
        Faults {
            latency_ms: 1,
            ..cae_challenge
        },
    );
    let (status, _, body) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(status, 200, "issued after the policy change: {body}");
}

#[tokio::test]
async fn device_code_request_claims_give_cp1() {
    let sim = start().await;
    sim.state.update_settings(SettingsUpdate {
        device_code_interval_secs: Some(0),
        ..SettingsUpdate::default()
    });
    let device = request_device_code_with(&sim, &[("claims", CP1_CLAIMS)]).await;
    sign_in_on_device_page(&sim, string_field(&device, "user_code"), DEFAULT_CHOICES).await;

    let reply = poll_device_code(&sim, string_field(&device, "device_code")).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        sim.state
            .client_capabilities(string_field(&reply.body, "access_token")),
        Some(vec!["cp1".to_owned()])
    );
}

#[tokio::test]
async fn malformed_claims_are_rejected() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;

    let reply = redeem_with_claims(&sim, &code, &verifier, "cp1").await;

    assert_entra_error(&reply, &sim.base, "invalid_request", 9002313, None);
}
