//! Authorization code flow with PKCE: pages, redirects, code redemption and discovery.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use graphlink_sim::DEMO_CLIENT_ID;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

fn discovery_url(sim: &Sim, tenant: &str) -> String {
    format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        sim.base
    )
}

#[tokio::test]
async fn full_flow_issues_entra_shaped_tokens() {
    let sim = start().await;
    let alice = sim.state.user(ALICE).expect("alice exists");

    let SignIn {
        end,
        kinds,
        verifier,
    } = sign_in_alice(&sim, GRAPH_SCOPES, "xyz <&> state", DEFAULT_CHOICES).await;
    let redirect = end.redirect();
    let query = query_of(&redirect);

    assert_eq!(kinds, vec!["sign-in", "consent"]);
    assert_eq!(
        redirect.origin().ascii_serialization(),
        "http://localhost:53100"
    );
    assert_eq!(redirect.path(), "/callback");
    assert_eq!(query["state"], "xyz <&> state");
    assert!(uuid::Uuid::parse_str(&query["session_state"]).is_ok());

    let reply = redeem(&sim, &query["code"], &verifier).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "openid profile https://graph.microsoft.com/Calendars.Read https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read"
    );
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(!string_field(body, "access_token").is_empty());
    assert!(!string_field(body, "refresh_token").is_empty());
    assert_eq!(reply.headers["cache-control"], "no-store, no-cache");
    assert!(reply.headers.contains_key("x-ms-request-id"));

    let client_info = URL_SAFE_NO_PAD
        .decode(string_field(body, "client_info"))
        .expect("base64url");
    let client_info: Value = serde_json::from_slice(&client_info).expect("client_info is JSON");
    assert_eq!(client_info["uid"], alice.oid.as_str());
    assert_eq!(client_info["utid"], alice.tenant_id.as_str());
    assert_eq!(
        sim.state.latest_refresh_token(ALICE).as_deref(),
        body["refresh_token"].as_str()
    );
}

#[tokio::test]
async fn id_token_verifies_against_published_jwks() {
    let sim = start().await;
    let alice = sim.state.user(ALICE).expect("alice exists");
    let body = tokens_for_alice(&sim, GRAPH_SCOPES).await;

    let discovery = get_json(&sim, &discovery_url(&sim, &alice.tenant_id)).await;
    let jwks = get_json(&sim, string_field(&discovery, "jwks_uri")).await;
    let x = jwks["keys"][0]["x"].as_str().expect("Ed25519 key");
    let key = DecodingKey::from_ed_components(x).expect("decoding key");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[DEMO_CLIENT_ID]);
    validation.set_issuer(&[string_field(&discovery, "issuer")]);

    let token = jsonwebtoken::decode::<Value>(string_field(&body, "id_token"), &key, &validation)
        .expect("ID token verifies");
    let claims = token.claims;

    assert_eq!(
        claims["iss"],
        format!("{}/{}/v2.0", sim.base, alice.tenant_id)
    );
    assert_eq!(claims["tid"], alice.tenant_id.as_str());
    assert_eq!(claims["oid"], alice.oid.as_str());
    assert_eq!(claims["preferred_username"], ALICE);
    assert_eq!(claims["name"], "Alice Example");
    assert_eq!(claims["ver"], "2.0");
    assert!(
        claims["sub"]
            .as_str()
            .is_some_and(|sub| !sub.is_empty() && sub != alice.oid)
    );
    let iat = claims["iat"].as_u64().expect("iat");
    assert_eq!(claims["nbf"].as_u64(), Some(iat));
    assert!(claims["exp"].as_u64().expect("exp") > iat);
    assert_eq!(token.header.kid.as_deref(), jwks["keys"][0]["kid"].as_str());
}

#[tokio::test]
async fn code_reuse_fails_with_54005() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;
    assert_eq!(redeem(&sim, &code, &verifier).await.status, 200);

    let reply = redeem(&sim, &code, &verifier).await;

    assert_eq!(reply.status, 400);
    assert_entra_error(&reply, &sim.base, "invalid_grant", 54005, None);
}

