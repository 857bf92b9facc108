//! The redirect listener over real loopback sockets: what it binds, what it
//! rejects, and that it completes exactly one sign-in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use graphlink_core::ExposeSecret as _;
use graphlink_core::loopback::{Callback, HEADER_READ_TIMEOUT, LoopbackError, LoopbackListener};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

const STATE: &str = "c3RhdGUtb2YtdGhpcy1zaWduLWlu";

/// Starts a listener that waits up to 30 seconds for the response.
async fn start() -> (u16, JoinHandle<Result<Callback, LoopbackError>>) {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    (port, tokio::spawn(listener.wait(STATE, Duration::from_secs(30))))
}

/// Sends `request` and returns the response's status, or `None` when the
/// connection was refused or closed without one. Write errors are ignored,
/// since the listener may stop reading an oversized request early.
async fn send(port: u16, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.ok()?;
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut response)).await;
    status_of(&response)
}

fn status_of(response: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n").into_bytes()
}

fn callback(code: &str) -> Vec<u8> {
    get(&format!("/?code={code}&state={STATE}&session_state=1"))
}

async fn code_of(wait: JoinHandle<Result<Callback, LoopbackError>>) -> String {
    match wait.await.expect("join").expect("a callback") {
        Callback::Code(code) => code.expose_secret().to_owned(),
        other => panic!("expected a code, got {other:?}"),
    }
}

/// Returns the local addresses of listening TCP sockets on `port`, read
/// from /proc (hex, as the kernel prints them).
#[cfg(target_os = "linux")]
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else { continue };
            let Some((address, hex_port)) = local.split_once(':') else { continue };
            // 0A is TCP_LISTEN.
            if *state == "0A" && u16::from_str_radix(hex_port, 16) == Ok(port) {
                found.push(address.to_owned());
            }
        }
    }
    found
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn binds_loopback_only() {
    let listener = LoopbackListener::bind().await.expect("bind");

    let addresses = listening_addresses(listener.port());

    assert!(!addresses.is_empty(), "no listening socket found on port {}", listener.port());
    for address in &addresses {
        let loopback = address == "0100007F" || address == "00000000000000000000000001000000";
        assert!(loopback, "port {} is bound to {address}, which is not 127.0.0.1 or ::1", listener.port());
    }
    assert_eq!(listener.redirect_uri(), format!("http://localhost:{}/", listener.port()));
}

#[tokio::test]
async fn one_redirect_completes_sign_in() {
    let (port, wait) = start().await;

    assert_eq!(send(port, &callback("first-code")).await, Some(200));

    assert_eq!(code_of(wait).await, "first-code");
}

#[tokio::test]
async fn ipv6_loopback_also_served() {
    let (port, wait) = start().await;
    let Ok(mut stream) = TcpStream::connect((std::net::Ipv6Addr::LOCALHOST, port)).await else {
        eprintln!("no IPv6 loopback on this machine; the IPv4 tests cover the listener");
        return;
    };

    stream.write_all(&callback("over-ipv6")).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");

    assert_eq!(status_of(&response), Some(200));
    assert_eq!(code_of(wait).await, "over-ipv6");
}

#[tokio::test]
async fn wrong_state_rejected() {
    let (port, wait) = start().await;

    let forged = get("/?code=forged&state=someone-else");
    assert_eq!(send(port, &forged).await, Some(400));
    assert_eq!(send(port, &get("/?code=forged")).await, Some(400));
    assert!(!wait.is_finished(), "a forged response must not end the sign-in");

    assert_eq!(send(port, &callback("real")).await, Some(200));
    assert_eq!(code_of(wait).await, "real");
}

