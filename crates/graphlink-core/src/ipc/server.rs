//! The tray's side of the protocol: accepts connections, reads one request
//! from each, and responds through a [`Service`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::protocol::{ErrorCode, Event, IpcError, MAX_REQUEST_BYTES, Request};
use super::transport::Listener;
use crate::engine::EngineEvent;
use crate::readiness::AccountReport;
use crate::state::AccountStatus;

/// How long a client may take to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The operations the tray offers over IPC. The server handles framing and
/// subscriptions; the service decides what each request does.
pub trait Service: Send + Sync + 'static {
    /// Returns a receiver of every engine event from now on.
    fn subscribe(&self) -> broadcast::Receiver<EngineEvent>;

    /// Returns a receiver of the shell's own events for subscribers, such as
    /// [`Event::ShowWindow`], for a service that has any.
    fn shell_events(&self) -> Option<broadcast::Receiver<Event>> {
        None
    }

    /// Returns the latest status of every account.
    fn snapshot(&self) -> Vec<AccountStatus>;

    /// Carries out a request other than [`Request::Subscribe`] and returns
    /// the reply. Events a request sends before its reply, such as the code
    /// of a device code sign-in, go to `progress`.
    fn call(&self, request: Request, progress: Progress) -> impl Future<Output = Event> + Send;
}

/// Where a request sends the events that come before its reply.
#[derive(Debug, Clone)]
pub struct Progress(mpsc::UnboundedSender<Event>);

impl Progress {
    /// Returns a sink whose events go nowhere, for callers without a client.
    #[must_use]
    pub fn ignored() -> Self {
        Self(mpsc::unbounded_channel().0)
    }

    /// Returns a sink and the receiver of its events, for a caller that
    /// shows progress itself, such as the tray's menu.
    #[must_use]
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self(sender), receiver)
    }

    /// Sends an event to the client ahead of the reply.
    pub fn send(&self, event: Event) {
        // A client that left needs no progress; its request ends by itself.
        let _ = self.0.send(event);
    }
}

/// The running server. Dropping it stops accepting connections, ends every
/// open connection and removes the socket file.
#[derive(Debug)]
pub struct ServerHandle {
    task: JoinHandle<()>,
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `service` on `listener` from the current Tokio runtime.
pub fn serve<S: Service>(listener: Listener, service: Arc<S>) -> ServerHandle {
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(stream) => {
                        connections.spawn(handle(stream, Arc::clone(&service)));
                    }
                    Err(error) => {
                        tracing::error!(%error, "could not accept an IPC connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    ServerHandle { task }
}

async fn handle<S: Service, T: AsyncRead + AsyncWrite + Unpin>(stream: T, service: Arc<S>) {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);

    let request = match tokio::time::timeout(REQUEST_TIMEOUT, read_request(&mut reader)).await {
        Ok(Ok(request)) => request,
        Ok(Err(error)) => {
            tracing::warn!(%error, "rejected an IPC request");
            let _ = write_event(&mut writer, &Event::Error(error)).await;
            return;
        }
        Err(_) => {
            tracing::warn!("an IPC client sent no request within {} seconds", REQUEST_TIMEOUT.as_secs());
            return;
        }
    };
    tracing::debug!(?request, "IPC request");

    if request == Request::Subscribe {
        // Subscribe before taking the snapshot, so no event falls between them.
        let events = service.subscribe();
        let shell = service.shell_events();
        let snapshot = Event::Snapshot { accounts: service.snapshot().into_iter().map(AccountReport::from).collect() };
        if write_event(&mut writer, &snapshot).await.is_ok() {
            forward(events, shell, reader, writer).await;
        }
        return;
    }
    respond(service.as_ref(), request, reader, &mut writer).await;
    let _ = writer.shutdown().await;
}

/// Carries out one request, writing its progress events and then its
/// reply. A sign-in waits for the user, so it is cancelled when its client
/// leaves: the user closed the window or pressed Ctrl+C. Other requests
/// always run to the end, so none stops halfway through changing storage.
async fn respond<S: Service, R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(service: &S, request: Request, mut reader: BufReader<R>, writer: &mut W) {
    let cancellable = request.is_sign_in();
    let (sender, mut progress) = mpsc::unbounded_channel();
    let call = service.call(request, Progress(sender));
    tokio::pin!(call);
    let mut ignored = [0_u8; 64];
    loop {
        tokio::select! {
            reply = &mut call => {
                while let Ok(event) = progress.try_recv() {
                    if write_event(writer, &event).await.is_err() {
                        return;
                    }
                }
                let _ = write_event(writer, &reply).await;
                return;
            }
            Some(event) = progress.recv() => {
                if write_event(writer, &event).await.is_err() && cancellable {
                    tracing::info!("the client left; cancelling its sign-in");
                    return;
                }
            }
            read = reader.read(&mut ignored), if cancellable => {
                // A client sends nothing after its request: end of file or an error means it left.
                if matches!(read, Ok(0) | Err(_)) {
                    tracing::info!("the client left; cancelling its sign-in");
                    return;
                }
            }
        }
    }
}

/// Forwards engine events until the client closes its end or goes away.
async fn forward<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut events: broadcast::Receiver<EngineEvent>,
    mut shell: Option<broadcast::Receiver<Event>>,
    mut reader: BufReader<R>,
    mut writer: W,
) {
    let mut ignored = String::new();
    loop {
        tokio::select! {
            // Only the newest shell event matters, so one missed is no reason to stop.
            Some(received) = next_shell_event(shell.as_mut()) => match received {
                Ok(event) => {
                    if write_event(&mut writer, &event).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => shell = None,
            },
            received = events.recv() => {
                let event = match received {
                    Ok(event) => Event::from(event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "an IPC subscriber fell behind; ending its subscription");
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if write_event(&mut writer, &event).await.is_err() {
                    return;
                }
            }
            read = reader.read_line(&mut ignored) => {
                // A subscriber sends nothing more: end of file or an error means it left.
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
                ignored.clear();
            }
        }
    }
}

/// Waits for the next shell event; without a shell channel it never returns.
async fn next_shell_event(shell: Option<&mut broadcast::Receiver<Event>>) -> Option<Result<Event, broadcast::error::RecvError>> {
    match shell {
        Some(receiver) => Some(receiver.recv().await),
        None => std::future::pending().await,
    }
}

async fn read_request<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Result<Request, IpcError> {
    let mut line = Vec::new();
    let mut limited = (&mut *reader).take(MAX_REQUEST_BYTES as u64 + 1);
    limited
        .read_until(b'\n', &mut line)
        .await
        .map_err(|error| IpcError::new(ErrorCode::BadRequest, format!("could not read the request: {error}")))?;
    if line.len() > MAX_REQUEST_BYTES {
        return Err(IpcError::new(ErrorCode::BadRequest, format!("the request is longer than {MAX_REQUEST_BYTES} bytes")));
    }
    serde_json::from_slice(&line).map_err(|error| IpcError::new(ErrorCode::BadRequest, format!("invalid request: {error}")))
}

/// Writes one event as a JSON line.
pub(super) async fn write_event<W: AsyncWrite + Unpin>(writer: &mut W, event: &Event) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

impl From<EngineEvent> for Event {
    fn from(event: EngineEvent) -> Self {
        match event {
            EngineEvent::Status(status) => Self::Status { status: status.into() },
            EngineEvent::Removed { account } => Self::Removed { account },
            EngineEvent::Notify(notification) => Self::Notification { notification },
        }
    }
}
