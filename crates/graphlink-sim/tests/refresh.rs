//! Refresh token grants: rotation, revocation, inactivity, MFA, consent and transient
//! failures.

mod common;

use common::*;
use graphlink_sim::{Faults, TokenFault};

const REFRESH_SCOPES: &str = "openid profile offline_access User.Read Mail.Read";

#[tokio::test]
async fn refresh_rotates_and_old_token_keeps_working() {
    let sim = start().await;
    let first = alice_refresh_token(&sim).await;

    let second_reply = refresh(&sim, &first, REFRESH_SCOPES).await;
    assert_eq!(second_reply.status, 200, "{}", second_reply.body);
    let second = string_field(&second_reply.body, "refresh_token").to_owned();
    let again = refresh(&sim, &first, REFRESH_SCOPES).await;

    assert_ne!(first, second, "every refresh returns a new refresh token");
    assert_eq!(
        again.status, 200,
        "the old refresh token still works: {}",
        again.body
    );
    assert_ne!(string_field(&again.body, "refresh_token"), second);
    assert_eq!(
        sim.state.latest_refresh_token(ALICE).as_deref(),
        again.body["refresh_token"].as_str()
    );
    assert!(
        again.body["id_token"].is_string(),
        "openid in scope gives an ID token"
    );
    assert!(
        !again
            .body
            .as_object()
            .expect("object")
            .contains_key("client_info")
    );
}

#[tokio::test]
async fn refresh_scope_lists_every_granted_graph_scope() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;

    let reply = refresh(
        &sim,
        &refresh_token,
        "https://graph.microsoft.com/User.Read offline_access",
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["scope"],
        "https://graph.microsoft.com/Calendars.Read https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read"
    );
    assert!(
        reply.body.get("id_token").is_none(),
        "no openid, no ID token"
    );
}

#[tokio::test]
async fn revoke_fails_older_refresh_tokens_with_50173() {
    let sim = start().await;
    let before = alice_refresh_token(&sim).await;
    let access_token = {
        let reply = refresh(&sim, &before, REFRESH_SCOPES).await;
        string_field(&reply.body, "access_token").to_owned()
    };

    sim.state.revoke(ALICE);
    let reply = refresh(&sim, &before, REFRESH_SCOPES).await;

    assert_eq!(reply.status, 400);
    assert_entra_error(&reply, &sim.base, "invalid_grant", 50173, Some("bad_token"));
    let description = string_field(&reply.body, "error_description");
    assert!(description.contains("The provided grant has expired due to it being revoked"));
    assert_eq!(reply.headers["x-ms-clitelem"], "1,50173,0,,");

    let (status, _, _) = graph_get(&sim, "/me", Some(&access_token)).await;
    assert_eq!(
        status, 200,
        "access tokens issued before the revoke stay valid"
    );

    let after = alice_refresh_token(&sim).await;
    assert_eq!(
        refresh(&sim, &after, REFRESH_SCOPES).await.status,
        200,
        "a new sign-in works again"
    );
}

#[tokio::test]
async fn expire_fails_older_refresh_tokens_with_700082() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;

    sim.state.expire(ALICE);
    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        700082,
        Some("bad_token"),
    );
    assert!(string_field(&reply.body, "error_description").contains("inactive for 90.00:00:00"));
}

#[tokio::test]
async fn mfa_fault_fails_refresh_with_50076_and_claims() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| faults.mfa_required = true);

    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        50076,
        Some("basic_action"),
    );
    let claims = claims_of(&reply.body);
    assert_eq!(claims["access_token"]["capolids"]["essential"], true);
}

#[tokio::test]
async fn mfa_page_clears_the_fault() {
    let sim = start().await;
    set_alice_faults(&sim, |faults| faults.mfa_required = true);

    let sign_in = sign_in_alice(&sim, GRAPH_SCOPES, "m", DEFAULT_CHOICES).await;

    assert_eq!(sign_in.kinds, vec!["sign-in", "mfa", "consent"]);
    assert!(query_of(&sign_in.end.redirect()).contains_key("code"));
    assert!(!sim.state.faults(ALICE).mfa_required);
}

#[tokio::test]
async fn consent_disabled_redirects_access_denied_cancel() {
    let sim = start().await;
    set_alice_faults(&sim, |faults| faults.consent_disabled = true);

    let sign_in = sign_in_alice(&sim, GRAPH_SCOPES, "c", DEFAULT_CHOICES).await;
    let query = query_of(&sign_in.end.redirect());

    assert_eq!(sign_in.kinds, vec!["sign-in", "admin-approval"]);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["error_subcode"], "cancel");
    assert!(
        query["error_description"]
            .starts_with("AADSTS65004: User declined to consent to access the app.")
    );
    assert_eq!(query["state"], "c");
}

