//! Requests to the token endpoint and the token sets that tests start from.

use graphlink_sim::DEMO_CLIENT_ID;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{GRAPH_SCOPES, REDIRECT_URI, Sim, sign_in_code, string_field};

/// The `claims` parameter that declares the `cp1` client capability (CAE).
pub const CP1_CLAIMS: &str = r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#;

pub struct TokenReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

pub fn token_url(sim: &Sim) -> String {
    format!("{}/organizations/oauth2/v2.0/token", sim.base)
}

pub async fn token_request(sim: &Sim, form: &[(&str, &str)]) -> TokenReply {
    let response = sim
        .client
        .post(token_url(sim))
        .form(form)
        .send()
        .await
        .expect("token request reaches the simulator");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("token response is JSON");
    TokenReply {
        status,
        headers,
        body,
    }
}

/// Builds the form that redeems an authorization code for the demo client.
pub fn code_redemption_form<'a>(
    code: &'a str,
    redirect_uri: &'a str,
    verifier: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", DEMO_CLIENT_ID),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ]
}

/// Builds the form of a refresh token grant for the demo client.
pub fn refresh_form<'a>(refresh_token: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", DEMO_CLIENT_ID),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("scope", scope),
    ]
}

/// Redeems `code` with `client_info=1`, as MSAL sends it.
pub async fn redeem(sim: &Sim, code: &str, verifier: &str) -> TokenReply {
    let mut form = code_redemption_form(code, REDIRECT_URI, verifier);
    form.push(("client_info", "1"));
    token_request(sim, &form).await
}

pub async fn redeem_with_claims(sim: &Sim, code: &str, verifier: &str, claims: &str) -> TokenReply {
    let mut form = code_redemption_form(code, REDIRECT_URI, verifier);
    form.push(("claims", claims));
    token_request(sim, &form).await
}

pub async fn refresh(sim: &Sim, refresh_token: &str, scope: &str) -> TokenReply {
    token_request(sim, &refresh_form(refresh_token, scope)).await
}

pub async fn refresh_with_claims(
    sim: &Sim,
    refresh_token: &str,
    scope: &str,
    claims: &str,
) -> TokenReply {
    let mut form = refresh_form(refresh_token, scope);
    form.push(("claims", claims));
    token_request(sim, &form).await
}

/// Signs alice in and returns the token response body.
pub async fn tokens_for_alice(sim: &Sim, scope: &str) -> Value {
    let (code, verifier) = sign_in_code(sim, scope).await;
    let reply = redeem(sim, &code, &verifier).await;
    assert_eq!(reply.status, 200, "code redemption failed: {}", reply.body);
    reply.body
}

/// Signs alice in with `scope` and returns her access token.
pub async fn alice_access_token(sim: &Sim, scope: &str) -> String {
    let body = tokens_for_alice(sim, scope).await;
    string_field(&body, "access_token").to_owned()
}

/// Signs alice in with every Graph scope and returns her refresh token.
pub async fn alice_refresh_token(sim: &Sim) -> String {
    let body = tokens_for_alice(sim, GRAPH_SCOPES).await;
    string_field(&body, "refresh_token").to_owned()
}

/// Signs alice in with the `cp1` capability and returns the token response body.
pub async fn cae_tokens_for_alice(sim: &Sim) -> Value {
    let (code, verifier) = sign_in_code(sim, GRAPH_SCOPES).await;
    let reply = redeem_with_claims(sim, &code, &verifier, CP1_CLAIMS).await;
    assert_eq!(reply.status, 200, "code redemption failed: {}", reply.body);
    reply.body
}

/// Parses the `claims` challenge of a token error, which Entra sends as a JSON string.
pub fn claims_of(body: &Value) -> Value {
    serde_json::from_str(string_field(body, "claims")).expect("claims is a JSON string")
}