#[tokio::test]
async fn wrong_path_and_method_rejected() {
    let (port, wait) = start().await;

    assert_eq!(send(port, &get(&format!("/favicon.ico?code=x&state={STATE}"))).await, Some(404));
    let post = format!("POST /?code=x&state={STATE} HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(send(port, post.as_bytes()).await, Some(405));
    assert_eq!(send(port, b"not http at all\r\n\r\n").await, Some(400));
    assert!(!wait.is_finished());

    assert_eq!(send(port, &callback("real")).await, Some(200));
    assert_eq!(code_of(wait).await, "real");
}

#[tokio::test]
async fn second_callback_rejected() {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    // Two browsers' redirects race: both connect before either gets a response.
    let mut first = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.expect("connect");
    let mut second = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.expect("connect");
    let wait = tokio::spawn(listener.wait(STATE, Duration::from_secs(30)));

    first.write_all(&callback("one")).await.expect("write");
    let mut response = Vec::new();
    first.read_to_end(&mut response).await.expect("read");
    assert_eq!(status_of(&response), Some(200));
    let _ = second.write_all(&callback("two")).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), second.read_to_end(&mut response)).await;

    assert_ne!(status_of(&response), Some(200), "only one response may complete the sign-in");
    assert_eq!(code_of(wait).await, "one");
    assert_eq!(send(port, &callback("three")).await, None, "the listener stops after the sign-in");
}

#[tokio::test]
async fn oversized_url_rejected() {
    let (port, wait) = start().await;
    let url = format!("/?code={}&state={STATE}", "a".repeat(1024 * 1024));

    assert_eq!(send(port, &get(&url)).await, Some(431));
    assert!(!wait.is_finished());

    assert_eq!(send(port, &callback("after-the-flood")).await, Some(200));
    assert_eq!(code_of(wait).await, "after-the-flood");
}

#[tokio::test]
async fn oversized_headers_rejected() {
    let (port, wait) = start().await;
    let mut request = format!("GET /?code=x&state={STATE} HTTP/1.1\r\n").into_bytes();
    for index in 0..20_000 {
        request.extend_from_slice(format!("X-Filler-{index}: {}\r\n", "b".repeat(40)).as_bytes());
    }
    request.extend_from_slice(b"\r\n");

    assert_eq!(send(port, &request).await, Some(431));
    assert!(!wait.is_finished());

    assert_eq!(send(port, &callback("real")).await, Some(200));
    assert_eq!(code_of(wait).await, "real");
}

#[tokio::test]
async fn slow_client_timed_out() {
    let (port, wait) = start().await;
    let mut slow = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.expect("connect");
    slow.write_all(b"GET /?code=slow&st").await.expect("write");
    let started = Instant::now();

    // The stalled connection does not hold up another one.
    assert_eq!(send(port, &get("/?code=x&state=wrong")).await, Some(400));
    let mut response = Vec::new();
    tokio::time::timeout(HEADER_READ_TIMEOUT + Duration::from_secs(5), slow.read_to_end(&mut response))
        .await
        .expect("the listener must close a stalled connection")
        .expect("read");
    let elapsed = started.elapsed();

    assert_eq!(status_of(&response), Some(408));
    assert!(elapsed >= HEADER_READ_TIMEOUT - Duration::from_millis(500), "closed after {elapsed:?}");
    assert!(!wait.is_finished());
    assert_eq!(send(port, &callback("real")).await, Some(200));
    assert_eq!(code_of(wait).await, "real");
}

#[tokio::test]
async fn error_response_accepted() {
    let (port, wait) = start().await;

    let target = format!("/?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+User+declined&state={STATE}");
    assert_eq!(send(port, &get(&target)).await, Some(200));

    match wait.await.expect("join").expect("callback") {
        Callback::Error { error, subcode, description } => {
            assert_eq!(error, "access_denied");
            assert_eq!(subcode.as_deref(), Some("cancel"));
            assert_eq!(description.as_deref(), Some("AADSTS65004: User declined"));
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn nothing_arrives_times_out() {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();

    let result = listener.wait(STATE, Duration::from_millis(300)).await;

    assert!(matches!(result, Err(LoopbackError::TimedOut(_))), "{result:?}");
    assert_eq!(send(port, &callback("late")).await, None, "the port is closed after a timeout");
}
