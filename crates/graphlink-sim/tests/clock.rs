//! Simulated time: token and code expiry, refresh token inactivity and timestamps
//! follow the clock given to `SimState::set_clock`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;

const DAY: Duration = Duration::from_secs(24 * 3600);
const REFRESH_SCOPES: &str = "openid offline_access User.Read";

/// A clock that moves only when the test advances it.
#[derive(Clone)]
struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    /// Starts at 2030-01-01 00:00:00 UTC.
    fn install(sim: &Sim) -> Self {
        let clock = Self(Arc::new(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(1_893_456_000),
        )));
        let now = Arc::clone(&clock.0);
        sim.state
            .set_clock(Arc::new(move || *now.lock().expect("clock lock")));
        clock
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

#[tokio::test]
async fn access_token_expires_on_the_simulated_clock() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    let token = string_field(&body, "access_token").to_owned();

    clock.advance(Duration::from_secs(3598));
    let (before, _, _) = graph_get(&sim, "/me", Some(&token)).await;
    clock.advance(Duration::from_secs(1));
    let (status, headers, body_after) = graph_get(&sim, "/me", Some(&token)).await;

    assert_eq!(body["expires_in"], 3599);
    assert_eq!(before, 200);
    assert_graph_error(
        status,
        &headers,
        &body_after,
        401,
        "InvalidAuthenticationToken",
    );
    assert_eq!(
        body_after["error"]["message"],
        "Access token has expired or is not yet valid."
    );
}

#[tokio::test]
async fn authorization_code_expires_after_ten_minutes() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;

    clock.advance(Duration::from_secs(601));
    let reply = redeem(&sim, &code, &verifier).await;

    assert_entra_error(&reply, &sim.base, "invalid_grant", 70008, None);
}

#[tokio::test]
async fn unused_refresh_token_expires_after_90_days() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let refresh_token = alice_refresh_token(&sim).await;

    clock.advance(DAY * 90);
    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        700082,
        Some("bad_token"),
    );
    let description = string_field(&reply.body, "error_description");
    assert!(
        description.contains("The token was issued on 2030-01-01T00:00:00.0000000Z"),
        "{description}"
    );
}

#[tokio::test]
async fn using_a_refresh_token_restarts_its_inactivity() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let refresh_token = alice_refresh_token(&sim).await;

    clock.advance(DAY * 89);
    let used = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;
    clock.advance(DAY * 60);
    let again = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_eq!(used.status, 200, "{}", used.body);
    assert_eq!(again.status, 200, "{}", again.body);
}

#[tokio::test]
async fn error_timestamps_follow_the_clock() {
    let sim = start().await;
    TestClock::install(&sim);
    set_alice_faults(&sim, |faults| faults.refresh_error = Some(50_076));
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;

    let reply = refresh(&sim, string_field(&body, "refresh_token"), REFRESH_SCOPES).await;
    let (_, _, graph_error) = graph_get(&sim, "/me", Some("unknown-token")).await;

    assert_eq!(reply.body["timestamp"], "2030-01-01 00:00:00Z");
    assert_eq!(
        graph_error["error"]["innerError"]["date"],
        "2030-01-01T00:00:00"
    );
}

#[tokio::test]
async fn revocation_time_follows_the_clock() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let body = cae_tokens_for_alice(&sim).await;
    clock.advance(Duration::from_secs(10));

    sim.state.revoke(ALICE);
    let (_, headers, _) = graph_get(&sim, "/me", Some(string_field(&body, "access_token"))).await;

    let challenge = headers["www-authenticate"].to_str().expect("ASCII header");
    let encoded = challenge
        .rsplit_once("claims=\"")
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .expect("claims parameter");
    let decoded = STANDARD.decode(encoded).expect("base64");
    let claims: serde_json::Value = serde_json::from_slice(&decoded).expect("JSON");
    assert_eq!(claims["access_token"]["nbf"]["value"], "1893456010");
}

#[tokio::test]
async fn device_code_expires_on_the_simulated_clock() {
    let sim = start().await;
    let clock = TestClock::install(&sim);
    let device = request_device_code(&sim).await;

    clock.advance(Duration::from_secs(900));
    let reply = poll_device_code(&sim, string_field(&device, "device_code")).await;

    assert_entra_error(&reply, &sim.base, "expired_token", 70019, None);
}
