//! Property tests: the parsers of configuration files, token and error
//! responses, ID tokens, `WWW-Authenticate` headers and `$batch` responses
//! never panic on any input, and read back what a valid input states.
//! `PROPTEST_CASES` sets the cases per property (default 256);
//! `scripts/fuzz-parsers.sh` runs them longer.
//!
//! Token and batch responses are served by a loopback HTTP server, so they
//! go through the same client code as real ones, size cap included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use graphlink_core::ExposeSecret as _;
use graphlink_core::config::{self, Layer};
use graphlink_core::graph::{self, ProbeResult};
use graphlink_core::http::{MAX_BODY_BYTES, TransportKind};
use graphlink_core::oauth::challenge::insufficient_claims;
use graphlink_core::oauth::{EntraError, IdClaims, TokenClient, TokenError};
use graphlink_core::SecretString;
use proptest::prelude::*;
use serde_json::{Value, json};
use url::Url;

// ---------------------------------------------------------------- configuration

fn toml_string(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

proptest! {
    #[test]
    fn config_never_panics(text in "\\PC{0,400}") {
        let path = Path::new("/etc/graphlink/config.toml");
        let _ = config::parse_layer(&text, path);
        let _ = config::parse_managed(&text, path);
    }

    #[test]
    fn config_never_panics_on_near_toml(
        key in prop_oneof![Just("client_id".to_owned()), Just("authority".to_owned()), Just("graph_url".to_owned()), Just("scopes".to_owned()), Just("check_interval".to_owned()), Just("locked".to_owned()), "[a-z_]{1,12}"],
        value in prop_oneof!["\\PC{0,40}", "-?[0-9]{1,25}", Just("true".to_owned()), Just("[\"offline_access\", 1]".to_owned()), "\"[ -~]{0,60}\""],
    ) {
        let text = format!("# comment\n{key} = {value}\n");
        let _ = config::parse_layer(&text, Path::new("config.toml"));
        let _ = config::parse_managed(&text, Path::new("config.toml"));
    }

    /// A valid file reads back as the values written.
    #[test]
    fn config_round_trips(
        client_id in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        tenant in "[a-z0-9-]{1,30}",
        port in 1u16..,
        mut scopes in proptest::collection::vec("[A-Za-z][A-Za-z0-9._/:-]{0,30}", 0..6),
        interval in 30u64..=86_400,
    ) {
        scopes.extend(["openid", "profile", "offline_access", "User.Read", "Mail.Read", "Calendars.Read"].map(ToOwned::to_owned));
        let authority = format!("https://login.example.com/{tenant}/v2.0");
        let graph_url = format!("http://127.0.0.1:{port}/v1.0");
        let scope_list: Vec<String> = scopes.iter().map(|scope| toml_string(scope)).collect();
        let text = format!(
            "client_id = {}\nauthority = {}\ngraph_url = {}\nscopes = [{}]\ncheck_interval = {interval}\n",
            toml_string(&client_id), toml_string(&authority), toml_string(&graph_url), scope_list.join(", "),
        );

        let layer = config::parse_layer(&text, Path::new("config.toml")).map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;

        prop_assert_eq!(layer, Layer {
            client_id: Some(client_id),
            authority: Some(Url::parse(&authority).unwrap()),
            graph_url: Some(Url::parse(&graph_url).unwrap()),
            scopes: Some(scopes),
            check_interval: Some(Duration::from_secs(interval)),
        });
    }

    /// An unknown key is reported with its name and line.
    #[test]
    fn config_unknown_key_located(blank_lines in 0usize..20, key in "x[a-z_]{0,12}") {
        let text = format!("{}{key} = 1\n", "\n".repeat(blank_lines));

        let error = config::parse_layer(&text, Path::new("/home/rep/.config/graphlink/config.toml")).expect_err("unknown key");

        prop_assert_eq!(&error.key, &key);
        prop_assert_eq!(error.line, Some(blank_lines + 1));
        prop_assert!(error.to_string().contains("/home/rep/.config/graphlink/config.toml"), "{}", error);
    }
}

// ---------------------------------------------------------------- error bodies

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| json!(number)),
        any::<f64>().prop_map(|number| json!(number)),
        "\\PC{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![Just("error".to_owned()), Just("error_codes".to_owned()), Just("suberror".to_owned()), Just("error_description".to_owned()), Just("claims".to_owned()), "[a-z_]{1,10}"],
                inner,
                0..8
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn entra_error_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), document in arbitrary_json()) {
        if let Ok(error) = serde_json::from_slice::<EntraError>(&bytes) {
            let _ = error.aadsts();
        }
        if let Ok(error) = serde_json::from_value::<EntraError>(document) {
            let _ = error.aadsts();
        }
    }

    #[test]
    fn entra_error_round_trips(
        error in "[a-z_]{1,30}",
        code in any::<u32>(),
        suberror in proptest::option::of("[a-z_]{1,20}"),
        description in "\\PC{0,100}",
        claims in proptest::option::of("\\PC{0,100}"),
    ) {
        let body = json!({
            "error": error, "error_description": format!("AADSTS{code}: {description}"),
            "suberror": suberror, "claims": claims, "correlation_id": "c", "trace_id": "t",
        });

        let parsed: EntraError = serde_json::from_value(body).expect("valid error body");

        prop_assert_eq!(&parsed.error, &error);
        prop_assert_eq!(parsed.aadsts(), Some(code), "the code is read from the description when error_codes is absent");
        prop_assert_eq!(parsed.suberror, suberror);
        prop_assert_eq!(parsed.claims, claims);
    }
}