#[tokio::test]
async fn wrong_verifier_fails_with_501481() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;

    let reply = redeem(
        &sim,
        &code,
        "a-wrong-verifier-that-is-long-enough-0123456789",
    )
    .await;

    assert_eq!(reply.status, 400);
    assert_entra_error(&reply, &sim.base, "invalid_grant", 501481, None);
    assert_eq!(
        redeem(&sim, &code, &verifier).await.status,
        200,
        "a failed redemption keeps the code"
    );
}

#[tokio::test]
async fn other_redirect_uri_on_redeem_fails_with_500112() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;

    let form = code_redemption_form(&code, "http://localhost:53100/other", &verifier);
    let reply = token_request(&sim, &form).await;

    assert_entra_error(&reply, &sim.base, "invalid_grant", 500112, None);
}

#[tokio::test]
async fn client_secret_is_rejected_with_401() {
    let sim = start().await;
    let (code, verifier) = sign_in_code(&sim, GRAPH_SCOPES).await;

    let mut form = code_redemption_form(&code, REDIRECT_URI, &verifier);
    form.push(("client_secret", "secret"));
    let reply = token_request(&sim, &form).await;

    assert_eq!(reply.status, 401);
    assert_entra_error(&reply, &sim.base, "invalid_client", 700025, None);
}

#[tokio::test]
async fn wrong_password_stays_on_sign_in_page() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let start_url = standard_authorize(&sim.base, GRAPH_SCOPES, &challenge, "s");

    let credentials = [("loginfmt", ALICE), ("passwd", "wrong")];

    let (end, kinds) = drive(&sim, &start_url, &credentials, DEFAULT_CHOICES).await;
    let (status, page) = end.page();

    assert_eq!(status, 200);
    assert_eq!(kinds, vec!["sign-in", "sign-in"]);
    assert_eq!(page.forms.len(), 1, "the sign-in form is shown again");
    assert!(
        page.error
            .as_deref()
            .is_some_and(|e| e.starts_with("Your account or password is incorrect."))
    );
}

#[tokio::test]
async fn unregistered_redirect_uri_shows_50011_page() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let url = authorize_url(
        &sim.base,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", "https://app.example/callback"),
            ("scope", "User.Read"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );

    let (end, _) = drive(&sim, &url, &[], DEFAULT_CHOICES).await;
    let (status, page) = end.page();

    assert_eq!(status, 400);
    assert_eq!(page.kind.as_deref(), Some("error"));
    assert!(page.text.contains("AADSTS50011"), "{}", page.text);
}

#[tokio::test]
async fn non_guid_client_id_shows_700016_page() {
    let sim = start().await;
    let url = authorize_url(
        &sim.base,
        &[
            ("client_id", "not-a-guid"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "User.Read"),
        ],
    );

    let (end, _) = drive(&sim, &url, &[], DEFAULT_CHOICES).await;
    let (status, page) = end.page();

    assert_eq!(status, 400);
    assert!(page.text.contains("AADSTS700016"), "{}", page.text);
}

#[tokio::test]
async fn missing_code_challenge_redirects_invalid_request() {
    let sim = start().await;
    let url = authorize_url(
        &sim.base,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "User.Read"),
            ("state", "s1"),
        ],
    );

    let (end, _) = drive(&sim, &url, &[], DEFAULT_CHOICES).await;
    let query = query_of(&end.redirect());

    assert_eq!(query["error"], "invalid_request");
    assert!(
        query["error_description"].starts_with("AADSTS900144: "),
        "{}",
        query["error_description"]
    );
    assert_eq!(
        query["error_uri"],
        format!("{}/error?code=900144", sim.base)
    );
    assert_eq!(query["state"], "s1");
}

