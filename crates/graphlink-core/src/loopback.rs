//! The one-shot loopback listener that receives the authorization response
//! (RFC 8252, section 7.3).
//!
//! It listens on a free port of `127.0.0.1` and, where available, the same
//! port of `::1`. The redirect URI names `localhost`, because Entra ignores
//! the port of a `localhost` redirect when matching registered URIs. Only a request to `/` carrying the
//! expected `state` completes the sign-in; anything else gets an error page
//! and the listener keeps waiting.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The authorization response received at the redirect URI.
#[derive(Debug)]
pub enum Callback {
    Code(SecretString),
    Error { error: String, subcode: Option<String>, description: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    #[error("could not open a local port for the sign-in response: {0}")]
    Bind(std::io::Error),
    #[error("no sign-in response arrived within {} seconds", .0.as_secs())]
    TimedOut(Duration),
}

/// A bound listener, ready before the browser opens.
#[derive(Debug)]
pub struct LoopbackListener {
    port: u16,
    listeners: Vec<TcpListener>,
}

type Pending = Arc<Mutex<Option<oneshot::Sender<Callback>>>>;

#[derive(Clone)]
struct Shared {
    expected_state: Arc<str>,
    pending: Pending,
}

impl LoopbackListener {
    /// Binds a free port on `127.0.0.1`, and the same port on `::1` when the
    /// system has IPv6 loopback.
    ///
    /// # Errors
    ///
    /// Fails when no IPv4 loopback port can be bound.
    pub async fn bind() -> Result<Self, LoopbackError> {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.map_err(LoopbackError::Bind)?;
        let port = v4.local_addr().map_err(LoopbackError::Bind)?.port();
        let mut listeners = vec![v4];
        match TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
            Ok(v6) => listeners.push(v6),
            Err(error) => tracing::debug!(%error, port, "IPv6 loopback not available for the redirect"),
        }
        Ok(Self { port, listeners })
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns the redirect URI to send in the authorization request.
    #[must_use]
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// Serves until a response with `expected_state` arrives or `timeout` passes.
    ///
    /// # Errors
    ///
    /// Returns [`LoopbackError::TimedOut`] when nothing valid arrived in time.
    pub async fn wait(self, expected_state: &str, timeout: Duration) -> Result<Callback, LoopbackError> {
        let (sender, receiver) = oneshot::channel();
        let shared = Shared { expected_state: expected_state.into(), pending: Arc::new(Mutex::new(Some(sender))) };
        let router = axum::Router::new().route("/", get(receive)).with_state(shared);

        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut servers = Vec::with_capacity(self.listeners.len());
        for listener in self.listeners {
            let mut stopped = stopped.clone();
            let server = axum::serve(listener, router.clone()).with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            servers.push(tokio::spawn(async move { server.await }));
        }

        let outcome = tokio::time::timeout(timeout, receiver).await;
        let _ = stop.send(true);
        for server in servers {
            // Give the browser a moment to receive the result page, then stop.
            let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
        }
        match outcome {
            Ok(Ok(callback)) => Ok(callback),
            _ => Err(LoopbackError::TimedOut(timeout)),
        }
    }
}

async fn receive(State(shared): State<Shared>, Query(params): Query<HashMap<String, String>>) -> (StatusCode, Html<String>) {
    if params.get("state").map(String::as_str) != Some(&*shared.expected_state) {
        tracing::warn!("ignored a redirect whose state does not match this sign-in");
        return (StatusCode::BAD_REQUEST, page("This response does not belong to the current Graphlink sign-in", "Return to Graphlink and start the sign-in again if it is still waiting."));
    }
    let callback = if let Some(code) = params.get("code") {
        Callback::Code(code.clone().into())
    } else if let Some(error) = params.get("error") {
        Callback::Error {
            error: error.clone(),
            subcode: params.get("error_subcode").cloned(),
            description: params.get("error_description").cloned(),
        }
    } else {
        return (StatusCode::BAD_REQUEST, page("The sign-in response is incomplete", "Return to Graphlink and try again."));
    };

    let success = matches!(callback, Callback::Code(_));
    let sender = shared.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    let Some(sender) = sender else {
        return (StatusCode::CONFLICT, page("This sign-in was already completed", "You can close this tab."));
    };
    let _ = sender.send(callback);
    if success {
        (StatusCode::OK, page("Graphlink received your sign-in", "You can close this tab and return to Graphlink."))
    } else {
        (StatusCode::OK, page("The sign-in did not complete", "You can close this tab. Graphlink explains what to do next."))
    }
}

fn page(title: &str, detail: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Graphlink</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style></head>\
         <body><h1>{title}</h1><p>{detail}</p></body></html>"
    ))
}