// ---------------------------------------------------------------- ID tokens

const ISSUER: &str = "https://login.example.com/{tenantid}/v2.0";
const CLIENT_ID: &str = "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40";

fn jwt(payload: &[u8]) -> String {
    format!("{}.{}.c2lnbmF0dXJl", URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#), URL_SAFE_NO_PAD.encode(payload))
}

proptest! {
    #[test]
    fn id_token_never_panics(text in "\\PC{0,300}", payload in proptest::collection::vec(any::<u8>(), 0..300), document in arbitrary_json()) {
        let _ = IdClaims::decode(&text, ISSUER, CLIENT_ID, 0);
        let _ = IdClaims::decode(&jwt(&payload), ISSUER, CLIENT_ID, 0);
        let _ = IdClaims::decode(&jwt(document.to_string().as_bytes()), ISSUER, CLIENT_ID, i64::MAX);
        let _ = IdClaims::decode(&jwt(br#"{"iss":"x","aud":"y","sub":"z","exp":9223372036854775807}"#), "x", "y", i64::MIN);
    }

    #[test]
    fn id_token_round_trips(
        tid in "[0-9a-f-]{36}",
        oid in "[0-9a-f-]{36}",
        sub in "[A-Za-z0-9_-]{1,43}",
        username in "\\PC{1,60}",
        now in 0i64..4_000_000_000,
        many_audiences in any::<bool>(),
    ) {
        let aud = if many_audiences { json!(["other", CLIENT_ID]) } else { json!(CLIENT_ID) };
        let payload = json!({
            "iss": format!("https://login.example.com/{tid}/v2.0"), "aud": aud, "sub": sub,
            "exp": now + 3600, "tid": tid, "oid": oid, "preferred_username": username,
        });

        let claims = IdClaims::decode(&jwt(payload.to_string().as_bytes()), ISSUER, CLIENT_ID, now).expect("valid ID token");

        prop_assert_eq!(claims.account_key(), format!("{oid}.{tid}"));
        prop_assert_eq!(claims.username(), username);
        prop_assert_eq!(claims.sub, sub);
    }
}

// ---------------------------------------------------------------- WWW-Authenticate

proptest! {
    #[test]
    fn www_authenticate_never_panics(header in "\\PC{0,300}", quoted in "[ -~]{0,100}") {
        let _ = insufficient_claims(&header);
        let _ = insufficient_claims(&format!("Bearer error=\"insufficient_claims\", claims=\"{quoted}\""));
        let _ = insufficient_claims(&format!("Bearer error=insufficient_claims, claims={quoted}"));
    }

    /// Claims survive either base64 alphabet, quoting and extra challenges.
    #[test]
    fn www_authenticate_round_trips(value in "\\PC{0,40}", url_safe in any::<bool>(), leading_challenge in any::<bool>()) {
        let claims = json!({"access_token": {"nbf": {"essential": true, "value": value}}}).to_string();
        let encoded = if url_safe { URL_SAFE_NO_PAD.encode(&claims) } else { STANDARD.encode(&claims) };
        let prefix = if leading_challenge { "Basic realm=\"legacy\", " } else { "" };
        let header = format!(
            "{prefix}Bearer realm=\"\", authorization_uri=\"https://login.example.com/common/oauth2/authorize\", \
             client_id=\"00000003-0000-0000-c000-000000000000\", error=\"insufficient_claims\", claims=\"{encoded}\""
        );

        prop_assert_eq!(insufficient_claims(&header), Some(claims));
    }
}

// ---------------------------------------------------------------- token and batch responses over HTTP

/// What the loopback server sends next.
#[derive(Clone)]
enum Reply {
    Bytes { status: u16, body: Vec<u8> },
    /// A body that never ends, 64 KB at a time.
    Endless,
}

struct Server {
    url: String,
    reply: Arc<Mutex<Reply>>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime"))
}

/// Starts one loopback server per test binary; every request gets the
/// current reply. Properties that use it run one case at a time, so the
/// server is shared under a lock.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let reply = Arc::new(Mutex::new(Reply::Bytes { status: 200, body: Vec::new() }));
        let shared = Arc::clone(&reply);
        let app = axum::Router::new().fallback(move || {
            let reply = shared.lock().unwrap().clone();
            async move { respond(reply) }
        });
        let listener = runtime()
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        runtime().spawn(async move { axum::serve(listener, app).await });
        Server { url, reply }
    })
}

