//! The one-shot loopback listener that receives the authorization response
//! (RFC 8252, section 7.3).
//!
//! It listens on a free port of `127.0.0.1` and, where available, the same
//! port of `::1`. The redirect URI names `localhost`, because Entra ignores
//! the port of a `localhost` redirect when matching registered URIs.
//!
//! Any local process and any web page the browser shows can send requests to
//! this port, so the listener trusts nothing it receives. It reads at most
//! [`MAX_REQUEST_HEAD_BYTES`] of a request within [`HEADER_READ_TIMEOUT`],
//! writes one response per connection and then closes it, and accepts
//! exactly one `GET /` carrying the expected `state`. Every other request
//! gets an error page while the listener keeps waiting, and once the
//! response has arrived, later requests are rejected with 409 until the
//! listener stops.

mod request;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use request::{Reply, Route};

/// Largest request line plus headers read from one connection. A browser's
/// redirect with a code and `state` takes about 2 KB.
pub const MAX_REQUEST_HEAD_BYTES: usize = 16 * 1024;

/// Time a client has to send its request line and headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections served at once. Further connections are closed at once, so a
/// flood of idle connections cannot exhaust the process's file descriptors.
const MAX_CONNECTIONS: usize = 64;

/// Time and bytes spent discarding what a client still sends after its
/// response, so closing the socket does not reset the connection before
/// the client has read the response.
const DRAIN_TIME: Duration = Duration::from_secs(1);
const DRAIN_BYTES: usize = 4 * 1024 * 1024;

/// Time allowed to write one response.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Rejected requests logged one by one per sign-in. Later ones are only
/// counted, so a flood of requests cannot fill the log.
const LOGGED_REJECTIONS: usize = 20;

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

/// The state every connection of one sign-in shares.
struct Shared {
    expected_state: String,
    /// Taken by the first valid response, so only one can complete the sign-in.
    pending: Mutex<Option<oneshot::Sender<Callback>>>,
    rejected: AtomicUsize,
}

impl Shared {
    /// Counts a rejected request and returns whether to log it.
    fn log_rejection(&self) -> bool {
        self.rejected.fetch_add(1, Ordering::Relaxed) < LOGGED_REJECTIONS
    }
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

    /// Serves until a response with `expected_state` arrives or `timeout`
    /// passes, then stops listening. The result page has been written to the
    /// browser's connection by the time this returns.
    ///
    /// # Errors
    ///
    /// Returns [`LoopbackError::TimedOut`] when nothing valid arrived in time.
    pub async fn wait(self, expected_state: &str, timeout: Duration) -> Result<Callback, LoopbackError> {
        let (sender, receiver) = oneshot::channel();
        let shared = Arc::new(Shared { expected_state: expected_state.to_owned(), pending: Mutex::new(Some(sender)), rejected: AtomicUsize::new(0) });

        // Dropping the set at the end of this function stops the accept
        // loops, and with them every connection still open.
        let mut acceptors = JoinSet::new();
        for listener in self.listeners {
            acceptors.spawn(accept(listener, Arc::clone(&shared)));
        }

        let outcome = tokio::time::timeout(timeout, receiver).await;
        let rejected = shared.rejected.load(Ordering::Relaxed);
        if rejected > LOGGED_REJECTIONS {
            tracing::warn!(rejected, logged = LOGGED_REJECTIONS, "the redirect port rejected more requests than were logged");
        }
        match outcome {
            Ok(Ok(callback)) => Ok(callback),
            _ => Err(LoopbackError::TimedOut(timeout)),
        }
    }
}

/// Accepts connections and serves each on its own task.
async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Running out of file descriptors is temporary: wait, then go on.
                tracing::warn!(%error, "accepting a connection on the redirect port failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        if connections.len() >= MAX_CONNECTIONS {
            if shared.log_rejection() {
                tracing::warn!(%peer, limit = MAX_CONNECTIONS, "closed a connection to the redirect port: too many open");
            }
            continue;
        }
        connections.spawn(serve(stream, Arc::clone(&shared)));
    }
}

/// Reads one request, writes one response and closes the connection.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let reply = match tokio::time::timeout(HEADER_READ_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => {
            if shared.log_rejection() {
                tracing::warn!(timeout_secs = HEADER_READ_TIMEOUT.as_secs(), "closed a redirect request that was not sent in time");
            }
            Some(Reply::REQUEST_TIMEOUT)
        }
        Ok(Err(HeadError::TooLarge)) => {
            if shared.log_rejection() {
                tracing::warn!(limit = MAX_REQUEST_HEAD_BYTES, "rejected an oversized redirect request");
            }
            Some(Reply::TOO_LARGE)
        }
        Ok(Err(HeadError::Closed)) => return,
        Ok(Ok(head)) => route(&head, &shared, &mut stream).await,
    };
    if let Some(reply) = reply {
        respond(&mut stream, &reply).await;
    }
    drain(&mut stream).await;
}

/// Sorts a complete request head and returns the reply still to write. A
/// valid response gets its page here, before the sign-in continues, so the
/// browser shows the result page even when the listener stops right after.
async fn route(head: &[u8], shared: &Shared, stream: &mut TcpStream) -> Option<Reply> {
    match request::route(head, &shared.expected_state) {
        Route::Reject(reply) => {
            if shared.log_rejection() {
                tracing::warn!(status = reply.status, reason = reply.title, "rejected a request to the redirect port");
            }
            Some(reply)
        }
        Route::Accept(callback) => {
            let sender = shared.pending.lock().unwrap_or_else(PoisonError::into_inner).take();
            let Some(sender) = sender else {
                if shared.log_rejection() {
                    tracing::warn!("rejected a second sign-in response");
                }
                return Some(Reply::ALREADY_COMPLETED);
            };
            let reply = if matches!(callback, Callback::Code(_)) { Reply::SIGNED_IN } else { Reply::SIGN_IN_FAILED };
            respond(stream, &reply).await;
            if sender.send(callback).is_err() {
                tracing::debug!("the sign-in stopped waiting before its response arrived");
            }
            None
        }
    }
}

#[derive(Debug)]
enum HeadError {
    TooLarge,
    /// The client closed the connection or it broke before a full head arrived.
    Closed,
}

/// Reads up to the blank line that ends the headers, within [`MAX_REQUEST_HEAD_BYTES`].
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.map_err(|_| HeadError::Closed)?;
        if read == 0 {
            return Err(HeadError::Closed);
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = request::head_end(&head, searched_from) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_REQUEST_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Writes `reply` and ends the sending side of the connection.
async fn respond(stream: &mut TcpStream, reply: &Reply) {
    let bytes = reply.to_http();
    let written = tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::debug!(status = reply.status, "the client went away before its response was written");
    }
}

/// Discards what the client still sends, within [`DRAIN_TIME`] and
/// [`DRAIN_BYTES`], so it can read the response before the socket closes.
async fn drain(stream: &mut TcpStream) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut discarded = 0;
        let mut chunk = [0u8; 16 * 1024];
        while discarded < DRAIN_BYTES {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => discarded += read,
            }
        }
    })
    .await;
}
