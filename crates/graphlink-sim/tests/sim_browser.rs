//! The `sim-browser` binary against a live simulator and a loopback listener in place
//! of the app's redirect URI.

mod common;

use std::process::Output;

use common::*;
use graphlink_sim::DEMO_CLIENT_ID;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::process::Command;

/// One request received by the stand-in app: request line and body.
struct Received {
    request_line: String,
    body: String,
}

/// Accepts one HTTP/1.1 request on `listener` and responds 200.
async fn accept_one(listener: TcpListener) -> Received {
    let (mut stream, _) = listener.accept().await.expect("sim-browser connects");
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut buffer).await.expect("read request");
        assert!(read > 0, "connection closed before the request ended");
        data.extend_from_slice(&buffer[..read]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..header_end]).to_string();
    let content_length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while data.len() < header_end + content_length {
        let read = stream.read(&mut buffer).await.expect("read body");
        assert!(read > 0, "connection closed before the body ended");
        data.extend_from_slice(&buffer[..read]);
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        .await
        .expect("write response");

    Received {
        request_line: head.lines().next().unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(&data[header_end..]).to_string(),
    }
}

/// Binds the stand-in app on a free loopback port and returns its redirect URI.
async fn app_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind app listener");
    let redirect_uri = format!(
        "http://127.0.0.1:{}/cb",
        listener.local_addr().expect("address").port()
    );
    (listener, redirect_uri)
}

async fn run_browser(url: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sim-browser"));
    command.arg(url).env_remove("SIM_BROWSER_CHOICES");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().await.expect("sim-browser runs")
}

fn alice_env() -> [(&'static str, &'static str); 2] {
    [
        ("SIM_BROWSER_USER", ALICE),
        ("SIM_BROWSER_PASSWORD", ALICE_PASSWORD),
    ]
}

fn authorize_with_redirect(
    sim: &Sim,
    redirect_uri: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut params = vec![
        ("client_id", DEMO_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", GRAPH_SCOPES),
        ("state", "browser-state"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    authorize_url(&sim.base, &params)
}

#[tokio::test]
async fn sim_browser_delivers_code_to_loopback_app() {
    let sim = start().await;
    let (listener, redirect_uri) = app_listener().await;
    let (verifier, challenge) = pkce();
    let url = authorize_with_redirect(&sim, &redirect_uri, &challenge, &[]);

    let env = alice_env();
    let (received, output) = tokio::join!(accept_one(listener), run_browser(&url, &env));
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        received.request_line.starts_with("GET /cb?code="),
        "{}",
        received.request_line
    );
    let target = url::Url::parse(&format!(
        "http://127.0.0.1{}",
        received.request_line.split(' ').nth(1).expect("target")
    ))
    .expect("request target");
    let query = query_of(&target);
    assert_eq!(query["state"], "browser-state");
    assert!(
        !stderr.contains(&query["code"]),
        "the code must not be printed: {stderr}"
    );
    assert!(stderr.contains("code=<redacted>"), "{stderr}");
    assert!(stderr.contains("200 OK"), "{stderr}");

    let form = code_redemption_form(&query["code"], &redirect_uri, &verifier);
    let reply = token_request(&sim, &form).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn sim_browser_posts_form_post_result() {
    let sim = start().await;
    let (listener, redirect_uri) = app_listener().await;
    let (_, challenge) = pkce();
    let url = authorize_with_redirect(
        &sim,
        &redirect_uri,
        &challenge,
        &[("response_mode", "form_post")],
    );

    let env = alice_env();
    let (received, output) = tokio::join!(accept_one(listener), run_browser(&url, &env));

    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        received.request_line.starts_with("POST /cb "),
        "{}",
        received.request_line
    );
    assert!(received.body.contains("code="), "{}", received.body);
    assert!(
        received.body.contains("state=browser-state"),
        "{}",
        received.body
    );
}

#[tokio::test]
async fn sim_browser_exits_2_on_wrong_password() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let url = authorize_with_redirect(&sim, REDIRECT_URI, &challenge, &[]);

    let output = run_browser(
        &url,
        &[
            ("SIM_BROWSER_USER", ALICE),
            ("SIM_BROWSER_PASSWORD", "wrong"),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("Your account or password is incorrect."),
        "{stderr}"
    );
}

#[tokio::test]
async fn sim_browser_exits_2_on_error_page() {
    let sim = start().await;
    let (_, challenge) = pkce();
    let url = authorize_with_redirect(&sim, "https://app.example/cb", &challenge, &[]);

    let output = run_browser(&url, &alice_env()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("AADSTS50011"), "{stderr}");
}

#[tokio::test]
async fn sim_browser_returns_on_admin_approval() {
    let sim = start().await;
    set_alice_faults(&sim, |faults| faults.consent_disabled = true);
    let (listener, redirect_uri) = app_listener().await;
    let (_, challenge) = pkce();
    let url = authorize_with_redirect(&sim, &redirect_uri, &challenge, &[]);

    let env = alice_env();
    let (received, output) = tokio::join!(accept_one(listener), run_browser(&url, &env));

    assert_eq!(output.status.code(), Some(0));
    assert!(
        received.request_line.contains("error=access_denied"),
        "{}",
        received.request_line
    );
    assert!(
        received.request_line.contains("error_subcode=cancel"),
        "{}",
        received.request_line
    );
}

#[tokio::test]
async fn sim_browser_completes_device_sign_in() {
    let sim = start().await;
    sim.state.set_device_code_interval(0);
    let device = request_device_code(&sim).await;
    let user_code = string_field(&device, "user_code");
    let mut env = alice_env().to_vec();
    env.push(("SIM_BROWSER_CODE", user_code));

    let output = run_browser(string_field(&device, "verification_uri"), &env).await;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.contains("You have signed in"), "{stderr}");
    let reply = poll_device_code(&sim, string_field(&device, "device_code")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn sim_browser_without_url_prints_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_sim-browser"))
        .output()
        .await
        .expect("sim-browser runs");

    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: sim-browser URL"));
}
