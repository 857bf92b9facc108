//! Device code flow: the devicecode endpoint, `/devicelogin` and polling.

mod common;

use std::time::Duration;

use common::*;
use graphlink_sim::SettingsUpdate;

#[tokio::test]
async fn device_code_response_follows_entra() {
    let sim = start().await;

    let body = request_device_code(&sim).await;

    let user_code = string_field(&body, "user_code");
    let verification_uri = format!("{}/devicelogin", sim.base);
    assert_eq!(body["verification_uri"], verification_uri.as_str());
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["interval"], 5);
    assert!(!string_field(&body, "device_code").is_empty());
    assert_eq!(
        body["message"],
        format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
        )
    );
    assert!(body.get("verification_uri_complete").is_none());
}

#[tokio::test]
async fn device_flow_pending_slow_down_then_success() {
    let sim = start().await;
    sim.state.update_settings(SettingsUpdate {
        device_code_interval_secs: Some(1),
        ..SettingsUpdate::default()
    });
    let body = request_device_code(&sim).await;
    let device_code = string_field(&body, "device_code");

    let pending = poll_device_code(&sim, device_code).await;
    assert_eq!(pending.status, 400);
    assert_entra_error(&pending, &sim.base, "authorization_pending", 70016, None);

    let too_fast = poll_device_code(&sim, device_code).await;
    assert_eq!(too_fast.body["error"], "slow_down");

    let (status, page) =
        sign_in_on_device_page(&sim, string_field(&body, "user_code"), DEFAULT_CHOICES).await;
    assert_eq!(status, 200);
    assert_eq!(page.kind.as_deref(), Some("device-done"));
    assert!(page.text.contains("You may now close this window."));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let success = poll_device_code(&sim, device_code).await;
    assert_eq!(success.status, 200, "{}", success.body);
    assert!(success.body["refresh_token"].is_string());
    assert!(success.body["id_token"].is_string());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reused = poll_device_code(&sim, device_code).await;
    assert_eq!(reused.body["error"], "bad_verification_code");
}

#[tokio::test]
async fn declined_device_sign_in_reports_declined() {
    let sim = start().await;
    sim.state.set_device_code_interval(0);
    let body = request_device_code(&sim).await;

    let (_, page) = sign_in_on_device_page(
        &sim,
        string_field(&body, "user_code"),
        &["signin", "decline"],
    )
    .await;
    let reply = poll_device_code(&sim, string_field(&body, "device_code")).await;

    assert_eq!(page.kind.as_deref(), Some("device-declined"));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"], "authorization_declined");
}

#[tokio::test]
async fn expired_device_code_fails_with_70019() {
    let sim = start().await;
    sim.state.update_settings(SettingsUpdate {
        device_code_lifetime_secs: Some(0),
        ..SettingsUpdate::default()
    });
    let body = request_device_code(&sim).await;

    let reply = poll_device_code(&sim, string_field(&body, "device_code")).await;

    assert_entra_error(&reply, &sim.base, "expired_token", 70019, None);
}

#[tokio::test]
async fn unknown_device_code_is_bad_verification_code() {
    let sim = start().await;

    let reply = poll_device_code(&sim, "unknown").await;

    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"], "bad_verification_code");
}

#[tokio::test]
async fn wrong_user_code_stays_on_code_page() {
    let sim = start().await;
    request_device_code(&sim).await;

    let (_, page) = sign_in_on_device_page(&sim, "WRONGCODE", DEFAULT_CHOICES).await;

    assert_eq!(page.kind.as_deref(), Some("device-code"));
    assert!(page.error.is_some());
}