#[tokio::test]
async fn consent_cancel_returns_65004_without_subcode() {
    let sim = start().await;

    let sign_in = sign_in_alice(&sim, GRAPH_SCOPES, "s2", &["signin", "cancel"]).await;
    let query = query_of(&sign_in.end.redirect());

    assert_eq!(query["error"], "access_denied");
    assert!(
        query["error_description"]
            .starts_with("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: ")
    );
    assert!(!query.contains_key("error_subcode"));
    assert!(!query.contains_key("code"));
    assert_eq!(query["state"], "s2");
}

#[tokio::test]
async fn consent_covers_only_requested_scopes() {
    let sim = start().await;

    let first = tokens_for_alice(&sim, "openid offline_access User.Read").await;
    assert_eq!(
        first["scope"],
        "openid https://graph.microsoft.com/User.Read"
    );

    let more = sign_in_alice(&sim, "openid User.Read Mail.Read", "s", &["signin"]).await;
    assert_eq!(
        more.kinds,
        vec!["sign-in", "consent"],
        "Mail.Read still needs consent"
    );

    let granted = sign_in_alice(&sim, "openid User.Read", "s", DEFAULT_CHOICES).await;
    assert_eq!(
        granted.kinds,
        vec!["sign-in"],
        "no consent page for granted scopes"
    );
    assert!(query_of(&granted.end.redirect()).contains_key("code"));
}

#[tokio::test]
async fn login_hint_prefills_username() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let url = format!(
        "{}&login_hint={}",
        standard_authorize(&sim.base, "User.Read", &challenge, "s"),
        "alice%40contoso.example"
    );

    let page = fetch_page(&sim, &url).await;

    let login = page.forms[0]
        .inputs
        .iter()
        .find(|i| i.name == "loginfmt")
        .expect("loginfmt field");
    assert_eq!(login.value, ALICE);
    assert!(
        page.forms[0]
            .inputs
            .iter()
            .any(|i| i.name == "flow" && i.kind == "hidden")
    );
}

#[tokio::test]
async fn fragment_response_mode_puts_code_in_fragment() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let url = format!(
        "{}&response_mode=fragment",
        standard_authorize(&sim.base, "User.Read", &challenge, "f")
    );

    let (end, _) = drive(&sim, &url, &alice_credentials(), DEFAULT_CHOICES).await;
    let redirect = end.redirect();

    assert!(redirect.query().is_none());
    let fragment: Vec<(String, String)> =
        url::form_urlencoded::parse(redirect.fragment().expect("fragment").as_bytes())
            .into_owned()
            .collect();
    assert!(fragment.iter().any(|(name, _)| name == "code"));
    assert!(fragment.contains(&("state".to_owned(), "f".to_owned())));
}

#[tokio::test]
async fn discovery_follows_entra() {
    let sim = start().await;
    let tenant = sim.state.default_tenant_id();

    let organizations = get_json(&sim, &discovery_url(&sim, "organizations")).await;
    let specific = get_json(&sim, &discovery_url(&sim, &tenant)).await;
    let unknown = sim
        .client
        .get(discovery_url(&sim, &uuid::Uuid::new_v4().to_string()))
        .send()
        .await
        .expect("discovery request");

    let endpoints = [
        ("issuer", "/{tenantid}/v2.0"),
        (
            "authorization_endpoint",
            "/organizations/oauth2/v2.0/authorize",
        ),
        ("token_endpoint", "/organizations/oauth2/v2.0/token"),
        (
            "device_authorization_endpoint",
            "/organizations/oauth2/v2.0/devicecode",
        ),
        ("jwks_uri", "/organizations/discovery/v2.0/keys"),
    ];
    for (field, path) in endpoints {
        assert_eq!(
            organizations[field],
            format!("{}{path}", sim.base),
            "{field}"
        );
    }
    assert_eq!(
        organizations["code_challenge_methods_supported"],
        serde_json::json!(["S256", "plain"])
    );
    assert_eq!(specific["issuer"], format!("{}/{tenant}/v2.0", sim.base));
    assert_eq!(unknown.status(), 400);
    let unknown: Value = unknown.json().await.expect("JSON");
    assert_eq!(unknown["error"], "invalid_tenant");
    assert_eq!(unknown["error_codes"], serde_json::json!([90002]));
}