#[tokio::test]
async fn admin_approval_page_uses_entra_wording() {
    let sim = start().await;
    set_alice_faults(&sim, |faults| faults.consent_disabled = true);
    let (_, challenge) = pkce();
    let url = standard_authorize(&sim.base, GRAPH_SCOPES, &challenge, "c");

    // Sign in by hand to stop on the approval page instead of pressing its button.
    let sign_in = fetch_page(&sim, &url).await;
    let form = &sign_in.forms[0];
    let fields = form.submission(&alice_credentials(), form.choose_button(&["signin"]));
    let next = sim
        .client
        .post(format!("{}{}", sim.base, form.action))
        .form(&fields)
        .send()
        .await
        .expect("post");
    let page = graphlink_sim::html_form::parse_page(&next.text().await.expect("page"));

    assert_eq!(page.kind.as_deref(), Some("admin-approval"));
    assert!(page.text.contains("Need admin approval"));
    assert!(page.text.contains(
        "needs permission to access resources in your organization that only an admin can grant"
    ));
    assert_eq!(page.forms[0].buttons[0].value, "return");
    assert_eq!(
        page.forms[0].buttons[0].label,
        "Return to the application without granting consent"
    );
}

#[tokio::test]
async fn consent_disabled_fails_refresh_with_65001() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| faults.consent_disabled = true);

    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        65001,
        Some("consent_required"),
    );
}

#[tokio::test]
async fn refresh_beyond_granted_scopes_fails_with_65001() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;

    let reply = refresh(&sim, &refresh_token, "offline_access MailboxSettings.Read").await;

    assert_entra_error(
        &reply,
        &sim.base,
        "invalid_grant",
        65001,
        Some("consent_required"),
    );
}

#[tokio::test]
async fn admin_consent_lifts_consent_disabled() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| faults.consent_disabled = true);
    let url = format!(
        "{}/organizations/v2.0/adminconsent?client_id={}&scope={}&redirect_uri={}&state=a1",
        sim.base,
        graphlink_sim::DEMO_CLIENT_ID,
        "https%3A%2F%2Fgraph.microsoft.com%2FUser.Read%20https%3A%2F%2Fgraph.microsoft.com%2FMail.Read",
        "http%3A%2F%2Flocalhost%3A53100%2Fadmin"
    );

    let (end, kinds) = drive(&sim, &url, &alice_credentials(), DEFAULT_CHOICES).await;
    let query = query_of(&end.redirect());

    assert_eq!(kinds, vec!["sign-in", "admin-consent"]);
    assert_eq!(query["admin_consent"], "True");
    assert_eq!(query["tenant"], sim.state.default_tenant_id());
    assert_eq!(query["state"], "a1");
    assert!(!sim.state.faults(ALICE).consent_disabled);
    assert_eq!(
        refresh(&sim, &refresh_token, REFRESH_SCOPES).await.status,
        200
    );
}

#[tokio::test]
async fn server_error_fault_returns_503_temporarily_unavailable() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| {
        faults.token_error = Some(TokenFault::ServerError { status: 503 });
    });

    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_eq!(reply.status, 503);
    assert_entra_error(&reply, &sim.base, "temporarily_unavailable", 90033, None);

    set_alice_faults(&sim, |faults| {
        faults.token_error = Some(TokenFault::ServerError { status: 500 });
    });
    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body["error"], "server_error");

    sim.state.set_faults(ALICE, Faults::default());
    assert_eq!(
        refresh(&sim, &refresh_token, REFRESH_SCOPES).await.status,
        200
    );
}

#[tokio::test]
async fn throttled_fault_returns_429_with_retry_after() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| {
        faults.token_error = Some(TokenFault::Throttled {
            retry_after_secs: 7,
        });
    });

    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "7");
    assert_entra_error(&reply, &sim.base, "temporarily_unavailable", 90055, None);
}

#[tokio::test]
async fn unknown_refresh_token_fails_with_70000() {
    let sim = start().await;

    let reply = refresh(&sim, "not-a-token", REFRESH_SCOPES).await;

    assert_entra_error(&reply, &sim.base, "invalid_grant", 70000, None);
}

#[tokio::test]
async fn missing_grant_type_fails_with_900144() {
    let sim = start().await;

    let reply = token_request(&sim, &[("client_id", graphlink_sim::DEMO_CLIENT_ID)]).await;

    assert_entra_error(&reply, &sim.base, "invalid_request", 900144, None);
}

#[tokio::test]
async fn latency_fault_delays_token_responses() {
    let sim = start().await;
    let refresh_token = alice_refresh_token(&sim).await;
    set_alice_faults(&sim, |faults| faults.latency_ms = 300);

    let started = std::time::Instant::now();
    let reply = refresh(&sim, &refresh_token, REFRESH_SCOPES).await;

    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}
