//! Serving the router on a TCP port, and stopping it.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::{SimState, router};

/// A running simulator. Dropping it stops the server as [`SimHandle::stop`] does, except
/// that the port is released shortly after the drop rather than on return.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    base_url: String,
    state: SimState,
    stop_tx: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Binds `addr` (port 0 picks a free port), starts serving in a background task and
/// returns at once.
///
/// # Errors
///
/// Returns the error of binding the listener, for example when the port is in use.
pub async fn serve(state: SimState, addr: SocketAddr) -> io::Result<SimHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let base_url = base_url_for(addr);

    let app = router(state.clone(), base_url.clone());
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, app, stop_rx));
    tracing::info!(%base_url, "simulator listening");

    Ok(SimHandle {
        addr,
        base_url,
        state,
        stop_tx: Some(stop_tx),
        task: Some(task),
    })
}

/// Formats `http://IP:PORT`, showing an unspecified address (`0.0.0.0`, `::`) as loopback.
fn base_url_for(addr: SocketAddr) -> String {
    let mut visible = addr;
    if addr.ip().is_unspecified() {
        visible.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{visible}")
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> SimState {
        self.state.clone()
    }

    /// Stops accepting, closes every open connection (in-flight requests are cut off, as
    /// when the network goes away) and returns once the port is free to bind again.
    pub async fn stop(mut self) {
        if let Some(stop_tx) = self.stop_tx.take() {
            let _ = stop_tx.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "simulator task ended abnormally");
        }
        tracing::info!(base_url = %self.base_url, "simulator stopped");
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        // The accept loop also stops when the sender is dropped, so a failed send
        // (the loop has already ended) needs no handling.
        if let Some(stop_tx) = self.stop_tx.take() {
            let _ = stop_tx.send(());
        }
    }
}

async fn accept_loop(listener: TcpListener, app: Router, mut stop_rx: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop_rx => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(error) => {
                    // Typically out of file descriptors, so back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    connections.shutdown().await;
}

/// Marks a response that must not be sent: the connection is closed instead, as when
/// a server crashes or a middlebox drops the connection.
#[derive(Debug, Clone, Copy)]
struct CloseConnection;

/// Returns a response that makes [`serve`] close the connection without sending
/// anything. A router used without [`serve`] sends it as an empty 502.
pub(crate) fn close_connection() -> Response {
    let mut response = StatusCode::BAD_GATEWAY.into_response();
    response.extensions_mut().insert(CloseConnection);
    response
}

async fn serve_connection(stream: TcpStream, app: Router) {
    let close = Arc::new(Notify::new());
    let close_requested = Arc::clone(&close);
    let service = service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        let close = Arc::clone(&close_requested);
        async move {
            let response = app.oneshot(request).await?;
            if response.extensions().get::<CloseConnection>().is_some() {
                // Wake the connection task, which drops the connection and with it
                // this future, so the response is never written.
                close.notify_one();
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(response)
        }
    });

    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = close.notified() => tracing::debug!("connection closed without a response"),
    }
}
