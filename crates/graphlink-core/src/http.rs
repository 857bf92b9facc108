//! The HTTP client shared by discovery, the token endpoint and Graph, and the
//! transport-failure kinds the classification needs.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Largest response body Graphlink reads; the token, discovery and batch
/// responses it expects are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the client: rustls with the platform's certificate verifier, the
/// system and environment proxy settings, and bounded timeouts.
///
/// # Errors
///
/// Fails only when the TLS backend cannot be initialised.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("Graphlink/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The kind of failure below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Dns,
    Connect,
    Timeout,
    Reset,
    Tls,
    /// The body was larger than [`MAX_BODY_BYTES`].
    TooLarge,
}

/// A request that failed below HTTP, with a description free of secrets.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?} failure reaching {host}: {detail}")]
pub struct TransportError {
    pub kind: TransportKind,
    pub host: String,
    pub detail: String,
}

impl TransportError {
    /// Sorts a `reqwest` error into a [`TransportKind`] by its source chain.
    #[must_use]
    pub fn from_reqwest(error: &reqwest::Error) -> Self {
        let chain = source_chain(error);
        let lower = chain.to_lowercase();
        let kind = if error.is_timeout() {
            TransportKind::Timeout
        } else if lower.contains("dns") || lower.contains("failed to lookup address") || lower.contains("name or service not known") {
            TransportKind::Dns
        } else if is_tls(error) || lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            TransportKind::Tls
        } else if error.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Reset
        };
        let host = error.url().and_then(|url| url.host_str()).unwrap_or("the server").to_owned();
        Self { kind, host, detail: chain }
    }
}

/// Returns true when a TLS error (a `rustls::Error`, possibly wrapped in I/O
/// errors, whose `source` skips the wrapped error) caused the failure.
fn is_tls(error: &reqwest::Error) -> bool {
    error.source().is_some_and(caused_by_rustls)
}

fn caused_by_rustls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>()
        && io.get_ref().is_some_and(|inner| caused_by_rustls(inner))
    {
        return true;
    }
    error.source().is_some_and(caused_by_rustls)
}

fn source_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&dyn std::error::Error> = error.source();
    while let Some(cause) = current {
        parts.push(cause.to_string());
        current = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

/// A response read whole: its status, its `Retry-After` and its body.
#[derive(Debug)]
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// Sends a request and reads its whole response, within [`MAX_BODY_BYTES`].
///
/// # Errors
///
/// Returns a [`TransportError`] when the request fails, the connection
/// breaks or the body is too large.
pub async fn send(request: reqwest::RequestBuilder) -> Result<Reply, TransportError> {
    let response = request.send().await.map_err(|error| TransportError::from_reqwest(&error))?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = read_body(response).await?;
    Ok(Reply { status, retry_after, body })
}

/// Reads a response body, failing past [`MAX_BODY_BYTES`].
///
/// # Errors
///
/// Returns a [`TransportError`] when the connection breaks or the body is too large.
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, TransportError> {
    let host = response.url().host_str().unwrap_or("the server").to_owned();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| TransportError::from_reqwest(&error))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(TransportError {
                kind: TransportKind::TooLarge,
                host,
                detail: format!("response body exceeds {MAX_BODY_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses `Retry-After` given in seconds; the HTTP-date form is read as absent.
#[must_use]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
