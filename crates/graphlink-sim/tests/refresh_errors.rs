//! The `refresh_error` fault: every AADSTS code of the catalogue, with Entra's status,
//! `error`, `suberror`, description, trace lines and claims.

mod common;

use common::*;
use graphlink_sim::{Faults, entra_error_codes, entra_error_for};
use serde_json::Value;

const REFRESH_SCOPES: &str = "openid profile offline_access User.Read Mail.Read";

/// Codes whose response carries a Conditional Access `claims` challenge.
const CLAIMS_CODES: &[u32] = &[50_076, 50_079, 53_003];

fn set_refresh_error(sim: &Sim, code: u32) {
    set_alice_faults(sim, |faults| faults.refresh_error = Some(code));
}

#[test]
fn catalogue_covers_the_token_endpoint_codes() {
    let required = [
        50_076, 50_079, 50_078, 50_158, 50_173, 50_132, 50_133, 53_003, 65_001, 70_000, 70_008,
        700_082, 700_084, 70_043, 70_011, 54_005, 7_000_218, 700_016, 500_011, 9_002_313, 50_034,
        16_000, 50_057, 50_053, 50_055, 135_010, 50_058, 50_194, 50_196, 90_033, 90_006, 90_090,
        90_024, 50_033, 50_087, 70_012,
    ];
    let known = entra_error_codes();

    for code in required {
        assert!(
            known.contains(&code),
            "AADSTS{code} missing from the catalogue"
        );
    }
    assert_eq!(entra_error_for(1), None);
}

#[test]
fn catalogue_values_follow_entra() {
    let cases: &[(u32, u16, &str, Option<&str>)] = &[
        (50_076, 400, "invalid_grant", Some("basic_action")),
        (50_079, 400, "invalid_grant", Some("basic_action")),
        (50_078, 400, "invalid_grant", Some("basic_action")),
        (50_158, 400, "interaction_required", None),
        (50_173, 400, "invalid_grant", Some("bad_token")),
        (53_003, 400, "invalid_grant", Some("message_only")),
        (65_001, 400, "invalid_grant", Some("consent_required")),
        (700_082, 400, "invalid_grant", Some("bad_token")),
        (70_011, 400, "invalid_scope", None),
        (7_000_218, 401, "invalid_client", None),
        (700_016, 400, "unauthorized_client", None),
        (500_011, 400, "invalid_resource", None),
        (9_002_313, 400, "invalid_request", None),
        (16_000, 400, "interaction_required", None),
        (50_055, 400, "invalid_grant", Some("user_password_expired")),
        (50_058, 400, "login_required", None),
        (50_194, 400, "invalid_request", None),
        (90_033, 503, "temporarily_unavailable", None),
        (70_012, 500, "server_error", None),
    ];

    for &(code, status, error, suberror) in cases {
        assert_eq!(
            entra_error_for(code),
            Some((status, error, suberror)),
            "AADSTS{code}"
        );
    }
}

#[test]
fn retryable_codes_are_server_errors() {
    for code in [90_033, 90_006, 90_090, 90_024, 50_033, 50_087, 70_012] {
        let (status, error, _) = entra_error_for(code).expect("known code");

        assert!((500..600).contains(&status), "AADSTS{code} status {status}");
        assert!(
            error == "temporarily_unavailable" || error == "server_error",
            "AADSTS{code} error {error}"
        );
    }
}

#[tokio::test]
async fn every_code_renders_entras_error_shape() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;

    for code in entra_error_codes() {
        let (status, error, suberror) = entra_error_for(code).expect("listed code");
        set_refresh_error(&sim, code);

        let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

        assert_eq!(
            reply.status, status,
            "status of AADSTS{code}: {}",
            reply.body
        );
        assert_entra_error(&reply, &sim.base, error, u64::from(code), suberror);
        assert_eq!(
            reply.headers["x-ms-clitelem"],
            format!("1,{code},0,,").as_str()
        );
        let has_claims = reply.body.get("claims").is_some();
        assert_eq!(
            has_claims,
            CLAIMS_CODES.contains(&code),
            "claims of AADSTS{code}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn claims_challenge_names_a_policy() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;

    for code in CLAIMS_CODES {
        set_refresh_error(&sim, *code);
        let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

        let claims = claims_of(&reply.body);
        let policies = &claims["access_token"]["capolids"];
        assert_eq!(policies["essential"], true, "AADSTS{code}: {claims}");
        assert!(
            policies["values"][0]
                .as_str()
                .is_some_and(|id| id.len() == 36),
            "AADSTS{code}: {claims}"
        );
    }
}

#[tokio::test]
async fn descriptions_carry_entras_text() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    let cases = [
        (
            53_003,
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        ),
        (50_055, "The password is expired."),
        (50_057, "The user account is disabled."),
        (
            70_043,
            "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
        ),
    ];

    for (code, text) in cases {
        set_refresh_error(&sim, code);
        let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

        let description = string_field(&reply.body, "error_description");
        assert!(
            description.starts_with(&format!("AADSTS{code}: {text}")),
            "{description}"
        );
    }
}

#[tokio::test]
async fn refresh_error_leaves_code_redemption() {
    let sim = start().await;
    set_refresh_error(&sim, 50_076);

    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;
    let reply = refresh(&sim, string_field(&body, "refresh_token"), REFRESH_SCOPES).await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        50076,
        Some("basic_action"),
    );
}

#[tokio::test]
async fn clearing_the_fault_restores_refresh() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_refresh_error(&sim, 90_033);

    let failed = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;
    sim.state.set_faults(ALICE, Faults::default());
    let recovered = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_eq!(failed.status, 503);
    assert_eq!(recovered.status, 200, "{}", recovered.body);
}

#[tokio::test]
async fn control_api_sets_refresh_error() {
    let sim = start().await;

    let response = put_user_faults(&sim, ALICE, r#"{"refresh_error":53003}"#).await;

    assert_eq!(response.status(), 200);
    assert_eq!(sim.state.faults(ALICE).refresh_error, Some(53003));
}

#[tokio::test]
async fn control_api_rejects_unknown_code() {
    let sim = start().await;

    let response = put_user_faults(&sim, ALICE, r#"{"refresh_error":12345}"#).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON error");

    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_faults");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("AADSTS12345"), "{message}");
    assert!(
        message.contains("50076"),
        "lists the known codes: {message}"
    );
    assert_eq!(sim.state.faults(ALICE), Faults::default());
}