fn respond(reply: Reply) -> Response {
    let (status, body) = match reply {
        Reply::Bytes { status, body } => (status, Body::from(body)),
        Reply::Endless => {
            let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
            let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (200, Body::from_stream(stream))
        }
    };
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("response")
}

/// Serializes the cases that share the server.
static SERVER_LOCK: Mutex<()> = Mutex::new(());

fn with_reply<T>(reply: Reply, request: impl AsyncFnOnce(&str) -> T) -> T {
    let _guard = SERVER_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = server();
    *server.reply.lock().unwrap() = reply;
    runtime().block_on(request(&server.url))
}

fn http_client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().expect("client")).clone()
}

async fn refresh(base: &str) -> Result<graphlink_core::oauth::TokenResponse, TokenError> {
    let client = TokenClient::new(http_client(), Url::parse(&format!("{base}/token")).unwrap(), CLIENT_ID.to_owned());
    client.refresh(&SecretString::from("refresh-token".to_owned()), "openid offline_access User.Read").await
}

async fn probe(base: &str) -> Result<ProbeResult, graphlink_core::http::TransportError> {
    graph::probe(&http_client(), &Url::parse(&format!("{base}/v1.0")).unwrap(), &SecretString::from("access-token".to_owned())).await
}

fn status_code() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(401), Just(429), Just(500), Just(503), 200u16..600]
}

