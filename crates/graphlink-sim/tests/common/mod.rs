//! Helpers shared by the integration tests: a simulator on `127.0.0.1:0`, a form-driving
//! browser, PKCE, token requests and assertions on Entra's and Graph's error shapes.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::HashMap;
use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graphlink_sim::html_form::{ParsedPage, parse_page};
use graphlink_sim::{DEMO_CLIENT_ID, SimHandle, SimState, UserSpec, serve};
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

pub const ALICE: &str = "alice@contoso.example";
pub const ALICE_PASSWORD: &str = "alice-password";
/// Nothing listens here: the tests read the redirect instead of following it.
pub const REDIRECT_URI: &str = "http://localhost:53100/callback";
pub const GRAPH_SCOPES: &str = "openid profile offline_access User.Read Mail.Read Calendars.Read";
pub const DEFAULT_CHOICES: &[&str] = &["signin", "approve", "accept", "return"];

pub struct Sim {
    pub handle: SimHandle,
    pub state: SimState,
    pub base: String,
    pub client: reqwest::Client,
}

/// Starts a simulator with the user alice on a free loopback port.
pub async fn start() -> Sim {
    let state = SimState::new();
    state.add_user(UserSpec {
        username: ALICE.to_owned(),
        display_name: "Alice Example".to_owned(),
        password: ALICE_PASSWORD.to_owned(),
        tenant_id: None,
    });
    start_with(state).await
}

pub async fn start_with(state: SimState) -> Sim {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let handle = serve(state.clone(), addr).await.expect("simulator binds");
    let base = handle.base_url();
    Sim {
        handle,
        state,
        base,
        client: no_redirect_client(),
    }
}

pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("HTTP client")
}

/// Generates a PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "verifier-{}-0123456789abcdefghijklmnopqrstuvwxyz",
        uuid::Uuid::new_v4()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_url(base: &str, params: &[(&str, &str)]) -> String {
    let mut url =
        Url::parse(&format!("{base}/organizations/oauth2/v2.0/authorize")).expect("valid URL");
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Standard authorize parameters for the demo client with S256 PKCE.
pub fn standard_authorize(base: &str, scope: &str, challenge: &str, state: &str) -> String {
    authorize_url(
        base,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
}

/// Where a driven sign-in stopped.
#[derive(Debug)]
pub enum End {
    /// A redirect away from the simulator, to the app.
    Redirect(Url),
    /// A page without a form, or with an error notice.
    Page { status: u16, page: ParsedPage },
}

impl End {
    pub fn redirect(self) -> Url {
        match self {
            End::Redirect(url) => url,
            End::Page { status, page } => {
                panic!("expected a redirect, got a {status} page: {page:?}")
            }
        }
    }

    pub fn page(self) -> (u16, ParsedPage) {
        match self {
            End::Page { status, page } => (status, page),
            End::Redirect(url) => panic!("expected a page, got a redirect to {url}"),
        }
    }
}

/// Drives sign-in pages from `start` as a browser would: follows redirects within the
/// simulator, fills each form with `overrides` and presses the first button in
/// `choices`, and records the page kinds seen.
pub async fn drive(
    client: &reqwest::Client,
    base: &str,
    start: &str,
    overrides: &[(&str, &str)],
    choices: &[&str],
) -> (End, Vec<String>) {
    let mut kinds = Vec::new();
    let mut request = client.get(start);
    for _ in 0..20 {
        let response = request.send().await.expect("request reaches the simulator");
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()["location"]
                .to_str()
                .expect("ASCII Location")
                .to_owned();
            let location = Url::parse(base)
                .expect("base URL")
                .join(&location)
                .expect("valid Location");
            if location.as_str().starts_with(base) {
                request = client.get(location);
                continue;
            }
            return (End::Redirect(location), kinds);
        }

        let page = parse_page(&response.text().await.expect("page body"));
        kinds.push(page.kind.clone().unwrap_or_default());
        if page.error.is_some() || page.forms.is_empty() {
            return (
                End::Page {
                    status: status.as_u16(),
                    page,
                },
                kinds,
            );
        }
        assert_eq!(page.forms.len(), 1, "every page has exactly one form");
        let form = &page.forms[0];
        assert_eq!(form.method, "post");
        let button = form.choose_button(choices);
        let fields = form.submission(overrides, button);
        let target = Url::parse(base)
            .expect("base URL")
            .join(&form.action)
            .expect("valid action");
        request = client.post(target).form(&fields);
    }
    panic!("sign-in did not end within 20 steps");
}

pub fn alice_credentials() -> [(&'static str, &'static str); 2] {
    [("loginfmt", ALICE), ("passwd", ALICE_PASSWORD)]
}

/// Query parameters of a redirect.
pub fn query_of(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Runs a complete sign-in for alice and returns the code and the PKCE verifier.
pub async fn sign_in_code(sim: &Sim, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let start = standard_authorize(&sim.base, scope, &challenge, "state-123");
    let (end, _) = drive(
        &sim.client,
        &sim.base,
        &start,
        &alice_credentials(),
        DEFAULT_CHOICES,
    )
    .await;
    let redirect = end.redirect();
    let query = query_of(&redirect);
    assert_eq!(query.get("state").map(String::as_str), Some("state-123"));
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code in redirect: {query:?}"))
        .clone();
    (code, verifier)
}

pub struct TokenReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn token_request(sim: &Sim, form: &[(&str, &str)]) -> TokenReply {
    let response = sim
        .client
        .post(format!("{}/organizations/oauth2/v2.0/token", sim.base))
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

pub async fn redeem(sim: &Sim, code: &str, verifier: &str) -> TokenReply {
    token_request(
        sim,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
            ("client_info", "1"),
        ],
    )
    .await
}

pub async fn refresh(sim: &Sim, refresh_token: &str, scope: &str) -> TokenReply {
    token_request(
        sim,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", scope),
        ],
    )
    .await
}

/// Signs alice in and returns the token response body.
pub async fn tokens_for_alice(sim: &Sim, scope: &str) -> Value {
    let (code, verifier) = sign_in_code(sim, scope).await;
    let reply = redeem(sim, &code, &verifier).await;
    assert_eq!(reply.status, 200, "code redemption failed: {}", reply.body);
    reply.body
}

pub fn string_field<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string '{name}' in {body}"))
}

