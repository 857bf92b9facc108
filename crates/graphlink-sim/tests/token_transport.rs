//! Token faults that break the HTTP exchange: an HTML error page, a connection closed
//! without a response, and a response that comes too late.

mod common;

use std::time::{Duration, Instant};

use common::*;
use graphlink_sim::{Faults, TokenFault};

const REFRESH_SCOPES: &str = "openid offline_access User.Read";

fn set_token_error(sim: &Sim, fault: TokenFault) {
    set_alice_faults(sim, |faults| faults.token_error = Some(fault));
}

#[tokio::test]
async fn html_fault_sends_an_html_page() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_token_error(&sim, TokenFault::ServerErrorHtml { status: 502 });

    let response = sim
        .client
        .post(token_url(&sim))
        .form(&refresh_form(&refresh_token, REFRESH_SCOPES))
        .send()
        .await
        .expect("a response arrives");
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ASCII header")
        .to_owned();
    let body = response.text().await.expect("body");

    assert_eq!(status, 502);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    let stats = sim.state.user_stats(ALICE);
    assert_eq!(stats.token_errors, 1);
    assert_eq!(stats.refresh_requests, 1);
}

#[tokio::test]
async fn reset_fault_closes_without_response() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_token_error(&sim, TokenFault::Reset);

    let result = sim
        .client
        .post(token_url(&sim))
        .form(&refresh_form(&refresh_token, REFRESH_SCOPES))
        .send()
        .await;

    let error = result.expect_err("no HTTP response");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!(sim.state.user_stats(ALICE).token_errors, 1);
}

#[tokio::test]
async fn reset_fault_applies_to_code_redemption() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;
    set_token_error(&sim, TokenFault::Reset);

    let result = sim
        .client
        .post(token_url(&sim))
        .form(&code_redemption_form(&code, REDIRECT_URI, &verifier))
        .send()
        .await;

    assert!(result.is_err(), "no HTTP response");
    sim.state.set_faults(ALICE, Faults::default());
    let retry = redeem(&sim, &code, &verifier).await;
    assert_eq!(retry.status, 200, "the code was not used: {}", retry.body);
}

#[tokio::test]
async fn hang_fault_makes_a_client_time_out() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_token_error(&sim, TokenFault::Hang { secs: 5 });
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("HTTP client");

    let result = impatient
        .post(token_url(&sim))
        .form(&refresh_form(&refresh_token, REFRESH_SCOPES))
        .send()
        .await;

    let error = result.expect_err("the client gives up first");
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn hang_fault_answers_after_the_delay() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_token_error(&sim, TokenFault::Hang { secs: 1 });
    let started = Instant::now();

    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn token_faults_parse_from_json() {
    let cases = [
        (
            r#"{"kind":"server_error_html","status":503}"#,
            TokenFault::ServerErrorHtml { status: 503 },
        ),
        (r#"{"kind":"reset"}"#, TokenFault::Reset),
        (
            r#"{"kind":"hang","secs":30}"#,
            TokenFault::Hang { secs: 30 },
        ),
    ];
    let sim = start().await;

    for (json, expected) in cases {
        let response = put_user_faults(&sim, ALICE, format!(r#"{{"token_error":{json}}}"#)).await;

        assert_eq!(response.status(), 200, "{json}");
        assert_eq!(sim.state.faults(ALICE).token_error, Some(expected));
    }
}