proptest! {
    #[test]
    fn token_response_never_panics(status in status_code(), body in proptest::collection::vec(any::<u8>(), 0..400), document in arbitrary_json(), as_json in any::<bool>()) {
        let body = if as_json { document.to_string().into_bytes() } else { body };
        let _ = with_reply(Reply::Bytes { status, body }, async |base| refresh(base).await);
    }

    /// Token values come back unchanged, and an unreadable success names no token.
    #[test]
    fn token_response_round_trips(access in "[!-~]{16,200}", refresh_token in proptest::option::of("[!-~]{1,200}"), expires_in in 0u32.., as_text in any::<bool>()) {
        let expires = if as_text { json!(expires_in.to_string()) } else { json!(expires_in) };
        let body = json!({"token_type": "Bearer", "access_token": access, "refresh_token": refresh_token, "expires_in": expires,
                          "scope": "openid https://graph.microsoft.com/User.Read"});

        let response = with_reply(Reply::Bytes { status: 200, body: body.to_string().into_bytes() }, async |base| refresh(base).await).expect("valid token response");

        prop_assert_eq!(response.access_token.expose_secret(), access.as_str());
        prop_assert_eq!(response.refresh_token.as_ref().map(|token| token.expose_secret().to_owned()), refresh_token);
        prop_assert_eq!(response.expires_in, Duration::from_secs(u64::from(expires_in)));
        prop_assert_eq!(response.scopes, vec!["openid".to_owned(), "User.Read".to_owned()]);

        let broken = json!({"access_token": 5, "refresh_token": access}).to_string().into_bytes();
        let error = with_reply(Reply::Bytes { status: 200, body: broken }, async |base| refresh(base).await).expect_err("not a token response");
        prop_assert!(!error.to_string().contains(&access), "the error quotes a token: {error}");
    }

    #[test]
    fn batch_response_never_panics(status in status_code(), body in proptest::collection::vec(any::<u8>(), 0..400), document in arbitrary_json(), as_json in any::<bool>()) {
        let body = if as_json { json!({"responses": document}).to_string().into_bytes() } else { body };
        let _ = with_reply(Reply::Bytes { status, body }, async |base| probe(base).await);
    }

    /// Items are matched by `id` whatever their order, and read back unchanged.
    #[test]
    fn batch_response_round_trips(statuses in proptest::array::uniform3(prop_oneof![Just(200u16), 400u16..600]), retry in 0u32.., reverse in any::<bool>()) {
        let mut items: Vec<Value> = ["profile", "mail", "calendar"].iter().zip(statuses).map(|(id, status)| json!({
            "id": id, "status": status,
            "headers": {"Retry-After": retry.to_string(), "request-id": format!("{id}-request")},
            "body": if status >= 400 { json!({"error": {"code": format!("Code{status}"), "message": "m"}}) } else { json!({}) },
        })).collect();
        if reverse {
            items.reverse();
        }

        let result = with_reply(Reply::Bytes { status: 200, body: json!({"responses": items}).to_string().into_bytes() }, async |base| probe(base).await);

        let Ok(ProbeResult::Items(items)) = result else {
            return Err(TestCaseError::fail(format!("expected items, got {result:?}")));
        };
        for (item, status) in items.iter().zip(statuses) {
            prop_assert_eq!(item.status, status);
            prop_assert_eq!(item.code.clone(), (status >= 400).then(|| format!("Code{status}")));
            prop_assert_eq!(item.retry_after, Some(Duration::from_secs(u64::from(retry))));
            prop_assert_eq!(item.request_id.clone(), Some(format!("{}-request", item.capability.id())));
        }
    }
}

#[test]
fn token_body_over_cap_rejected() {
    let body = vec![b' '; MAX_BODY_BYTES + 1];

    let error = with_reply(Reply::Bytes { status: 200, body }, async |base| refresh(base).await).expect_err("over the cap");

    assert!(matches!(&error, TokenError::Transport(transport) if transport.kind == TransportKind::TooLarge), "{error:?}");
}

#[test]
fn endless_bodies_stop_at_cap() {
    let started = std::time::Instant::now();

    let token = with_reply(Reply::Endless, async |base| refresh(base).await).expect_err("endless body");
    let batch = with_reply(Reply::Endless, async |base| probe(base).await).expect_err("endless body");

    assert!(matches!(&token, TokenError::Transport(transport) if transport.kind == TransportKind::TooLarge), "{token:?}");
    assert_eq!(batch.kind, TransportKind::TooLarge, "{batch:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "reading stopped late: {:?}", started.elapsed());
}

#[test]
fn body_at_cap_accepted() {
    let token = json!({"access_token": "a", "expires_in": 60}).to_string();
    let mut body = token.into_bytes();
    body.resize(MAX_BODY_BYTES, b' ');

    let response = with_reply(Reply::Bytes { status: 200, body }, async |base| refresh(base).await).expect("a body of exactly the cap is read");

    assert_eq!(response.access_token.expose_secret(), "a");
}