fn is_guid(value: &str) -> bool {
    uuid::Uuid::parse_str(value).is_ok() && value.len() == 36
}

/// Asserts every field of Entra's token error shape and its headers.
pub fn assert_entra_error(
    reply: &TokenReply,
    base: &str,
    error: &str,
    code: u64,
    suberror: Option<&str>,
) {
    let body = &reply.body;
    let fields = body.as_object().expect("error body is an object");
    assert_eq!(body["error"], error, "error in {body}");
    assert_eq!(
        body["error_codes"],
        serde_json::json!([code]),
        "error_codes in {body}"
    );

    let trace_id = string_field(body, "trace_id");
    let correlation_id = string_field(body, "correlation_id");
    let timestamp = string_field(body, "timestamp");
    assert!(is_guid(trace_id), "trace_id {trace_id} is a GUID");
    assert!(
        is_guid(correlation_id),
        "correlation_id {correlation_id} is a GUID"
    );
    assert_eq!(
        timestamp.len(),
        20,
        "timestamp {timestamp} looks like 2026-12-04 13:56:27Z"
    );
    assert_eq!(&timestamp[10..11], " ");
    assert!(timestamp.ends_with('Z'));

    let description = string_field(body, "error_description");
    let lines: Vec<&str> = description.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        4,
        "description has four CRLF-separated lines: {description:?}"
    );
    assert!(
        lines[0].starts_with(&format!("AADSTS{code}: ")),
        "first line {:?}",
        lines[0]
    );
    assert!(
        lines[0].len() > format!("AADSTS{code}: ").len() + 10,
        "description text present"
    );
    assert_eq!(lines[1], format!("Trace ID: {trace_id}"));
    assert_eq!(lines[2], format!("Correlation ID: {correlation_id}"));
    assert_eq!(lines[3], format!("Timestamp: {timestamp}"));

    assert_eq!(body["error_uri"], format!("{base}/error?code={code}"));
    match suberror {
        Some(expected) => assert_eq!(body["suberror"], expected, "suberror in {body}"),
        None => assert!(
            !fields.contains_key("suberror"),
            "no suberror expected in {body}"
        ),
    }
    let mut expected_keys = vec![
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ];
    if suberror.is_some() {
        expected_keys.push("suberror");
    }
    if fields.contains_key("claims") {
        expected_keys.push("claims");
    }
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);

    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("cache-control"), "no-store, no-cache");
    assert_eq!(header("x-ms-request-id"), trace_id);
    assert!(header("content-type").starts_with("application/json"));
}

/// Asserts Graph's error shape and returns the error code.
pub fn assert_graph_error(
    status: u16,
    headers: &HeaderMap,
    body: &Value,
    expected_status: u16,
    code: &str,
) {
    assert_eq!(status, expected_status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let inner = &body["error"]["innerError"];
    let date = inner["date"].as_str().expect("innerError.date");
    assert_eq!(date.len(), 19, "date {date} looks like 2026-12-04T13:56:26");
    assert_eq!(&date[10..11], "T");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(inner["request-id"], header("request-id"));
    assert_eq!(inner["client-request-id"], header("client-request-id"));
}

pub async fn graph_get(
    sim: &Sim,
    path: &str,
    access_token: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let mut request = sim.client.get(format!("{}/v1.0{path}", sim.base));
    if let Some(token) = access_token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .expect("Graph request reaches the simulator");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("Graph response is JSON");
    (status, headers, body)
}

/// The `claims` parameter that declares the `cp1` client capability (CAE).
pub const CP1_CLAIMS: &str = r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#;

pub async fn redeem_with_claims(sim: &Sim, code: &str, verifier: &str, claims: &str) -> TokenReply {
    token_request(
        sim,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
            ("claims", claims),
        ],
    )
    .await
}

pub async fn refresh_with_claims(
    sim: &Sim,
    refresh_token: &str,
    scope: &str,
    claims: &str,
) -> TokenReply {
    token_request(
        sim,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", scope),
            ("claims", claims),
        ],
    )
    .await
}

/// Signs alice in with the `cp1` capability and returns the token response body.
pub async fn cae_tokens_for_alice(sim: &Sim) -> Value {
    let (code, verifier) = sign_in_code(sim, GRAPH_SCOPES).await;
    let reply = redeem_with_claims(sim, &code, &verifier, CP1_CLAIMS).await;
    assert_eq!(reply.status, 200, "code redemption failed: {}", reply.body);
    reply.body
}

/// Posts a `$batch` body with an optional bearer token.
pub async fn send_batch(sim: &Sim, token: Option<&str>, body: &Value) -> (u16, HeaderMap, Value) {
    let mut request = sim
        .client
        .post(format!("{}/v1.0/$batch", sim.base))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .expect("batch request reaches the simulator");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("batch response is JSON");
    (status, headers, body)
}

/// Returns the batch item with `id`.
pub fn batch_item<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["responses"]
        .as_array()
        .expect("responses array")
        .iter()
        .find(|item| item["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {body}"))
}
